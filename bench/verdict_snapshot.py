"""Grade a fixed set of submissions and write their canonical documents, durations removed.

Usage: python bench/verdict_snapshot.py --out DIR [EXERCISE ...]
       diff -r BEFORE AFTER

For every exercise: the reference solution, the stub and three known wrong implementations
(mutants of the reference, below).  Two snapshots taken before and after a change to the
engine must be identical unless the change was meant to alter a verdict: this is how a
refactor proves that it changed nothing a student sees.  Durations and the machine's
environment are dropped; everything else (status, score, message, hint, reproduce,
sandbox, details) is kept.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

import autograder
from autograder.kit import Kit

# exercise -> name -> [(old, new)] replacements in the reference; each old must occur.
MUTANTS = {
    "exercise0": {
        "l2_without_half": [("return _reduce(0.5 * (y_hat - y) ** 2, reduction)",
                             "return _reduce((y_hat - y) ** 2, reduction)")],
        "naive_sigmoid": [("    return 2 * sigmoid(2 * x) - 1\n",
                           "    return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))\n")],
        "relu_on_cpu": [("    return x.clamp(min=0)\n",
                         "    return torch.where(x > 0, x, torch.zeros(x.shape, dtype=x.dtype))\n")],
    },
    "exercise1": {
        "relu_mask_missing": [("    grad_h[h < 0] = 0\n", "")],
        "loss_averaged": [("return float(np.square(y_pred - y).sum())", "return float(np.square(y_pred - y).mean())")],
        "sgd_up": [("w1 = w1 - lr * grad_w1", "w1 = w1 + lr * grad_w1"),
                   ("w2 = w2 - lr * grad_w2", "w2 = w2 + lr * grad_w2")],
    },
    "exercise2": {
        "factor2": [("grad_y_pred = 2.0 * (y_pred - y)", "grad_y_pred = y_pred - y")],
        "forward_differences": [("grad[index] = (f_plus - f_minus) / (2 * eps)", "grad[index] = (f_plus - f_minus) / eps")],
        "no_sigmoid_derivative": [("grad_z = (grad_output @ W1.T) * hidden * (1 - hidden)", "grad_z = grad_output @ W1.T")],
    },
    "exercise3": {
        "data_in_forward": [("linear = torch.matmul(X, self.weight) + self.bias",
                             "linear = torch.matmul(X, self.weight.data) + self.bias.data")],
        "untied": [("shared, nn.ReLU(), shared, nn.ReLU()", "shared, nn.ReLU(), nn.Linear(8, 8), nn.ReLU()")],
        "centered_per_column": [("return X - X.mean()", "return X - X.mean(dim=0)")],
    },
    "exercise4": {
        "torch_zeros": [("Y = X.new_zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))",
                         "Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))")],
        "flipped_kernel": [("(X[i:i + h, j:j + w] * K).sum()", "(X[i:i + h, j:j + w] * K.flip((0, 1))).sum()")],
        "conv2d_builtin": [("import torch\n", "import torch\nimport torch.nn.functional as F\n"),
                           ("(X[i:i + h, j:j + w] * K).sum()", "F.conv2d(X[None, None], K[None, None])[0, 0][i, j]")],
    },
    "exercise5": {
        "avg_as_sum": [("X[i:i + p_h, j:j + p_w].mean()", "X[i:i + p_h, j:j + p_w].sum()")],
        "zero_padding_for_max": [('fill = float("-inf") if mode == "max" else 0.0', "fill = 0.0")],
        "wrong_axes": [("X[i:i + p_h, j:j + p_w]", "X[i:i + p_w, j:j + p_h]")],
    },
    "exercise6": {
        "fizz_buzz_swapped": [("        return 2\n", "        return 9\n"), ("        return 1\n", "        return 2\n"),
                              ("        return 9\n", "        return 1\n")],
        "msb_first": [("return np.array([i >> d & 1 for d in range(num_digits)])",
                       "return np.array([i >> d & 1 for d in reversed(range(num_digits))])")],
        "trains_on_1_to_100": [("numbers = range(101, 2 ** num_digits)", "numbers = range(1, 2 ** num_digits)")],
    },
    "exercise7": {
        "no_shuffle": [("data.DataLoader(dataset, batch_size, shuffle=is_train)",
                        "data.DataLoader(dataset, batch_size, shuffle=False)")],
        "dropout_unscaled": [("return mask * X / (1.0 - p)", "return mask * X")],
        "l2_penalty_without_half": [("return torch.sum(w.pow(2)) / 2", "return torch.sum(w.pow(2))")],
    },
}

DROPPED = ("duration_s", "worker_s", "environment", "time_s", "train_cpu_s")  # timings, and the machine
SECONDS = re.compile(r"\b\d+\.\d+ s\b")  # "time used: 5.2 s of the 60 s budget"


def _scrub(value):
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if k not in DROPPED}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, str):
        return SECONDS.sub("<t> s", value)
    return value


def submissions(kit: Kit, exercise_id: str, scratch: Path) -> dict[str, Path]:
    """name -> a folder holding that submission of the exercise's module."""
    ex = kit.find(exercise_id)
    solution = kit.solution_path(ex).read_text(encoding="utf-8")
    found = {"reference": kit.solution_path(ex).parent, "stub": kit.stub_path(ex).parent}
    for name, replacements in MUTANTS[exercise_id].items():
        source = solution
        for old, new in replacements:
            if old not in source:
                raise SystemExit(f"{exercise_id}/{name}: {old!r} is not in the reference")
            source = source.replace(old, new)
        folder = scratch / exercise_id / name
        folder.mkdir(parents=True)
        (folder / f"{ex.module}.py").write_text(source, encoding="utf-8")
        found[name] = folder
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("exercises", nargs="*", default=list(MUTANTS))
    args = parser.parse_args()
    kit = Kit.installed()
    args.out.mkdir(parents=True, exist_ok=True)
    # a fixed folder: the documents' reproduce lines name it
    scratch = Path(tempfile.gettempdir()) / "torchgrade-snapshot"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        for exercise_id in args.exercises:
            for name, folder in submissions(kit, exercise_id, scratch).items():
                document = autograder.grade(exercise_id, submission=folder, kit=kit)
                path = args.out / f"{exercise_id}-{name}.json"
                path.write_text(json.dumps(_scrub(document), indent=1, sort_keys=True) + "\n", encoding="utf-8")
                print(f"{path.name}: {document['score']:g}/{document['max_score']:g}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
