"""The suites' mutation score: first-order mutants of the reference solutions, graded in batch.

Usage: python bench/mutation.py [--exercises 0,1,2,3,4,5,7] [--jobs N] [--limit N] [--show-survivors]

For each exercise, every solution region (``# BEGIN SOLUTION`` ... ``# END SOLUTION``) of its
reference is mutated once per mutant, by an AST mutator of our own (``MUTATORS``):

* arithmetic and comparison swaps (+ ↔ -, * ↔ /, < ↔ <=, > ↔ >=, == ↔ !=, and ↔ or);
* integer and float constants ± 1;
* slice bounds ± 1 (``x[a:b]`` → ``x[a:b + 1]``, ``x[a + 1:b]``);
* a deleted statement (replaced by ``pass``; never the last one of a block);
* sum ↔ mean, max ↔ min, amax ↔ amin, zeros ↔ ones (and their ``_like``/``new_`` forms);
* dim/axis swaps (``dim=0`` ↔ ``dim=1``, ``axis=0`` ↔ ``axis=1``, ``dim=-1`` ↔ ``dim=0``);
* dropped transposes (``.T``, ``.t()``).

The mutants are written as a class of "students" and graded by ``grade batch`` (warm lanes, so
hundreds of mutants take minutes).  A mutant is *killed* when it loses points, a *survivor*
when it keeps full marks.  Survivors listed in ``EQUIVALENT`` (with the reason no observable
behaviour under the contract changes) are not counted; the score is killed / (mutants −
equivalent).  Run with ``--show-survivors`` to read the ones left.
"""
from __future__ import annotations

import argparse
import ast
import copy
import io
import json
import sys
import tempfile
import time
from pathlib import Path

from autograder.batch.progress import Progress
from autograder.batch.run import run_batch
from autograder.kit import Kit
from autograder.release.stubgen import BEGIN, END

SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Lt: ast.LtE, ast.LtE: ast.Lt,
         ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.And: ast.Or, ast.Or: ast.And,
         ast.FloorDiv: ast.Div, ast.Pow: ast.Mult}
NAMES = {"sum": "mean", "mean": "sum", "max": "min", "min": "max", "amax": "amin", "amin": "amax",
         "zeros": "ones", "ones": "zeros", "zeros_like": "ones_like", "ones_like": "zeros_like",
         "new_zeros": "new_ones", "new_ones": "new_zeros", "maximum": "minimum", "minimum": "maximum"}
AXES = {0: 1, 1: 0, -1: 0}

