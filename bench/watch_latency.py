"""How long `grade EXERCISE --watch` takes to show a new result after a save.

Usage: python bench/watch_latency.py [--saves 3] [EXERCISE ...]   (default: exercises 0-5 and 7)

For each exercise, a copy of the reference is watched (``autograder.watch.watch``, the
default sandbox); after the first result the file is "saved" (its modification time moved)
``--saves`` times, and the time from each save to the next result is taken, median quoted.
The first run (the launcher starting, torch imported) is timed apart.  Target: a re-grade
after a save ≤ 0.5 s.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from autograder.kit import Kit
from autograder.watch import watch


def measure(kit: Kit, exercise_id: str, saves: int) -> tuple[float, list[float]]:
    ex = kit.find(exercise_id)
    with tempfile.TemporaryDirectory(prefix="torchgrade-watch-") as tmp:
        (Path(tmp) / "exercises").mkdir()
        module = Path(tmp) / "exercises" / f"{ex.module}.py"
        shutil.copy(kit.solution_path(ex), module)
        started, first, after = time.perf_counter(), [], []
        saved_at = [0.0]

        def on_result(document: dict, changed: dict) -> None:
            now = time.perf_counter()
            if not first:
                first.append(now - started)
            else:
                after.append(now - saved_at[0])
            if len(after) < saves:  # save again
                stat = module.stat()
                saved_at[0] = time.perf_counter()
                os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        watch(ex.id, on_result=on_result, submission=tmp, runs=saves + 1, poll_s=0.02)
    return first[0], after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercises", nargs="*", default=["exercise0", "exercise1", "exercise2", "exercise3",
                                                         "exercise4", "exercise5", "exercise7"])
    parser.add_argument("--saves", type=int, default=3)
    args = parser.parse_args()
    kit = Kit.installed()
    for exercise_id in args.exercises:
        first, after = measure(kit, exercise_id, args.saves)
        print(f"{exercise_id}: first run {first:.2f} s; after a save: median {statistics.median(after):.2f} s "
              f"({', '.join(f'{a:.2f}' for a in after)})", flush=True)


if __name__ == "__main__":
    sys.exit(main())
