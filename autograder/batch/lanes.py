"""Lanes on this machine: N processes (``python -m autograder.batch.lane``), one task each at a time.

``LocalLanes.run(queue, done)`` hands each task of ``queue`` (a deque: ``done`` may append
a retry to it) to an idle lane and calls ``done(task, reply)`` as replies arrive, in the
calling thread (the grade-book's one writer).  A lane
that dies takes only its task with it: ``done`` gets an ``{"ok": False}`` reply saying so,
and a fresh lane takes its place.  Lanes run in their own session, so a Ctrl-C reaches only
the batch, which stops them; a batch that is killed closes their sockets, and a lane (with
its zygotes and workers) ends when its socket does.
"""
from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from typing import Callable, Protocol

from autograder.worker import wire

START_TIMEOUT = 300.0  # torch, pytest and a zygote on a slow machine
MEASURE_EVERY = 5.0  # seconds between two readings of a lane's memory


class Lanes(Protocol):
    """What ``run_batch`` needs of a set of lanes (these local processes, or a cluster)."""

    def run(self, queue: deque, done: Callable[[object, dict], None]) -> None: ...

    def close(self) -> None: ...


class LaneProcess:
    """One ``python -m autograder.batch.lane`` process and its socket (``log``: where its
    output goes; ``None``: this process's)."""

    def __init__(self, sandbox: str, log) -> None:
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen([sys.executable, "-I", "-m", "autograder.batch.lane", str(theirs.fileno()),
                                         sandbox], pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                        stdout=log, stderr=log, start_new_session=True)
        theirs.close()
        self.sock = ours
        self.task = None
        self.ready = False
        self.started = time.monotonic()
        self.measured = 0.0  # when its memory was last read

    def send(self, task) -> None:
        self.task = task
        try:
            wire.send(self.sock, {"op": "grade", "task": task.plain()})
        except OSError:
            pass  # the lane died: its socket reads EOF next, and the task is failed then

    def stop(self) -> None:
        try:
            self.sock.close()
        finally:
            if self.process.poll() is None:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            self.process.wait()


class LocalLanes:
    """``jobs`` lane processes; their output (tracebacks of crashed lanes) goes to ``log``."""

    def __init__(self, jobs: int, *, sandbox: str = "auto", log: str | os.PathLike = os.devnull) -> None:
        self.jobs = max(1, jobs)
        self.sandbox = sandbox
        self.log = open(log, "ab")
        self.lanes: list[LaneProcess] = []
        self.peak_rss: dict[int, int] = {}  # lane pid -> most resident memory seen, with its zygotes and workers

    def start(self) -> None:
        while len(self.lanes) < self.jobs:
            self.lanes.append(LaneProcess(self.sandbox, self.log))

    def run(self, queue: deque, done: Callable[[object, dict], None]) -> None:
        self.jobs = min(self.jobs, max(1, len(queue)))  # a lane costs a torch import: none idle from the start
        self.start()
        selector = selectors.DefaultSelector()
        for lane in self.lanes:
            selector.register(lane.sock, selectors.EVENT_READ, lane)
        try:
            while queue or any(lane.task is not None for lane in self.lanes):
                for lane in self.lanes:
                    if lane.ready and lane.task is None and queue:
                        lane.send(queue.popleft())
                for key, _ in selector.select(timeout=1.0):
                    lane = key.data
                    try:
                        reply = wire.recv(lane.sock)
                    except (EOFError, OSError, wire.WireError) as exc:
                        selector.unregister(lane.sock)
                        task = self._restart(lane)
                        selector.register(self.lanes[-1].sock, selectors.EVENT_READ, self.lanes[-1])
                        if task is not None:
                            done(task, {"ok": False, "error": f"the grading process died (exit status "
                                                              f"{lane.process.returncode}; {exc})"})
                        continue
                    if not lane.ready:  # its first message: torch, pytest and the zygotes are up
                        lane.ready = True
                        continue
                    task, lane.task = lane.task, None
                    self._measure(lane)
                    done(task, reply)
                for lane in self.lanes:
                    if not lane.ready and time.monotonic() - lane.started > START_TIMEOUT:
                        raise RuntimeError(f"a grading process did not start within {START_TIMEOUT:g} s")
        finally:
            selector.close()

    def _restart(self, lane: LaneProcess):
        """A lane died: a fresh one takes its place (at the end of the list); returns its task."""
        lane.stop()
        if not lane.ready:
            raise RuntimeError(f"a grading process could not start (exit status {lane.process.returncode}); "
                               f"its output is in {self.log.name}")
        self.lanes.remove(lane)
        self.lanes.append(LaneProcess(self.sandbox, self.log))
        return lane.task

    def _measure(self, lane: LaneProcess) -> None:
        if time.monotonic() - lane.measured < MEASURE_EVERY:  # a /proc walk: not after every task
            return
        lane.measured = time.monotonic()
        rss = tree_rss(lane.process.pid)
        self.peak_rss[lane.process.pid] = max(self.peak_rss.get(lane.process.pid, 0), rss)

    def close(self) -> None:
        for lane in self.lanes:
            lane.stop()
        self.lanes.clear()
        self.log.close()


def tree_rss(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants (zygotes, workers), in bytes."""
    parents, rss = {}, {}
    try:
        names = [n for n in os.listdir("/proc") if n.isdigit()]
    except OSError:
        return 0
    for name in names:
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                parents[int(name)] = int(f.read().rsplit(b")", 1)[1].split()[1])
            with open(f"/proc/{name}/status", "rb") as f:
                rss[int(name)] = next((int(line.split()[1]) * 1024 for line in f if line.startswith(b"VmRSS:")), 0)
        except (OSError, ValueError, IndexError):
            continue
    family, grew = {pid}, True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in family and child not in family:
                family.add(child)
                grew = True
    return sum(rss.get(p, 0) for p in family)


class InlineLanes:
    """One lane inside this process (tests, a notebook): grades with ``kit`` as given, one
    task at a time.  Student code still runs in the lane's workers, never here."""

    def __init__(self, kit=None, *, sandbox: str = "auto") -> None:
        from autograder.batch.lane import Lane
        self.lane = Lane(kit, sandbox=sandbox)

    def run(self, queue: deque, done: Callable[[object, dict], None]) -> None:
        from autograder.batch.lane import answer
        while queue:
            job = queue.popleft()
            done(job, answer(self.lane, job.task))

    def close(self) -> None:
        self.lane.close()
