"""Median wall time of `grade EXERCISE --submission solutions` next to `python -c "import torch"`.

Usage: python bench/grade_latency.py [--runs 5] [--level LEVEL] [--lang en|zh] [--stubs] [EXERCISE ...]

``--level`` forces one isolation level for the graded runs (``bubblewrap``, ``unshare``,
``rlimits``, or ``none`` for ``--sandbox none``) through ``TORCHGRADE_FORCE_PLAN``, so the
levels can be compared on one machine; the default is what ``grade`` picks here.  ``--lang zh``
grades with the feedback in Chinese, and ``--stubs`` grades the stubs instead of the solutions
(every check fails, so every message is translated: the worst case for ``--lang zh``).

The two commands are timed alternately in one run, so machine noise hits both alike; the
ratio is what to compare across machines.  Target: ratio <= 1.5 (the worker's torch import
overlaps the parent's start-up instead of following it).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from autograder.kit import Kit
from autograder.sandbox.isolation import FORCE_PLAN

KIT = Kit.installed()


def wall(command: list[str], env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--level", choices=["bubblewrap", "unshare", "rlimits", "none"], default=None)
    parser.add_argument("--lang", choices=["en", "zh"], default="en")
    parser.add_argument("--stubs", action="store_true", help="grade exercises/ (the stubs), not solutions/")
    parser.add_argument("exercises", nargs="*", default=[ex.id for ex in KIT.exercises])
    args = parser.parse_args()
    env = dict(os.environ, **({FORCE_PLAN: args.level} if args.level not in (None, "none") else {}))
    level = ["--sandbox", "none"] if args.level == "none" else []
    torch_import = [sys.executable, "-c", "import torch"]
    print(f"{'exercise':<12} {'grade (s)':>10} {'import torch (s)':>17} {'ratio':>6}  note")
    for name in args.exercises:
        exercise = KIT.find(name)
        submission = KIT.stubs_dir if args.stubs else KIT.solutions_dir
        command = [sys.executable, "-m", "autograder", exercise.id, "--submission", str(submission), *level,
                   "--lang", args.lang]
        wall(command, env)  # warm the page cache once
        grades, imports = [], []
        for _ in range(args.runs):
            grades.append(wall(command, env))
            imports.append(wall(torch_import))
        g, t = statistics.median(grades), statistics.median(imports)
        note = f"training budget {exercise.budget_s:g} s" if exercise.budget_s else ""
        print(f"{exercise.id:<12} {g:>10.2f} {t:>17.2f} {g / t:>6.2f}  {note}", flush=True)


if __name__ == "__main__":
    main()
