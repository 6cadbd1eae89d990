"""Look-alike detection: copydetect against the kit's normalised-AST fingerprints, measured.

Usage: python bench/similarity.py [--class-size 300]

* Copies: every reference solution (exercises 0-5, 7) and every independent exercise1
  solution of tests/batch/independent, copied four ways: variables renamed, reformatted
  (re-laid out, comments added), functions reordered, and all three at once.  A detector
  should score each copy close to 1 against its original.
* Independent solutions: the seven exercise1 styles and the reference, pairwise; the
  vectorised exercise4/5 solutions of tests/suites/vectorised against the references.  A
  detector should score these low.
* Speed: a class of --class-size exercise1 submissions (independent styles, each with
  mutations, and some copies), every pair compared.

For each method: the lowest copy score, the highest independent score (separation when the
first is above the second), how many of each fall on the right side of the threshold, and
the seconds for the class.
"""
from __future__ import annotations

import argparse
import ast
import io
import random
import sys
import time
from pathlib import Path

from autograder.batch import similarity
from autograder.kit import Kit

KIT = Kit.installed()
TESTS = Path(__file__).resolve().parent.parent / "tests"
INDEPENDENT = TESTS / "batch" / "independent"
VECTORISED = TESTS / "suites" / "vectorised"
COPYDETECT_K, COPYDETECT_WINDOW = 25, 6  # copydetect's defaults (noise 25, guarantee 30)


