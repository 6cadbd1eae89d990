"""Isolation overhead per child start: ``python bench/sandbox_overhead.py [--repeat N]``.

Measures, with ``--sandbox auto`` (the strongest isolation here) and ``--sandbox none``:

* worker start: from asking the zygote for a worker to the first answer of a trivial call in
  it (fork, per-worker pid namespace, rlimits, uid, load of a small module) — the cost paid on
  every first call and after every crash or timeout;
* zygote start: from launching the zygote (inside bwrap, or not) until it is ready, for a
  numpy-only and a torch preload — paid once per grading run, in parallel with pytest's start;
* ``grade exercise1`` end to end (CLI, reference solution).

Medians over ``--repeat`` runs; the target is an overhead under 50 ms per child start.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.sandbox.session import Session, Submission
from autograder.sandbox.zygote import make_launcher

MODULE = "def ok():\n    return 42\n"


def worker_starts(mode: str, repeat: int, preload: tuple) -> tuple[list, dict]:
    folder = Path(tempfile.mkdtemp())
    (folder / "probe.py").write_text(MODULE)
    folder.chmod(0o755)
    launcher = make_launcher(preload, sandbox=mode, submission_dirs=[str(folder)])
    session = Session(launcher, Submission(str(folder / "probe.py"), "probe", "probe.py"))
    request = {"op": "call", "func": "ok", "args": [], "kwargs": {}}
    try:
        session.request(request, timeout=120)  # the zygote is ready
        times = []
        for _ in range(repeat):
            session.worker.kill()
            start = time.perf_counter()
            assert session.request(request, timeout=60)["result"] == 42
            times.append(time.perf_counter() - start)
        return times, launcher.describe()
    finally:
        session.close()
        launcher.close()
        shutil.rmtree(folder, ignore_errors=True)


def zygote_start(mode: str, preload: tuple) -> float:
    folder = tempfile.mkdtemp()  # a small submission folder (never a big tree: it may be staged)
    Path(folder).chmod(0o755)
    start = time.perf_counter()
    launcher = make_launcher(preload, sandbox=mode, submission_dirs=[folder])
    try:
        launcher.describe()  # waits until ready
        return time.perf_counter() - start
    finally:
        launcher.close()
        shutil.rmtree(folder, ignore_errors=True)


def cli_grade(mode: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder", "exercise1", "--submission", "solutions",
                    "--sandbox", mode], stdout=subprocess.DEVNULL, check=False, cwd=Path(__file__).parents[1])
    return time.perf_counter() - start


def median_ms(values: list) -> float:
    return round(statistics.median(values) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    results = {}
    for preload in (("numpy",), ("numpy", "torch")):
        key = "+".join(preload)
        row = {}
        for mode in ("none", "auto"):
            times, described = worker_starts(mode, args.repeat, preload)
            row[mode] = {"worker_start_ms": median_ms(times), "sandbox": described["sandbox"],
                         "zygote_start_ms": median_ms([zygote_start(mode, preload) for _ in range(3)])}
        row["overhead_per_worker_ms"] = round(row["auto"]["worker_start_ms"] - row["none"]["worker_start_ms"], 1)
        row["overhead_zygote_ms"] = round(row["auto"]["zygote_start_ms"] - row["none"]["zygote_start_ms"], 1)
        results[key] = row
    results["grade_exercise1_s"] = {mode: round(statistics.median([cli_grade(mode) for _ in range(3)]), 2)
                                    for mode in ("none", "auto")}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    results["import_torch_s"] = round(time.perf_counter() - start, 2)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for key, row in results.items():
        print(f"{key}: {json.dumps(row)}")
    worst = max(results[k]["overhead_per_worker_ms"] for k in ("numpy", "numpy+torch"))
    print(f"isolation overhead per child start: {worst:.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
