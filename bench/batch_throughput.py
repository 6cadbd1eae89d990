"""Throughput of `grade batch` against the naive loop, everything in one run on this machine.

Usage: python bench/batch_throughput.py [--students 100] [--naive-sample N] [--exercise6 N] [--jobs N]
       python bench/batch_throughput.py --scheduler local [--students 40] [--workers 1,2]

Generates N submissions of exercises 0-5 and 7 (each one unique, so nothing is shared): for
each exercise the reference (60 %), one of bench/verdict_snapshot.py's known wrong
implementations (30 %), a slow one (5 %: its import sleeps 0.3 s) or a crashing one (5 %:
one function calls os._exit).  Then times:

* the naive way: `grade EXERCISE --submission S` per submission and exercise, `--jobs` at a
  time (what `xargs -P` gives); with --naive-sample N only the first N students are timed
  and the time is scaled to all of them (each run is independent);
* `grade batch` with the same parallelism, and an unchanged rerun;
* the compute floor: the CPU time spent inside the workers (student code and the grader's
  drivers, the checks' ``worker_s``) summed over every check, ÷ jobs; the same with the
  grader's own side of the checks (oracles, comparisons, pytest: duration minus worker
  time); and one start-up (a `grade exercise0 -k relu` run).

Targets: batch ≥ 3× faster than the naive way; batch wall ≤ 1.3 × (floor + one start-up);
an unchanged rerun of 100 students ≤ 2 s.  Exercise 6 (training dominates) is measured
apart, with --exercise6 N students.

With ``--scheduler local`` it times ``grade batch --scheduler`` on a Dask ``LocalCluster``
started by the bench (N worker processes, one lane each, as the README's worker command
makes them), for each N of --workers, against the local batch with as many lanes as the
largest N, all on the same generated class.  Each cluster is started just before its batch
(its lanes warm up while the batch reads the submissions, as local lanes do) and its start
is timed apart.  Targets: 1 → 2 workers on this 2-core machine ≥ 1.7× faster; a 2-worker
cluster ≤ 1.15 × the local batch with 2 lanes.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from verdict_snapshot import MUTANTS  # this folder: the kit's known wrong implementations

from autograder.kit import Kit

KIT = Kit.installed()
EXERCISES = ["exercise0", "exercise1", "exercise2", "exercise3", "exercise4", "exercise5", "exercise7"]
GRADE = [sys.executable, "-m", "autograder"]


def variant(exercise: str, i: int) -> tuple[str, str]:
    """(kind, source) of student ``i``'s module for ``exercise``."""
    source = KIT.solution_path(KIT.find(exercise)).read_text(encoding="utf-8")
    roll = (i * 7 + int(KIT.find(exercise).number) * 3) % 20
    kind = "reference" if roll < 12 else "wrong" if roll < 18 else "slow" if roll == 18 else "crash"
    if kind == "wrong":
        mutants = list(MUTANTS[exercise].values())
        for old, new in mutants[i % len(mutants)]:
            source = source.replace(old, new)
    elif kind == "slow":
        source = "import time\ntime.sleep(0.3)\n" + source
    elif kind == "crash":
        first = re.search(r"^def (\w+)\(", source, re.M).group(1)
        source += f"\n\ndef {first}(*args, **kwargs):\n    import os\n    os._exit(3)\n"
    return kind, f"# student {i}\n{source}"


def generate(root: Path, students: int, exercises: list[str]) -> dict:
    kinds: dict[str, int] = {}
    for i in range(students):
        folder = root / f"student{i:03d}" / "exercises"
        folder.mkdir(parents=True)
        for exercise in exercises:
            kind, source = variant(exercise, i)
            kinds[kind] = kinds.get(kind, 0) + 1
            (folder / f"{KIT.find(exercise).module}.py").write_text(source, encoding="utf-8")
    return kinds


def wall(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    return time.perf_counter() - start, done.stdout + done.stderr


def naive(subs: Path, students: list[str], exercises: list[str], jobs: int) -> float:
    commands = [[*GRADE, ex, "--submission", str(subs / s), "--format", "json"] for s in students for ex in exercises]
    start = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(lambda c: subprocess.run(c, capture_output=True), commands))
    return time.perf_counter() - start


def worker_seconds(out: Path) -> tuple[float, float]:
    """(seconds in workers, seconds in the grader's own process) over every check graded."""
    db = sqlite3.connect(out / "gradebook.sqlite")
    inside = outside = 0.0
    for (document,) in db.execute("SELECT document FROM gradings WHERE document IS NOT NULL"):
        for ex in json.loads(document)["exercises"]:
            for check in ex["checks"]:
                inside += check.get("worker_s", 0.0)
                outside += check["duration_s"] - check.get("worker_s", 0.0)
    db.close()
    return inside, outside


