"""Lanes on a Dask cluster: ``grade batch SUBMISSIONS --out DIR --scheduler tcp://HOST:8786``.

The batch process stays the bookkeeper, as in a local batch: it reads the submissions,
decides what needs grading, is the grade-book's only writer and commits each result as it
arrives, so killing it and running the same command resumes.  Each task is one student's
``Task``: the files as bytes (the workers need no shared filesystem) and the kit version of
each exercise.  Every worker keeps one warm lane (``autograder.batch.dask_worker``) and
offers one ``lane`` resource, so it grades one task at a time.

Faults:

* A worker whose installed kit differs refuses the task, naming both versions; the batch says
  so once, takes the worker's ``lane`` resource away (nothing more is sent there) and sends
  the task elsewhere.  With no worker left it stops (``KitMismatch``): never another kit.
* A worker killed mid-task: the scheduler gives the task to another worker.  A task whose
  workers keep dying (Dask's ``allowed-failures``) ends ``KilledWorker``: a failed grading,
  retried once by the batch, then recorded as an error; other tasks go on.
* The scheduler gone: the batch stops (``ClusterError``); what was committed stays.

GPU placement: when some workers declare a ``GPU`` resource, the exercises whose checks use an
accelerator (``Exercise.accelerator``) are graded only there, so every student's device checks
run on the same kind of machine, and the rest anywhere.  Without GPU workers the fake-device
checks run everywhere, as in a local batch.

Dask moves tasks and replies between the batch and its workers with its own serialisation;
both sides are the kit's code.  Student code runs only inside each lane's sandbox, and what
crosses from there is plain data, as locally.
"""
from __future__ import annotations

import dataclasses
import logging
import sys
import time
import uuid
from collections import deque
from typing import Callable

from autograder.batch import dask_worker
from autograder.batch.lane import KitMismatch, Task
from autograder.kit import Kit

CONNECT_TIMEOUT = "30s"  # a scheduler that is starting, or far away
WORKER_WAIT = 30.0  # seconds to wait for a worker with a lane, when the scheduler has none yet
WORKER_COMMAND = ("dask worker {address} --nthreads 1 --resources lane=1 "
                  "--preload autograder.batch.dask_worker")


class ClusterError(RuntimeError):
    """The cluster cannot grade: Dask missing here, the scheduler unreachable or gone, or
    no worker offering a lane."""


