"""A student module loaded in a worker: the parent half of ``autograder.worker.child``.

``Session`` keeps one student module loaded in a worker and replaces the worker when it
dies, so one bad call fails only itself; a module that cannot be loaded (missing, a link,
an import that crashes or hangs) fails every request with the load's error, without
retrying.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any

from autograder.sandbox.process import WorkerDied, WorkerProcess, WorkerProtocolError, WorkerTimeout
from autograder.worker import protocol


@dataclasses.dataclass
class Submission:
    """Where one exercise's student module is: its file, import name and display path."""

    path: str
    module: str
    display: str


class Session:
    """One student module, loaded in a worker that is replaced whenever it dies."""

    def __init__(self, launcher: Any, submission: Submission, *, load_timeout: float = 30.0) -> None:
        self.launcher = launcher
        self.submission = submission
        self.load_timeout = load_timeout
        self.worker: WorkerProcess | None = None
        self.loaded: dict | None = None  # the reply to "load" (names, imports) or its error
        # What the parent derives from the submission's source once per grading (its parsed
        # tree, the forbidden-API analysis), whichever check asks first.
        self.memo: dict[str, Any] = {}

    def _ensure(self) -> WorkerProcess | None:
        """A worker with the module loaded, or None when loading failed (then for good:
        an import that crashed or hung once will do so again, and each retry costs time)."""
        if self.loaded is not None and not self.loaded["ok"]:
            return None
        s = self.submission
        real_folder = os.path.realpath(os.path.dirname(os.path.abspath(s.path)))
        if os.path.islink(s.path) or os.path.realpath(s.path) != os.path.join(real_folder, os.path.basename(s.path)):
            # A link could point at the reference solution: only the submission's own file is graded.
            self.loaded = protocol.failure(protocol.MISSING_FILE, f"{s.display} is a symbolic link: submit the file itself")
            return None
        if not os.path.isfile(s.path):
            self.loaded = protocol.failure(protocol.MISSING_FILE, f"{s.display} is missing: create it (start from the stub)")
            return None
        if self.worker is None or not self.worker.alive:
            self.worker = self.launcher.spawn()
            try:
                self.loaded = self.worker.request(
                    {"op": "load", "path": s.path, "module": s.module, "display": s.display},
                    timeout=self.load_timeout)
            except WorkerTimeout:
                self.loaded = protocol.failure(protocol.TIMEOUT, f"importing {s.display} took longer than {self.load_timeout:g} s")
            except (WorkerDied, WorkerProtocolError) as exc:
                self.loaded = protocol.failure(protocol.CRASHED, f"the process died while importing {s.display}: {exc}")
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
        return worker.request(message, timeout=timeout)

    def close(self) -> None:
        if self.worker is not None:
            self.worker.kill()