# (exercise, mutant description) -> why it is equivalent under the contract.  Descriptions name
# solution lines: when a solution is edited, rerun with --show-survivors and update them.
RELU_AT_ZERO = "the mask at h == 0 exactly: ReLU's subgradient there is a convention (both are accepted)"
EQUIVALENT: dict[tuple[str, str], str] = {
    ("exercise0", "line 75: LtE -> Lt"): "huber_loss at |d| == delta: both branches give ½δ² (and the same gradient)",
    ("exercise0", "line 93: GtE -> Gt"): "sigmoid at x == 0: both branches give 0.5",
    ("exercise0", "line 93: 0 -> -1 (2)"): "sigmoid's x >= 0 branch clamps at -1 instead of 0: it is used only where x >= 0, "
                                        "and exp(1) is as safe as exp(0) where it is not",
    ("exercise0", "line 92: 0 -> 1"): "sigmoid's x < 0 branch clamps at 1 instead of 0: used only where x < 0; exp(1) is safe",
    ("exercise1", "line 76: Lt -> LtE"): RELU_AT_ZERO,
    ("exercise2", "line 55: Lt -> LtE"): RELU_AT_ZERO,
    ("exercise2", "line 87: .zeros_like -> .ones_like"): "numerical_gradient writes every entry of grad before returning it",
    ("exercise2", "line 208: Pow -> Mult"): "y2 is computed under no_grad: its value never reaches xg.grad",
    ("exercise2", "line 208: 3 -> 4"): "y2 is computed under no_grad: its value never reaches xg.grad",
    ("exercise2", "line 208: 3 -> 2"): "y2 is computed under no_grad: its value never reaches xg.grad",
    ("exercise2", "line 209: Add -> Sub"): "y3 = y1 - y2 has the same gradient as y1 + y2: y2 is a constant to autograd",
    ("exercise3", "line 68: 0 -> -1"): "args[-1] is args[0] where it is read: only when len(args) == 1",
    ("exercise3", "line 69: 0 -> -1"): "args[-1] is args[0] where it is read: only when len(args) == 1",
    ("exercise3", "line 113: Gt -> GtE"): "the halving loop differs only when X.abs().sum() is exactly 1",
    ("exercise3", "line 208: GtE -> Gt"): "my_init differs only for a weight drawn exactly at ±5 (probability 0 in float32)",
    ("exercise5", "line 31: .new_zeros -> .new_ones"): "pool2d writes every entry of Y before returning it",
    ("exercise5", "line 65: .new_zeros -> .new_ones"): "pool2d_strided writes every entry of Y before returning it",
    ("exercise5", "line 70: 0 -> -1"): "Y[-1] is Y[0] where it is read: a 2-D input has one channel",
    ("exercise5", "line 63: 2 -> 3"): "a padded buffer taller than needed: its extra rows are never read by a window",
    ("exercise5", "line 63: 2 -> 3 (2)"): "a padded buffer wider than needed: its extra columns are never read by a window",
    ("exercise7", "line 32: Add -> Sub"): "zero-mean Gaussian noise subtracted has the distribution of the noise added",
    **{("exercise7", d): "train_linear_regression's starting weights are the student's choice; SGD converges from these too"
       for d in ("line 87: 0 -> -1", "line 87: 0.01 -> 1.01", "line 88: 0 -> -1", "line 87: statement deleted",
                 "line 88: statement deleted")},
    **{("exercise7", d): "the contract does not say what dropout_layer does for p outside [0, 1]"
       for d in ("line 130: 0 -> -1", "line 130: 1 -> 2", "line 130: statement deleted")},
    **{("exercise7", d): "without the p == 0 shortcut the mask torch.rand(...) > 0 keeps every element (a draw of "
                         "exactly 0 has probability 2^-24) and X / 1 is X"
       for d in ("line 133: 0 -> 1", "line 133: 0 -> -1", "line 133: statement deleted")},
    ("exercise7", "line 135: Gt -> GtE"): "the mask differs only for a draw exactly equal to p",
    **{("exercise7", d): "train_linear_regression's starting weights are the student's choice; SGD converges from these too"
       for d in ("line 87: 0 -> 1", "line 88: 0 -> 1")},
    **{("exercise7", d): "net[-1] is net[0]: the Sequential has one layer"
       for d in ("line 87: 0 -> -1 (2)", "line 88: 0 -> -1 (2)")},
    ("exercise4", "line 37: .new_zeros -> .new_ones"): "corr2d writes every entry of Y before returning it",
    ("exercise4", "line 173: .new_zeros -> .new_ones"): "corr2d_strided writes every entry of Y before returning it",
    ("exercise4", "line 82: statement deleted"): "learn_kernel without reshaping Y: (h, w) - (1, 1, h, w) broadcasts, and "
                                                 "the summed loss and its gradient are the same",
    ("exercise4", "line 82: 2 -> 3"): "Y reshaped to (1, h, w) instead of (h, w): broadcasting gives the same loss",
    ("exercise4", "line 171: 2 -> 3"): "a padded buffer taller than needed: its extra rows are never read",
    ("exercise4", "line 171: 2 -> 3 (2)"): "a padded buffer wider than needed: its extra columns are never read",
}


