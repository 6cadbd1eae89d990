"""A student module loaded in a worker: the parent half of ``autograder.worker.child``.

``Session`` keeps one student module loaded in a worker and replaces the worker when it
dies, so one bad call fails only itself; a module that cannot be loaded (missing, a link,
an import that crashes or hangs) fails every request with the load's error, without
retrying.
"""
from __future__ import annotations

import dataclasses
import os
import time
from typing import Any

from autograder.i18n import _
from autograder.sandbox.process import WorkerDied, WorkerProcess, WorkerProtocolError, WorkerTimeout
from autograder.worker import protocol


@dataclasses.dataclass
class Submission:
    """Where one exercise's student module is: its file, import name and display path.

    With ``files`` the submission travels as data (``grade batch``: one warm zygote serves
    many students, so no student's folder is mounted into it): ``{relative path: bytes}``,
    staged into each worker's private scratch space, and ``path`` is the module's relative
    path among them.
    """

    path: str
    module: str
    display: str
    files: dict[str, bytes] | None = None

    def read(self, limit: int) -> bytes:
        """At most ``limit + 1`` bytes of the module's source (``OSError`` if it cannot be read)."""
        if self.files is not None:
            if self.path not in self.files:
                raise FileNotFoundError(f"{self.display} is missing")
            return self.files[self.path][: limit + 1]
        with open(self.path, "rb") as f:
            return f.read(limit + 1)


class Session:
    """One student module, loaded in a worker that is replaced whenever it dies."""

    def __init__(self, launcher: Any, submission: Submission, *, load_timeout: float = 30.0) -> None:
        self.launcher = launcher
        self.submission = submission
        self.load_timeout = load_timeout
        self.worker: WorkerProcess | None = None
        self.loaded: dict | None = None  # the reply to "load" (names, imports) or its error
        self.worker_s = 0.0  # CPU seconds spent in the worker (student code and drivers), all requests so far
        # What the parent derives from the submission's source once per grading (its parsed
        # tree, the forbidden-API analysis), whichever check asks first.
        self.memo: dict[str, Any] = {}

    def _ensure(self) -> WorkerProcess | None:
        """A worker with the module loaded, or None when loading failed (then for good:
        an import that crashed or hung once will do so again, and each retry costs time)."""
        if self.loaded is not None and not self.loaded["ok"]:
            return None
        s = self.submission
        problem = _missing(s)
        if problem:
            self.loaded = protocol.failure(protocol.MISSING_FILE, problem)
            return None
        if self.worker is None or not self.worker.alive:
            self.worker = self.launcher.spawn()
            request = {"op": "load", "path": s.path, "module": s.module, "display": s.display}
            if s.files is not None:
                request["files"] = sorted(s.files.items())
            try:
                self.loaded = self._timed(self.worker, request, self.load_timeout)
            except WorkerTimeout:
                self.loaded = protocol.failure(protocol.TIMEOUT,
                        _("importing {display} took longer than {limit:g} s", display=s.display,
                          limit=self.load_timeout))
            except (WorkerDied, WorkerProtocolError) as exc:
                self.loaded = protocol.failure(protocol.CRASHED,
                        _("the process died while importing {display}: {exc}", display=s.display, exc=exc))
        return self.worker if self.loaded["ok"] else None

    def load_info(self) -> dict:
        """The reply to loading the module: ``ok``, ``names``, ``imported`` or ``error``."""
        self._ensure()
        return self.loaded

    def request(self, message: dict, *, timeout: float) -> dict:
        """Send ``message`` to a worker with the module loaded; the load error if it cannot be."""
        worker = self._ensure()
        if worker is None:
            return self.loaded
        return self._timed(worker, message, timeout)

    def _timed(self, worker: WorkerProcess, message: dict, timeout: float) -> dict:
        start = time.perf_counter()
        try:
            reply = worker.request(message, timeout=timeout)
        except WorkerTimeout:
            self.worker_s += timeout
            raise
        spent = reply.get("cpu_s")
        wall = time.perf_counter() - start
        self.worker_s += min(float(spent), wall) if type(spent) is float and spent >= 0 else wall
        return reply

    def close(self) -> None:
        if self.worker is not None:
            self.worker.kill()


def _missing(s: Submission) -> str | None:
    """Why the module cannot be graded at all (missing, or a link), or None."""
    if s.files is not None:
        return None if s.path in s.files else _("{display} is missing: create it (start from the stub)",
                                                display=s.display)
    real_folder = os.path.realpath(os.path.dirname(os.path.abspath(s.path)))
    if os.path.islink(s.path) or os.path.realpath(s.path) != os.path.join(real_folder, os.path.basename(s.path)):
        # A link could point at the reference solution: only the submission's own file is graded.
        return _("{display} is a symbolic link: submit the file itself", display=s.display)
    if not os.path.isfile(s.path):
        return _("{display} is missing: create it (start from the stub)", display=s.display)
    return None