def measure(students: int, exercises: list[str], jobs: int, naive_sample: int | None) -> None:
    root = Path(tempfile.mkdtemp(prefix="torchgrade-throughput-"))
    try:
        subs = root / "subs"
        kinds = generate(subs, students, exercises)
        names = sorted(p.name for p in subs.iterdir())
        print(f"{students} students × {len(exercises)} exercises ({', '.join(exercises)}): "
              + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())), flush=True)
        startup, _ = wall([*GRADE, "exercise0", "--submission", str(KIT.solutions_dir), "-k", "relu"])
        sample = names[:naive_sample] if naive_sample else names
        naive_s = naive(subs, sample, exercises, jobs) * len(names) / len(sample)
        scaled = f" (timed on {len(sample)} students, scaled)" if len(sample) < len(names) else ""
        print(f"naive, {jobs} at a time:    {naive_s:8.1f} s{scaled}", flush=True)
        command = [*GRADE, "batch", str(subs), "--out", str(root / "out"), "--jobs", str(jobs),
                   "--exercises", ",".join(exercises)]
        batch_s, output = wall(command)
        rerun_s, _ = wall(command)
        inside, outside = worker_seconds(root / "out")
        floor = inside / jobs
        print(f"grade batch --jobs {jobs}:     {batch_s:8.1f} s   ({naive_s / batch_s:.1f}× faster than naive; "
              "target ≥ 3×)")
        print(f"unchanged rerun:          {rerun_s:8.2f} s   (target ≤ 2 s for 100 students)")
        both = (inside + outside) / jobs
        print(f"compute floor:            {floor:8.1f} s   (worker CPU {inside:.1f} s ÷ {jobs})")
        print(f"  with the grader's side: {both:8.1f} s   (+ {outside:.1f} s: the rest of the checks' time, in the "
              "grader's oracles, comparisons and pytest)")
        print(f"one start-up:             {startup:8.2f} s   (grade exercise0 -k relu)")
        print(f"batch / (floor + start-up): {batch_s / (floor + startup):6.2f}   (target ≤ 1.3); with the grader's "
              f"side: {batch_s / (both + startup):.2f}")
        for line in output.splitlines():
            if "peak memory" in line:
                print(line)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def measure_cluster(students: int, exercises: list[str], workers: list[int]) -> None:
    from distributed import LocalCluster
    root = Path(tempfile.mkdtemp(prefix="torchgrade-cluster-"))
    try:
        subs = root / "subs"
        kinds = generate(subs, students, exercises)
        print(f"{students} students × {len(exercises)} exercises: "
              + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())), flush=True)
        batch = [*GRADE, "batch", str(subs), "--exercises", ",".join(exercises)]
        local_s, _ = wall([*batch, "--out", str(root / "local"), "--jobs", str(max(workers))])
        print(f"local batch, {max(workers)} lanes:        {local_s:7.1f} s", flush=True)
        times = {}
        for n in workers:
            start = time.perf_counter()
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, resources={"lane": 1},
                                   preload=["autograder.batch.dask_worker"], dashboard_address=":0")
            started = time.perf_counter() - start
            try:
                times[n], output = wall([*batch, "--out", str(root / f"dask{n}"), "--scheduler",
                                         cluster.scheduler_address])
            finally:
                cluster.close()
            if "0 errors" not in output:
                raise SystemExit(f"the {n}-worker batch did not grade everything:\n{output}")
            print(f"cluster, {n} worker{'s' if n > 1 else ' '}:          {times[n]:7.1f} s   "
                  f"(the cluster started in {started:.1f} s before it)", flush=True)
        low, high = min(workers), max(workers)
        print(f"{low} → {high} workers:                {times[low] / times[high]:7.2f}×  (target ≥ 1.7× for 1 → 2)")
        print(f"cluster of {high} / local {high} lanes:  {times[high] / local_s:7.2f}   (target ≤ 1.15)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--naive-sample", type=int, default=None, metavar="N",
                        help="time the naive way on N students only, scaled to all")
    parser.add_argument("--exercise6", type=int, default=0, metavar="N", help="also measure exercise6 on N students")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--scheduler", choices=["local"], default=None,
                        help="time grade batch --scheduler on a Dask LocalCluster instead (the dask extra)")
    parser.add_argument("--workers", default="1,2", help="with --scheduler local: the cluster sizes to time")
    args = parser.parse_args()
    if args.scheduler:
        measure_cluster(args.students, EXERCISES, [int(n) for n in args.workers.split(",")])
        return
    measure(args.students, EXERCISES, args.jobs, args.naive_sample)
    if args.exercise6:
        print()
        measure(args.exercise6, ["exercise6"], args.jobs, None)


if __name__ == "__main__":
    main()
