"""The pytest plugin that turns the suites' tests into graded checks.

The one marker, ``@check``, is declared in ``autograder.checks.marker``.

Fixtures: ``student`` (the student's module in the worker, ``autograder.sandbox.remote``),
``reference`` (the solution, trusted, or in a student release its recorded values),
``seed`` (the public seed for visible checks, a derived secret one for hidden checks),
``rng`` (a numpy Generator on that seed), ``exercise`` (the registry entry) and ``note``:
``note(text=None, **details)`` attaches lines shown under the check even when it passes
(an accuracy, a loss curve) and plain-JSON ``details`` kept in the report.

Each check's verdict is attached to pytest-json-report's per-test ``metadata`` under
``"check"``; ``autograder.engine.report`` builds the canonical document from it.
"""
from __future__ import annotations

import hashlib
import sys
import traceback
from typing import Any

import numpy as np
import pytest

from autograder.checks.marker import MARKER, check_id
from autograder.checks.verdict import Outcome, Partial
from autograder.i18n import _, join, localize
from autograder.registry import Exercise
from autograder.sandbox.remote import StudentModule
from autograder.sandbox.session import Session


def hidden_seed(seed: int, exercise: str, check: str) -> int:
    digest = hashlib.sha256(f"torchgrade-hidden:{seed}:{exercise}:{check}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


class GradingPlugin:
    def __init__(self, *, exercises: dict[str, Exercise], sessions: dict[str, Session],
                 references: Any, seed: int, pattern: str | None = None, lang: str = "en") -> None:
        self.exercises = exercises
        self.sessions = sessions
        self.references = references  # callable: Exercise -> module (or a replay object)
        self.run_seed = seed
        self.pattern = pattern
        self.lang = lang  # the verdicts say their message, hint and output in this language too
        self.notes: dict[str, dict] = {}  # nodeid -> what the check's ``note`` fixture recorded
        self.worker_s: dict[str, float] = {}  # nodeid -> seconds the check spent in the worker
        self.verdicts: dict[str, dict] = {}  # nodeid -> its verdict, as soon as it is known (streaming)

    # -- configuration ----------------------------------------------------------
    def pytest_configure(self, config: Any) -> None:
        config.addinivalue_line("markers", f"{MARKER}(points, visibility, hint, timeout): a graded check")

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: Any, items: list) -> None:
        for item in items:
            if item.get_closest_marker(MARKER) is None:
                raise pytest.UsageError(f"{item.nodeid} has no @check marker: every test in a suite is graded")
        # -k PATTERN is pytest's substring match, except that a check's exact id selects
        # that check alone, so the printed reproduce command re-runs exactly one check.
        exact = [item for item in items if check_id(item) == self.pattern]
        if exact:
            config.hook.pytest_deselected(items=[item for item in items if item not in exact])
            items[:] = exact

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtestloop(self, session: Any):
        """Oracles run on tiny tensors, one at a time, while a worker computes on the other
        core: torch's intra-op threads would only wait for a core (a conv2d then takes a
        scheduler tick, ≈8 ms, instead of 20 µs).  One thread while checks run, restored after."""
        torch = sys.modules.get("torch")
        threads = torch.get_num_threads() if torch is not None else None
        if threads is not None and threads > 1:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            if threads is not None and threads > 1:
                torch.set_num_threads(threads)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: Any):
        session = self.sessions.get(item.path.stem)
        before = getattr(session, "worker_s", 0.0)
        yield
        self.worker_s[item.nodeid] = getattr(session, "worker_s", 0.0) - before

    # -- fixtures ---------------------------------------------------------------
    def _exercise(self, request: Any) -> Exercise:
        return self.exercises[request.path.stem]

    @pytest.fixture
    def reference(self, request: Any) -> Any:
        ref = self.references(self._exercise(request))
        bind = getattr(ref, "bind_check", None)  # recorded references (autograder.engine.replay) follow the check
        return bind(check_id(request.node)) if callable(bind) else ref

    @pytest.fixture
    def seed(self, request: Any) -> int:
        marker = request.node.get_closest_marker(MARKER)
        if marker.kwargs.get("visibility") == "hidden":
            return hidden_seed(self.run_seed, request.path.stem, check_id(request.node))
        return self.run_seed

    @pytest.fixture
    def rng(self, seed: int) -> np.random.Generator:
        return np.random.default_rng(seed)

    @pytest.fixture
    def exercise(self, request: Any) -> Exercise:
        return self._exercise(request)

    @pytest.fixture
    def note(self, request: Any):
        store = self.notes.setdefault(request.node.nodeid, {"output": [], "details": {}})

        def add(text: str | None = None, **details: Any) -> None:
            if text:
                store["output"].append(text)
            store["details"].update(details)
        return add

    @pytest.fixture
    def student(self, request: Any, reference: Any, seed: int) -> StudentModule:
        exercise = self._exercise(request)
        timeout = request.node.get_closest_marker(MARKER).kwargs.get("timeout") or exercise.call_timeout
        return StudentModule(self.sessions[exercise.id], reference=reference, timeout=timeout, seed=seed)

    # -- verdicts ---------------------------------------------------------------
    def pytest_json_runtest_metadata(self, item: Any, call: Any) -> dict:
        if call.when == "call" or (call.when == "setup" and call.excinfo is not None):
            self.verdicts[item.nodeid] = verdict = self._verdict(item, call)
            return {"check": verdict}
        return {}

    def _verdict(self, item: Any, call: Any) -> dict:
        marker = item.get_closest_marker(MARKER)
        points = float(marker.kwargs["points"])
        result = {"id": check_id(item), "exercise": item.path.stem, "max_score": points,
                  "visibility": marker.kwargs.get("visibility", "visible"), "message": "", "hint": None,
                  "status": "passed", "score": points}
        if item.nodeid in self.worker_s:
            result["worker_s"] = round(self.worker_s[item.nodeid], 4)
        extra = self.notes.get(item.nodeid)
        if extra:
            result.update(output=join("\n", extra["output"]), details=extra["details"])
        exc = call.excinfo.value if call.excinfo is not None else None
        if exc is None:
            return self._said(result)
        if isinstance(exc, Outcome):
            fraction = exc.fraction if isinstance(exc, Partial) else 0.0
            # The check's general hint is about wrong results, and about code that raised while
            # computing them; a crash, a missing function or a module that cannot load has its
            # own explanation in the message.
            general = exc.status == "failed" or (exc.status == "error" and getattr(exc, "raised", False))
            hint = exc.hint if exc.hint is not None else (marker.kwargs.get("hint") if general else None)
            result.update(status=exc.status, message=exc.message, hint=hint, score=round(points * fraction, 2))
            if exc.hint is not None:  # a diagnosis of what this code did (a known mistake), not the check's advice
                result["specific_hint"] = True
        elif call.excinfo.errisinstance(pytest.skip.Exception):
            result.update(status="skipped", message=str(exc), score=0.0)
        elif isinstance(exc, AssertionError):
            result.update(status="failed", message=str(exc) or _("assertion failed"), score=0.0,
                          hint=marker.kwargs.get("hint"))
        else:  # a bug in the suite or the grader: say so, with the traceback, never hide it
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            result.update(status="error", score=0.0,
                          message=_("internal grader error (not your fault; please report it):\n{traceback}",
                                    traceback=text))
        return self._said(result)

    def _said(self, result: dict) -> dict:
        """The verdict as plain data: its text in English, and, in another language, a
        ``translation`` beside it (the same fields, translated)."""
        texts = {key: result[key] for key in ("message", "hint", "output") if result.get(key)}
        result.update({key: str(value) for key, value in texts.items()})
        if self.lang != "en" and texts:
            result["translation"] = {key: localize(value, self.lang) for key, value in texts.items()}
        return result