class DaskLanes:
    """Grading tasks sent to the workers of the scheduler at ``address``."""

    def __init__(self, address: str, *, kit: Kit, sandbox: str = "auto",
                 say: Callable[[str], None] | None = None, connect_timeout: str = CONNECT_TIMEOUT) -> None:
        self.address = address
        self.connect_timeout = connect_timeout
        self.kit = kit
        self.sandbox = sandbox
        self.say = say or (lambda line: print(line, file=sys.stderr))
        self.client = None
        self.refused: set[str] = set()
        self.gpu = False
        self._log_levels: dict[str, int] = {}

    def run(self, queue: deque, done: Callable[[object, dict], None]) -> None:
        client = self._connect()
        from distributed import as_completed
        self._admit(client, queue)
        pending = as_completed(loop=client.loop)
        jobs: dict[str, object] = {}

        def submit(job) -> None:
            for part in self._placed(job):
                future = client.submit(dask_worker.grade, part.task.plain(), self.sandbox,
                                       key=f"grade-{part.task.student}-{uuid.uuid4().hex[:12]}",
                                       resources=self._resources(part.task))
                jobs[future.key] = part
                pending.add(future)
        while queue:
            submit(queue.popleft())
        for future in pending:
            job = jobs.pop(future.key)
            reply = self._reply(future)
            if reply.get("kit_mismatch"):
                self._refuse(client, reply["worker"], reply["error"])
                queue.append(job)  # not the task's fault: it goes elsewhere
            else:
                done(job, reply)
            while queue:
                submit(queue.popleft())

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        for name, level in self._log_levels.items():
            logging.getLogger(name).setLevel(level)
        self._log_levels.clear()

    # -- the cluster --------------------------------------------------------------
    def _connect(self):
        try:
            from distributed import Client
        except ImportError as exc:
            raise ClusterError(f"--scheduler needs Dask here ({exc}): pip install 'torchgrade[dask]'") from exc
        # the client logs every reconnection attempt with a traceback; what the TA needs is in
        # the errors this class raises (until close())
        names = ["distributed", *(n for n in logging.root.manager.loggerDict if n.startswith("distributed."))]
        self._log_levels = {name: logging.getLogger(name).level for name in names}
        for name in names:
            logging.getLogger(name).setLevel(logging.CRITICAL)
        try:
            self.client = Client(self.address, timeout=self.connect_timeout, set_as_default=False)
        except OSError as exc:
            raise ClusterError(f"no Dask scheduler answers at {self.address} ({exc}): start one with "
                              f"`dask scheduler`, or check the address") from exc
        return self.client

    def _admit(self, client, queue: deque) -> None:
        """Which workers may grade: those offering a lane, with this kit."""
        deadline = time.monotonic() + WORKER_WAIT
        while True:  # workers may be starting (or restarting) with the scheduler
            workers = client.scheduler_info(n_workers=-1)["workers"]
            lanes = [a for a, w in workers.items() if w.get("resources", {}).get(dask_worker.RESOURCE)]
            if lanes or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        if not lanes:
            raise ClusterError(f"no worker of the scheduler at {self.address} offers a grading lane after {WORKER_WAIT:g} s "
                              f"({len(workers)} workers): start them with `{WORKER_COMMAND.format(address=self.address)}`")
        self.gpu = any(workers[a]["resources"].get(dask_worker.GPU) for a in lanes)
        wanted = {e: v for job in queue for e, v in job.task.versions.items()}
        found = client.run(dask_worker.kit_versions, workers=lanes, on_error="return")
        for address, theirs in found.items():
            if isinstance(theirs, BaseException):
                self._refuse(client, address, f"this worker cannot load the kit ({type(theirs).__name__}: {theirs}): "
                                              "install the same torchgrade there")
                continue
            wrong = {e: (v, theirs.get(e)) for e, v in wanted.items() if theirs.get(e) != v}
            if wrong:
                self._refuse(client, address, "this worker's kit differs from the batch's: " + "; ".join(
                    f"{e}: the batch's version {ours}, this worker's {other}" for e, (ours, other) in wrong.items()))

    def _refuse(self, client, address: str, why: str) -> None:
        if address not in self.refused:
            self.refused.add(address)
            self.say(f"worker {address} refused: {why}; no more tasks go to it")
            client.run(dask_worker.withdraw, workers=[address], on_error="return")
        workers = client.scheduler_info(n_workers=-1)["workers"]
        if not any(w.get("resources", {}).get(dask_worker.RESOURCE) for a, w in workers.items()
                   if a not in self.refused):
            raise KitMismatch(f"no worker of {self.address} can grade with this kit (the last refusal: {why}); "
                              f"install this torchgrade on the workers and restart them")

    def _reply(self, future) -> dict:
        from distributed import KilledWorker
        try:
            return future.result()
        except KilledWorker as exc:
            return {"ok": False, "error": f"the workers grading it died ({type(exc).__name__}: {exc})"}
        except (OSError, TimeoutError) as exc:
            raise ClusterError(self._gone(exc)) from exc
        except Exception as exc:  # noqa: BLE001 - a cancelled future (the scheduler gone), or a failed task
            if type(exc).__name__ in ("CancelledError", "FutureCancelledError", "FuturesCancelledError"):
                raise ClusterError(self._gone(exc)) from exc
            return {"ok": False, "error": f"the grading task failed on the cluster: {type(exc).__name__}: {exc}"}

    def _gone(self, exc: BaseException) -> str:
        return (f"lost the Dask scheduler at {self.address} ({type(exc).__name__}: {' '.join(str(exc).split())}): "
                "every committed result "
                "is in the grade-book; run the same command again to resume")

    # -- placement ------------------------------------------------------------------
    def _placed(self, job) -> list:
        """The job, or with GPU workers about, its accelerator and other exercises apart."""
        if not self.gpu:
            return [job]
        split = [[e for e in job.task.exercises if self.kit.find(e).accelerator == on] for on in (True, False)]
        if not all(split):
            return [job]
        return [dataclasses.replace(job, task=_subtask(job.task, part), keys={e: job.keys[e] for e in part})
                for part in split]

    def _resources(self, task: Task) -> dict:
        needs = {dask_worker.RESOURCE: 1}
        if self.gpu and any(self.kit.find(e).accelerator for e in task.exercises):
            needs[dask_worker.GPU] = 1
        return needs


def _subtask(task: Task, exercises: list[str]) -> Task:
    return Task(task.student, exercises, {e: task.files[e] for e in exercises}, {e: task.modules[e] for e in exercises},
                task.seed, {e: task.versions[e] for e in exercises})