def regions(source: str) -> list[tuple[int, int]]:
    """1-based line ranges strictly inside each solution region."""
    found, start = [], None
    for number, line in enumerate(source.splitlines(), start=1):
        if line.strip().startswith(BEGIN):
            start = number
        elif line.strip().startswith(END) and start is not None:
            found.append((start + 1, number - 1))
            start = None
    return found


def _inside(node: ast.AST, spans: list[tuple[int, int]]) -> bool:
    line = getattr(node, "lineno", None)
    return line is not None and any(a <= line <= b for a, b in spans)


def _sites(tree: ast.Module, spans: list[tuple[int, int]]):
    """(path to a node, mutation, description) for every mutation of every node in a region."""
    for node in ast.walk(tree):
        if not _inside(node, spans):
            continue
        where = f"line {node.lineno}"
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in SWAPS:
            yield node, ("op", SWAPS[type(node.op)]), f"{where}: {type(node.op).__name__} -> {SWAPS[type(node.op)].__name__}"
        if isinstance(node, ast.BoolOp) and type(node.op) in SWAPS:
            yield node, ("op", SWAPS[type(node.op)]), f"{where}: {type(node.op).__name__} -> {SWAPS[type(node.op)].__name__}"
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in SWAPS:
            yield node, ("cmp", SWAPS[type(node.ops[0])]), f"{where}: {type(node.ops[0]).__name__} -> {SWAPS[type(node.ops[0])].__name__}"
        if isinstance(node, ast.Constant) and type(node.value) in (int, float) and not isinstance(node.value, bool):
            for delta in (1, -1):
                yield node, ("const", node.value + delta), f"{where}: {node.value!r} -> {node.value + delta!r}"
        if isinstance(node, ast.Slice):
            for part in ("lower", "upper"):
                if getattr(node, part) is not None:
                    yield node, ("slice", part), f"{where}: slice {part} + 1"
        if isinstance(node, ast.Attribute) and node.attr in NAMES:
            yield node, ("attr", NAMES[node.attr]), f"{where}: .{node.attr} -> .{NAMES[node.attr]}"
        if isinstance(node, ast.Attribute) and node.attr == "T":
            yield node, ("drop_attr", None), f"{where}: .T dropped"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "t" and not node.args:
            yield node, ("drop_call", None), f"{where}: .t() dropped"
        if isinstance(node, ast.keyword) and node.arg in ("dim", "axis") and isinstance(node.value, ast.Constant) \
                and node.value.value in AXES:
            yield node, ("axis", AXES[node.value.value]), f"{where}: {node.arg}={node.value.value} -> {AXES[node.value.value]}"
    for node in ast.walk(tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            for i, stmt in enumerate(block[:-1]):  # never the last statement (often the return)
                if _inside(stmt, spans) and not isinstance(stmt, ast.Pass):
                    yield (node, field, i), ("delete", None), f"line {stmt.lineno}: statement deleted"


def _apply(tree: ast.Module, target, mutation) -> ast.Module:
    """A deep copy of ``tree`` with ``mutation`` applied at ``target`` (found again by position)."""
    index = {id(n): i for i, n in enumerate(ast.walk(tree))}
    mutant = copy.deepcopy(tree)
    nodes = list(ast.walk(mutant))
    kind, value = mutation
    if kind == "delete":
        parent, field, i = target
        getattr(nodes[index[id(parent)]], field)[i] = ast.Pass()
        return ast.fix_missing_locations(mutant)
    node = nodes[index[id(target)]]
    if kind in ("op",):
        node.op = value()
    elif kind == "cmp":
        node.ops = [value()]
    elif kind == "const":
        node.value = value
    elif kind == "slice":
        bound = getattr(node, value)
        setattr(node, value, ast.BinOp(left=bound, op=ast.Add(), right=ast.Constant(1)))
    elif kind == "attr":
        node.attr = value
    elif kind == "axis":
        node.value = ast.Constant(value)
    elif kind in ("drop_attr", "drop_call"):
        replacement = node.value if kind == "drop_attr" else node.func.value
        for parent in ast.walk(mutant):
            for field, child in ast.iter_fields(parent):
                if child is node:
                    setattr(parent, field, replacement)
                elif isinstance(child, list):
                    for j, item in enumerate(child):
                        if item is node:
                            child[j] = replacement
    return ast.fix_missing_locations(mutant)


def mutants(source: str) -> list[tuple[str, str]]:
    """(description, mutated source) for every first-order mutant of the solution regions."""
    tree = ast.parse(source)
    spans = regions(source)
    found, seen = [], {ast.unparse(tree)}
    for target, mutation, description in _sites(tree, spans):
        try:
            text = ast.unparse(_apply(tree, target, mutation))
            compile(text, "<mutant>", "exec")
        except (SyntaxError, ValueError, TypeError):
            continue
        if text not in seen:  # two mutations that give the same program are one mutant
            seen.add(text)
            same = sum(d == description or d.startswith(description + " (") for d, _ in found)
            found.append((description if not same else f"{description} ({same + 1})", text))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercises", default="0,1,2,3,4,5,7")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--limit", type=int, default=None, help="at most N mutants per exercise (a quick run)")
    parser.add_argument("--show-survivors", action="store_true")
    args = parser.parse_args()
    kit = Kit.installed()
    table = []
    for name in args.exercises.split(","):
        ex = kit.find(name.strip())
        source = kit.solution_path(ex).read_text(encoding="utf-8")
        found = mutants(source)[:args.limit]
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"torchgrade-mutants-{ex.id}-") as tmp:
            class_dir = Path(tmp) / "submissions"
            for i, (_, text) in enumerate(found):
                folder = class_dir / f"m{i:04d}" / "exercises"
                folder.mkdir(parents=True)
                (folder / f"{ex.module}.py").write_text(text, encoding="utf-8")
            out = Path(tmp) / "out"
            run_batch(class_dir, out=out, exercises=[ex.id], jobs=args.jobs, sandbox="none", kit=kit,
                      progress=Progress(len(found), stream=io.StringIO(), terminal=False))  # one line per exercise here
            scores = {}
            for i, (description, _) in enumerate(found):
                feedback = json.loads((out / "feedback" / f"m{i:04d}.json").read_text())
                document = feedback["document"]
                scores[description] = document["score"] if document else None
        # a mutant the batch could not grade (an infrastructure error) is neither killed nor a survivor
        ungraded = [d for d, score in scores.items() if score is None]
        found = [(d, t) for d, t in found if scores[d] is not None]
        if ungraded:
            print(f"{ex.id}: {len(ungraded)} mutants not graded (left out): {ungraded[:5]}", flush=True)
        survivors = [d for d, score in scores.items() if score == ex.max_score]
        equivalent = [d for d in survivors if (ex.id, d) in EQUIVALENT]
        gaps = [d for d in survivors if (ex.id, d) not in EQUIVALENT]
        counted = len(found) - len(equivalent)
        score = (counted - len(gaps)) / counted if counted else 1.0
        table.append((ex.id, len(found), len(survivors), len(equivalent), score, time.perf_counter() - started))
        print(f"{ex.id}: {len(found)} mutants, {len(survivors)} survivors ({len(equivalent)} accepted as equivalent), "
              f"score {score:.1%}, {time.perf_counter() - started:.0f} s", flush=True)
        if args.show_survivors:
            for d in gaps:
                print(f"    survivor: {d}")
    killed = sum(n - s for _, n, s, _, _, _ in table)
    counted = sum(n - e for _, n, _, e, _, _ in table)
    print(f"all: {killed}/{counted} non-equivalent mutants lose points ({killed / counted:.1%})" if counted else "no mutants")


if __name__ == "__main__":
    sys.exit(main())
