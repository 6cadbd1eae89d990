"""`grade batch --scheduler`: the same grade-book on a Dask cluster (a loopback LocalCluster of
two worker processes, started and stopped here), through a killed worker, a submission that
kills its workers, workers with another kit, and the scheduler going away."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time

import pytest

from autograder.batch import cluster as cluster_module
from autograder.batch.cluster import ClusterError
from autograder.batch.lane import KitMismatch
from autograder.batch.lanes import InlineLanes
from autograder.batch.run import run_batch
from batch.test_batch import EXERCISES, build_mixed
from banks import assert_no_survivors
from conftest import KIT, write_mutant

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed (pip install "
                                                        "'torchgrade[dask]'): grade batch --scheduler was not tested")


def local_cluster(workers: int):
    import dask
    # a task whose worker dies twice ends KilledWorker (Dask's default lets it kill four)
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        return distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        resources={"lane": 1}, preload=["autograder.batch.dask_worker"],
                                        dashboard_address=":0")


@pytest.fixture(scope="module")
def cluster():
    local = local_cluster(2)
    client = distributed.Client(local, set_as_default=False)
    yield local, client
    client.close()
    local.close()
    assert_no_survivors("autograder.batch.lane", grader=False)  # each worker's lane ends with it


def gradings(out) -> list[tuple]:
    db = sqlite3.connect(out / "gradebook.sqlite")
    rows = db.execute("SELECT exercise, content_hash, kit_version, seed, outcome, score, document, attempts "
                      "FROM gradings ORDER BY exercise, content_hash").fetchall()
    db.close()
    return [(*row[:6], _verdicts(row[6])) for row in rows]


def _verdicts(document: str | None):
    if document is None:
        return None
    return [[(c["id"], c["status"], c["score"], c["message"], c["hint"], c.get("reproduce"))
             for c in e["checks"]] for e in json.loads(document)["exercises"]]


def small_class(root, n: int) -> object:
    subs = root / "subs"
    for i in range(n):  # each one different: nothing shared
        write_mutant(subs / f"s{i}", "exercise1", [("import numpy as np\n", f"import numpy as np  # {i}\n")])
    return subs


def after_results(out, count: int, then) -> threading.Thread:
    """Call ``then()`` once the grade-book holds ``count`` results (in another thread)."""
    def watch():
        while True:
            try:
                db = sqlite3.connect(out / "gradebook.sqlite")
                if db.execute("SELECT COUNT(*) FROM gradings").fetchone()[0] >= count:
                    break
            except sqlite3.OperationalError:
                pass
            time.sleep(0.05)
        then()
    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_cluster_gives_the_grade_book_of_a_local_batch(cluster, tmp_path):
    local, client = cluster
    subs = build_mixed(tmp_path)
    here = run_batch(subs, out=tmp_path / "local", exercises=EXERCISES, lanes=InlineLanes())
    there = run_batch(subs, out=tmp_path / "dask", exercises=EXERCISES, scheduler=local.scheduler_address)
    assert there["counts"] == here["counts"] == {"graded": 7, "unchanged": 3, "failed": 4, "errors": 0}
    assert gradings(tmp_path / "dask") == gradings(tmp_path / "local")  # verdict for verdict
    for name in ("grades.csv", "summary.json"):
        assert (tmp_path / "dask" / name).is_file()
    assert (tmp_path / "dask" / "grades.csv").read_text() == (tmp_path / "local" / "grades.csv").read_text()


def test_a_worker_killed_mid_run_loses_nothing(cluster, tmp_path):
    local, client = cluster
    subs = small_class(tmp_path, 6)
    pids = client.run(os.getpid)
    watcher = after_results(tmp_path / "out", 2, lambda: os.kill(next(iter(pids.values())), signal.SIGKILL))
    outcome = run_batch(subs, out=tmp_path / "out", exercises=["exercise1"], scheduler=local.scheduler_address)
    watcher.join(timeout=5)
    assert outcome["counts"] == {"graded": 6, "unchanged": 0, "failed": 0, "errors": 0}
    rows = gradings(tmp_path / "out")
    assert len(rows) == 6 and all(r[4] == "graded" and r[5] == 100 for r in rows)  # each once, all graded
    assert set(client.run(os.getpid).values()) != set(pids.values())  # the nanny started another worker


def test_a_submission_that_kills_its_workers_ends_as_an_error(cluster, tmp_path, monkeypatch):
    """Student code cannot kill a worker (it runs in the lane's sandbox); a grader that dies on
    one task stands in for it here."""
    local, client = cluster
    subs = small_class(tmp_path, 3)
    real = cluster_module.dask_worker.grade

    def grade_or_die(task, sandbox):  # a closure: Dask ships it by value
        if task["student"] == "s1":
            os._exit(1)
        return real(task, sandbox)
    monkeypatch.setattr(cluster_module.dask_worker, "grade", grade_or_die)
    outcome = run_batch(subs, out=tmp_path / "out", exercises=["exercise1"], scheduler=local.scheduler_address)
    assert outcome["counts"] == {"graded": 2, "unchanged": 0, "failed": 0, "errors": 1}
    rows = {r[1]: r for r in gradings(tmp_path / "out")}
    assert sorted(r[4] for r in rows.values()) == ["error", "graded", "graded"]
    db = sqlite3.connect(tmp_path / "out" / "gradebook.sqlite")
    error, attempts = db.execute("SELECT error, attempts FROM gradings WHERE outcome = 'error'").fetchone()
    assert attempts == 2 and "KilledWorker" in error and "the workers grading it died" in error


def test_workers_with_another_kit_are_refused_and_named(cluster, tmp_path, monkeypatch):
    local, client = cluster
    client.wait_for_workers(2, timeout=60)  # the workers the tests above killed are back
    subs = small_class(tmp_path, 2)
    other = KIT.with_exercise("exercise1", call_timeout=1.0)  # another version of exercise1
    said = []
    try:
        # found when the batch starts: each worker's kit, asked first
        with pytest.raises(KitMismatch, match=r"no worker of .* can grade with this kit .*exercise1: the batch's "
                                              r"version \w+, this worker's \w+"):
            run_batch(subs, out=tmp_path / "a", exercises=["exercise1"], kit=other, scheduler=local.scheduler_address,
                      lanes=_lanes(local, other, said))
        assert len(said) == 2 and all("refused" in line and "no more tasks go to it" in line for line in said)
        assert not any(w["resources"].get("lane") for w in client.scheduler_info(n_workers=-1)["workers"].values())
        # or by the lane itself, for a worker that joined later: it never grades with another kit
        _restore(client)
        said.clear()
        monkeypatch.setattr(cluster_module.dask_worker, "kit_versions", lambda: {"exercise1": other.version("exercise1")})
        with pytest.raises(KitMismatch, match="this grader's kit differs from the batch's: exercise1"):
            run_batch(subs, out=tmp_path / "b", exercises=["exercise1"], kit=other, scheduler=local.scheduler_address,
                      lanes=_lanes(local, other, said))
        assert said and sqlite3.connect(tmp_path / "b" / "gradebook.sqlite").execute(
            "SELECT COUNT(*) FROM gradings").fetchone()[0] == 0
    finally:
        _restore(client)


def test_the_scheduler_going_away_stops_the_batch_and_keeps_its_results(tmp_path):
    local = local_cluster(1)  # its own: this test takes it down
    subs = small_class(tmp_path, 8)
    watcher = after_results(tmp_path / "out", 2, local.close)  # the scheduler, and its worker
    with pytest.raises(ClusterError, match="lost the Dask scheduler at .*run the same command again to resume"):
        run_batch(subs, out=tmp_path / "out", exercises=["exercise1"], scheduler=local.scheduler_address)
    watcher.join(timeout=30)
    kept = gradings(tmp_path / "out")
    assert 2 <= len(kept) < 8 and all(r[4] == "graded" for r in kept)


def test_without_a_scheduler_it_says_how_to_start_one(tmp_path):
    nowhere = "tcp://127.0.0.1:9"
    with pytest.raises(ClusterError, match=f"no Dask scheduler answers at {nowhere} .*start one with `dask scheduler`"):
        run_batch(small_class(tmp_path, 1), out=tmp_path / "out", exercises=["exercise1"],
                  lanes=cluster_module.DaskLanes(nowhere, kit=KIT, connect_timeout="1s"))


def _lanes(local, kit, said: list):
    return cluster_module.DaskLanes(local.scheduler_address, kit=kit, say=said.append)


def _restore(client) -> None:
    async def offer(dask_worker):
        await dask_worker.set_resources(lane=1)
    client.run(offer)


def test_with_gpu_workers_about_accelerator_exercises_go_only_there():
    from autograder.batch.lane import Task
    from autograder.batch.run import Job
    exercises = ["exercise1", "exercise4", "exercise6", "exercise7"]  # numpy, conv (device check), training, helpers
    task = Task("ann", exercises, {e: {} for e in exercises}, {e: f"{e}.py" for e in exercises}, 0,
                {e: "v" for e in exercises})
    job = Job(task, {e: (e, "hash", "v", 0) for e in exercises})
    lanes = cluster_module.DaskLanes("tcp://nowhere:8786", kit=KIT)
    assert lanes._placed(job) == [job] and lanes._resources(task) == {"lane": 1}  # no GPU worker: anywhere
    lanes.gpu = True
    device, rest = lanes._placed(job)
    assert device.task.exercises == ["exercise4", "exercise7"] and rest.task.exercises == ["exercise1", "exercise6"]
    assert sorted(device.keys) == ["exercise4", "exercise7"] and sorted(device.task.files) == ["exercise4", "exercise7"]
    assert lanes._resources(device.task) == {"lane": 1, "GPU": 1} and lanes._resources(rest.task) == {"lane": 1}
