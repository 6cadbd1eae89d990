"""`grade batch` killed with SIGKILL at random moments, then rerun, ends with the grade-book an
uninterrupted run gives: nothing lost, nothing twice, no torn row, no process left behind."""
from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from banks import processes_matching
from conftest import write_mutant

STUDENTS = 6
EXERCISES = "exercise1,exercise4"
KILLS = 4


def submissions(root: Path) -> Path:
    subs = root / "subs"
    for i in range(STUDENTS):  # all different: nothing is shared between them
        write_mutant(subs / f"student{i}", "exercise1", [("import numpy as np\n", f"import numpy as np  # {i}\n")]
                     + ([("    grad_h[h < 0] = 0\n", "")] if i % 2 else []))
        write_mutant(subs / f"student{i}", "exercise4", [("import torch\n", f"import torch  # {i}\n")])
    return subs


def batch(subs: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "autograder", "batch", str(subs), "--out", str(out),
                             "--exercises", EXERCISES, "--jobs", "2"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def gradings(out: Path) -> list[tuple]:
    if not (out / "gradebook.sqlite").exists():
        return []
    db = sqlite3.connect(out / "gradebook.sqlite")
    try:
        rows = db.execute("SELECT exercise, content_hash, kit_version, seed, outcome, score, document FROM gradings "
                          "ORDER BY exercise, content_hash").fetchall()
    except sqlite3.OperationalError:  # killed before its tables were made
        rows = []
    db.close()
    return [(*row[:6], _without_durations(json.loads(row[6]))) for row in rows]


def _without_durations(value):
    if isinstance(value, dict):
        return {k: _without_durations(v) for k, v in value.items() if k not in ("duration_s", "worker_s", "environment")}
    if isinstance(value, list):
        return [_without_durations(v) for v in value]
    return value


def wait_for_no_lanes(timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while processes_matching("autograder.batch.lane", "autograder.worker.zygote") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not processes_matching("autograder.batch.lane", "autograder.worker.zygote")


def test_sigkill_at_random_moments_then_a_rerun_equals_an_uninterrupted_run(tmp_path):
    subs = submissions(tmp_path)
    whole = batch(subs, tmp_path / "whole")
    assert whole.wait(timeout=300) == 0
    expected = gradings(tmp_path / "whole")
    assert len(expected) == 2 * STUDENTS

    out = tmp_path / "killed"
    rng = random.Random(1234)
    at_kill = []  # how many results were committed when each kill came
    for k in range(KILLS):
        before = len(gradings(out))
        process = batch(subs, out)
        if k == 0:
            time.sleep(rng.uniform(0.3, 2.0))  # while it starts its lanes
        else:  # while it grades: once it has committed something new, at a random moment after
            while len(gradings(out)) == before and process.poll() is None:
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 0.8))
        process.send_signal(signal.SIGKILL)
        process.wait()
        wait_for_no_lanes()  # the lanes end when the batch's sockets close
        at_kill.append(len(gradings(out)))
    assert sum(0 < n < len(expected) for n in at_kill) >= 2, at_kill  # most kills came mid-grading
    resumed = batch(subs, out)
    assert resumed.wait(timeout=300) == 0
    print("results committed when each kill came:", at_kill)
    assert gradings(out) == expected, at_kill  # the same rows, each once
    assert sorted(p.name for p in (out / "feedback").iterdir()) == sorted(
        p.name for p in (tmp_path / "whole" / "feedback").iterdir())
