"""A lane: one warm grader that grades many submissions, one at a time, with no start-up.

The lane keeps torch and pytest imported, imports each suite once (pytest reuses it), keeps
one zygote per preload (``exercise1``'s workers import numpy only, as with ``grade``), and
answers repeated reference calls from a ``ReferenceCache``.  Before each student the zygotes
are reset (every worker killed, the sandbox's writable places wiped), and the student's
files reach the workers as data, staged into each worker's private scratch space: no
student's folder is ever mounted, so a submission sees no other submission, nor the
grade-book, nor the outputs.

A task is plain data (``Task``); the result of each exercise is the canonical document that
``grade EXERCISE --submission S --seed N`` gives (as JSON text, exactly what ``--format
json`` prints), with the reproduce commands naming the submission as
``gradebook.SUBMISSION`` (the batch writes each student's own path in).

``python -m autograder.batch.lane FD`` serves tasks from the coordinator over a socket
(``autograder.worker.wire`` frames): the local lanes of ``grade batch``.
"""
from __future__ import annotations

import dataclasses
import json
import os
import socket
import sys
import traceback
from typing import Any

from autograder.batch.gradebook import SUBMISSION
from autograder.engine.references import ReferenceCache
from autograder.kit import Kit
from autograder.registry import Exercise


class KitMismatch(RuntimeError):
    """A task made for another version of the kit than the one installed here."""


@dataclasses.dataclass
class Task:
    """One student's exercises to grade, as plain data."""

    student: str
    exercises: list[str]
    files: dict[str, dict[str, bytes]]  # exercise -> {relative path: bytes}
    modules: dict[str, str]  # exercise -> the module's relative path among its files
    seed: int
    versions: dict[str, str]  # exercise -> the kit version the coordinator keys the result on

    def plain(self) -> dict:
        return dataclasses.asdict(self)


class Lane:
    def __init__(self, kit: Kit | None = None, *, sandbox: str = "auto") -> None:
        self.kit = kit or Kit.installed()
        self.sandbox = sandbox
        self.launchers: dict[tuple, Any] = {}
        self.cache = ReferenceCache()
        self.versions = {ex.id: self.kit.version(ex) for ex in self.kit.exercises}

    def launcher(self, preload: tuple[str, ...]) -> Any:
        if preload not in self.launchers:
            from autograder.sandbox.zygote import make_launcher
            self.launchers[preload] = make_launcher(preload, sandbox=self.sandbox, submission_dirs=[])
        return self.launchers[preload]

    def warm(self, exercises: list[str] | None = None) -> None:
        """Start the zygotes the exercises need (their imports overlap the lane's own)."""
        for ex in self._exercises(exercises or [ex.id for ex in self.kit.exercises]):
            self.launcher(ex.preload)

    def grade(self, task: Task) -> list[dict]:
        """``[{"exercise", "document", "duration_s"}]``, one per exercise of the task."""
        wrong = {e: (task.versions.get(e), self.versions.get(e)) for e in task.exercises
                 if task.versions.get(e) != self.versions.get(e)}
        if wrong:
            raise KitMismatch("this grader's kit differs from the batch's: " + "; ".join(
                f"{e}: the batch's version {theirs}, this kit's {ours}" for e, (theirs, ours) in wrong.items()))
        from autograder.engine.runner import run_suites
        from autograder.sandbox.session import Session, Submission
        exercises = self._exercises(task.exercises)
        launchers = {ex.id: self.launcher(ex.preload) for ex in exercises}
        for launcher in {id(l): l for l in launchers.values()}.values():
            launcher.reset()  # nothing of the previous student is left for this one
        sessions = {ex.id: Session(launchers[ex.id], Submission(path=task.modules[ex.id], module=ex.module,
                                                                display=task.modules[ex.id], files=task.files[ex.id]))
                    for ex in exercises}
        try:  # one pytest run for all of them: its start costs more than a check
            document = run_suites(kit=self.kit, exercises=exercises, sessions=sessions, seed=task.seed, pattern=None,
                                  reproduce=_reproducer(task.seed), sandbox=launchers[exercises[0].id].describe,
                                  references=lambda ex: self.cache.wrap(self.kit.solution(ex), ex.id))
        finally:
            for session in sessions.values():
                session.close()
        results = []
        for entry in document["exercises"]:
            single = dict(document, score=entry["score"], max_score=entry["max_score"], exercises=[entry])
            results.append({"exercise": entry["id"], "document": json.dumps(single),
                            "duration_s": round(sum(c["duration_s"] for c in entry["checks"]), 3)})
        return results

    def close(self) -> None:
        for launcher in self.launchers.values():
            launcher.close()
        self.launchers.clear()

    def _exercises(self, ids: list[str]) -> list[Exercise]:
        return [self.kit.find(i) for i in ids]


def _reproducer(seed: int):
    def command(exercise_id: str, check: str) -> str:
        return f"grade {exercise_id} --submission {SUBMISSION} --seed {seed} -k {check}"
    return command


# ---------------------------------------------------------------- a lane process

def serve(sock: socket.socket, lane: Lane) -> None:
    """Answer ``{"op": "grade", "task"}`` requests until the coordinator closes the socket."""
    from autograder.worker import wire
    wire.send(sock, {"ready": True, "pid": os.getpid(), "versions": lane.versions})
    while True:
        try:
            request = wire.recv(sock, tensors="value")
        except EOFError:
            return
        if request.get("op") != "grade":
            return
        wire.send(sock, answer(lane, Task(**request["task"])))


def answer(lane: Lane, task: Task) -> dict:
    """The reply to a task: its results, or why the grader could not produce them."""
    try:
        return {"ok": True, "results": lane.grade(task)}
    except KitMismatch as exc:
        return {"ok": False, "error": str(exc), "kit_mismatch": True}
    except Exception:  # noqa: BLE001 - an infrastructure failure: the batch retries it once
        return {"ok": False, "error": traceback.format_exc()[-4000:]}


def main(argv: list[str]) -> None:
    sock = socket.socket(fileno=int(argv[0]))
    lane = Lane(sandbox=argv[1] if len(argv) > 1 else "auto")
    try:
        lane.warm()
        serve(sock, lane)
    finally:
        lane.close()


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.stdout.flush()
    os._exit(0)  # skip torch's teardown (≈0.4 s)
