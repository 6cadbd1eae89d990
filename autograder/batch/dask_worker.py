"""The kit's side of a Dask worker, for ``grade batch --scheduler``: one warm lane per worker.

Start each worker with (the ``dask`` extra installed, and this kit, on every machine)::

    dask worker tcp://HOST:8786 --nthreads 1 --resources lane=1 --preload autograder.batch.dask_worker

The preload starts the worker's lane while the worker connects: ``python -m
autograder.batch.lane``, the same process a local batch runs (torch, the suites, one zygote
per preload), so the first task finds it warm and a verdict is the same wherever it was
made.  Dask's worker processes are daemonic and may not have ``multiprocessing`` children:
the lane is a plain subprocess in its own session, and it ends when its socket does (the
worker gone, killed or not).

``grade(task)`` is the Dask task: it hands one student's task to the lane and returns the
lane's reply, plain data (each exercise's document as JSON text), with this worker's
address.  Student code never runs in the Dask worker: it runs in the lane's sandboxed
workers.  A lane that dies is replaced by the next task, and its own task gets a reply
saying so (the batch retries it once).  The ``lane`` resource makes the scheduler give a
worker one grading at a time, so time limits mean what they mean in a local batch.
"""
from __future__ import annotations

import os
import socket

from autograder.batch.lanes import START_TIMEOUT, LaneProcess
from autograder.worker import wire

RESOURCE = "lane"  # one per worker: the scheduler runs one grading task at a time there
GPU = "GPU"  # declared by workers with an accelerator: --resources lane=1,GPU=1

_lanes: dict[str, LaneProcess] = {}  # sandbox mode -> this worker process's lane


def dask_setup(worker) -> None:
    """``--preload`` hook: start the lane now, so that it is warm by the first task."""
    _lane("auto")


def dask_teardown(worker) -> None:
    for lane in _lanes.values():
        lane.stop()
    _lanes.clear()


def grade(task: dict, sandbox: str = "auto") -> dict:
    """Grade one student's task (``autograder.batch.lane.Task`` as plain data) here."""
    from distributed import get_worker
    return {**_ask(task, sandbox), "worker": get_worker().address}


def kit_versions() -> dict[str, str]:
    """This worker's installed kit, per exercise: what a batch's tasks must carry."""
    from autograder.kit import Kit
    kit = Kit.installed()
    return {ex.id: kit.version(ex) for ex in kit.exercises}


async def withdraw(dask_worker) -> None:
    """Take this worker's lane away from the scheduler: no grading task comes here again
    (until the worker restarts).  Run by the batch on a worker whose kit differs."""
    await dask_worker.set_resources(**{RESOURCE: 0})


def _lane(sandbox: str) -> LaneProcess:
    lane = _lanes.get(sandbox)
    if lane is None or lane.process.poll() is not None:
        lane = _lanes[sandbox] = LaneProcess(sandbox, log=None)  # its output: the worker's log
    return lane


def _ask(task: dict, sandbox: str) -> dict:
    lane = _lane(sandbox)
    try:
        if not lane.ready:  # its first message: torch, pytest and the zygotes are up
            lane.sock.settimeout(START_TIMEOUT)
            wire.recv(lane.sock)
            lane.sock.settimeout(None)
            lane.ready = True
        wire.send(lane.sock, {"op": "grade", "task": task})
        return wire.recv(lane.sock)
    except (EOFError, OSError, socket.timeout, wire.WireError) as exc:
        lane.stop()
        del _lanes[sandbox]
        return {"ok": False, "error": f"the grading process on {os.uname().nodename} died (exit status "
                                      f"{lane.process.returncode}; {exc})"}