def _independent_module():
    import importlib.util
    spec = importlib.util.spec_from_file_location("independent_bodies", INDEPENDENT / "bodies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Rename(ast.NodeTransformer):
    """Every local name and parameter renamed (the API's function names stay)."""

    def __init__(self, keep: set[str]) -> None:
        self.keep, self.names = keep, {}

    def _new(self, name: str) -> str:
        return name if name in self.keep else self.names.setdefault(name, f"q{len(self.names)}_{name[::-1]}")

    def visit_Name(self, node: ast.Name) -> ast.AST:
        node.id = self._new(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg = self._new(node.arg)
        return node


def renamed(source: str) -> str:
    tree = ast.parse(source)
    keep = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))} | set(dir(__builtins__))
    keep |= {a.asname or a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    keep |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    return ast.unparse(_Rename(keep).visit(tree))


def reformatted(source: str) -> str:
    out = []
    for line in ast.unparse(ast.parse(source)).splitlines():
        out.append(line)
        if line.lstrip().startswith("def "):
            out.append(" " * (len(line) - len(line.lstrip()) + 4) + "# my own work, honestly")
            out.append("")
    return "\n".join(out) + "\n"


def reordered(source: str, seed: int = 0) -> str:
    tree = ast.parse(source)
    head = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    random.Random(seed).shuffle(defs)
    tree.body = head + defs
    return ast.unparse(tree)


COPIES = {"renamed": renamed, "reformatted": reformatted, "reordered": reordered,
          "all three": lambda s: reordered(reformatted(renamed(s)), seed=1)}


def cases() -> tuple[list, list]:
    """(copies, independents): lists of (label, source a, source b, stub)."""
    copies, independents = [], []
    bodies = _independent_module()
    for ex in KIT.exercises:
        if ex.id == "exercise6":
            continue
        stub = KIT.stub_path(ex).read_text()
        source = KIT.solution_path(ex).read_text()
        for how, copy in COPIES.items():
            copies.append((f"{ex.id} reference, {how}", source, copy(source), stub))
    stub1 = KIT.stub_path(KIT.find("exercise1")).read_text()
    styles = {style: bodies.make_submission(stub1, style) for style in bodies.STYLES}
    styles["reference"] = KIT.solution_path(KIT.find("exercise1")).read_text()
    for style, source in styles.items():
        if style != "reference":
            for how, copy in COPIES.items():
                copies.append((f"exercise1 {style}, {how}", source, copy(source), stub1))
    names = sorted(styles)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            independents.append((f"exercise1 {a} / {b}", styles[a], styles[b], stub1))
    for ex in ("exercise4", "exercise5"):
        e = KIT.find(ex)
        independents.append((f"{ex} reference / vectorised", KIT.solution_path(e).read_text(),
                             (VECTORISED / f"{e.module}.py").read_text(), KIT.stub_path(e).read_text()))
    return copies, independents


def ours(a: str, b: str, stub: str) -> float:
    boiler = similarity.template_hashes(stub)
    fa, fb = similarity.fingerprint("a", a, boilerplate=boiler), similarity.fingerprint("b", b, boilerplate=boiler)
    pairs = similarity.similar_pairs([fa, fb], threshold=0.0)
    return pairs[0].similarity if pairs else 0.0


def copydetect_score(a: str, b: str, stub: str) -> float:
    from copydetect import CodeFingerprint, compare_files
    boiler = CodeFingerprint("stub.py", COPYDETECT_K, COPYDETECT_WINDOW, fp=io.StringIO(stub)).hashes
    fa = CodeFingerprint("a.py", COPYDETECT_K, COPYDETECT_WINDOW, boilerplate=list(boiler), fp=io.StringIO(a))
    fb = CodeFingerprint("b.py", COPYDETECT_K, COPYDETECT_WINDOW, boilerplate=list(boiler), fp=io.StringIO(b))
    _, (sim_a, sim_b), _ = compare_files(fa, fb)
    return float(max(sim_a, sim_b))


def klass(size: int) -> list[tuple[str, str]]:
    """A class of exercise1 submissions: the independent styles with mutations, and copies."""
    bodies = _independent_module()
    stub = KIT.stub_path(KIT.find("exercise1")).read_text()
    rng = random.Random(7)
    out = []
    for i in range(size):
        style = rng.choice(sorted(bodies.STYLES))
        source = bodies.make_submission(stub, style).replace("return", f"return  # {i}", 1)
        if i % 10 == 9:
            source = COPIES["all three"](out[rng.randrange(len(out))][1])
        out.append((f"s{i:03d}", source))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--class-size", type=int, default=300)
    args = parser.parse_args()
    copies, independents = cases()
    methods = {"normalised AST (kit)": ours, "copydetect": copydetect_score}
    threshold = similarity.THRESHOLD
    print(f"{len(copies)} copies, {len(independents)} independent pairs; threshold {threshold}")
    for label, score in methods.items():
        c = [(score(a, b, s), what) for what, a, b, s in copies]
        i = [(score(a, b, s), what) for what, a, b, s in independents]
        low, high = min(c), max(i)
        print(f"\n{label}:")
        print(f"  copies:      lowest {low[0]:.2f} ({low[1]}); {sum(x >= threshold for x, _ in c)}/{len(c)} flagged")
        print(f"  independent: highest {high[0]:.2f} ({high[1]}); {sum(x < threshold for x, _ in i)}/{len(i)} "
              "left alone")
        for how in COPIES:
            scores = [x for x, what in c if what.endswith(how)]
            print(f"    {how:<12} copies: mean {sum(scores) / len(scores):.2f}, min {min(scores):.2f}")
    members = klass(args.class_size)
    stub = KIT.stub_path(KIT.find("exercise1")).read_text()
    start = time.perf_counter()
    boiler = similarity.template_hashes(stub)
    pairs = similarity.similar_pairs([similarity.fingerprint(n, s, boilerplate=boiler) for n, s in members])
    ours_s = time.perf_counter() - start
    print(f"\nclass of {len(members)} exercise1 submissions: kit {ours_s:.2f} s ({len(pairs)} pairs flagged)", end="")
    sys.stdout.flush()
    from copydetect import CodeFingerprint, compare_files
    start = time.perf_counter()
    cd_boiler = list(CodeFingerprint("stub.py", COPYDETECT_K, COPYDETECT_WINDOW, fp=io.StringIO(stub)).hashes)
    prints = [CodeFingerprint(f"{n}.py", COPYDETECT_K, COPYDETECT_WINDOW, boilerplate=cd_boiler, fp=io.StringIO(s))
              for n, s in members]
    flagged = 0
    for x in range(len(prints)):
        for y in range(x + 1, len(prints)):
            _, sims, _ = compare_files(prints[x], prints[y])
            flagged += max(sims) >= threshold
    print(f"; copydetect {time.perf_counter() - start:.2f} s ({flagged} pairs flagged)")


if __name__ == "__main__":
    main()
