"""Where the time of `grade EXERCISE --submission solutions` goes: the checks, slowest first,
and the rest (interpreter and pytest start-up, the parent's torch import, the first wait for
the zygote, closing down).

Usage: python bench/check_durations.py [--runs 3] [--top 10] EXERCISE [EXERCISE ...]

Each run is a fresh `python -m autograder EXERCISE --format json`, as a student runs it; the
per-check figures are the report's `duration_s` (setup included), medians over the runs.
Use it to find what to make faster; `grade_latency.py` says whether it is fast enough.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from autograder.kit import Kit
from autograder.registry import Exercise

KIT = Kit.installed()


def run_once(exercise: Exercise) -> tuple[float, dict[str, float]]:
    command = [sys.executable, "-m", "autograder", exercise.id, "--submission", str(KIT.solutions_dir),
               "--format", "json"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr}")
    document = json.loads(done.stdout)
    return wall, {check["id"]: float(check["duration_s"]) for ex in document["exercises"] for check in ex["checks"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--top", type=int, default=10, help="how many checks to list")
    parser.add_argument("exercises", nargs="+")
    args = parser.parse_args()
    for name in args.exercises:
        exercise = KIT.find(name)
        run_once(exercise)  # warm the page cache
        walls, durations = [], {}
        for _ in range(args.runs):
            wall, checks = run_once(exercise)
            walls.append(wall)
            for cid, seconds in checks.items():
                durations.setdefault(cid, []).append(seconds)
        medians = {cid: statistics.median(values) for cid, values in durations.items()}
        wall = statistics.median(walls)
        in_checks = sum(medians.values())
        print(f"{exercise.id}: {wall:.2f} s wall = {in_checks:.2f} s in {len(medians)} checks "
              f"+ {wall - in_checks:.2f} s start-up and closing")
        for cid, seconds in sorted(medians.items(), key=lambda item: -item[1])[:args.top]:
            print(f"  {seconds:6.3f} s  {cid}")


if __name__ == "__main__":
    main()
