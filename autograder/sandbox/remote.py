"""The student's module as the suites see it (the ``student`` fixture): a proxy whose calls
run in the worker.

``student.forward(x, w1, w2)`` sends the arguments as plain data, waits at most the check's
time limit, and returns the decoded result, or raises the outcome that describes what went
wrong (``NotAttempted``, ``StudentError``, ``StudentTimeout``) in words a student can act on.
``student.drive("modules:new", ...)`` runs one of the grader's drivers
(``autograder.worker.drivers``) next to the student's code; the checks' helpers
(``autograder.checks``: handles, forbidden-API recording, device runs) are built on it.
"""
from __future__ import annotations

import ast
import dataclasses
import inspect
from typing import Any

from autograder.checks.raised import known_mistake_hint
from autograder.checks.verdict import NotAttempted, StudentError, StudentTimeout
from autograder.i18n import Text, _, join
from autograder.sandbox.process import WorkerDied, WorkerProtocolError, WorkerTimeout
from autograder.sandbox.session import Session
from autograder.worker import protocol

SOURCE_LIMIT = 2 * 1024 * 1024  # bytes of student source the parent will parse


@dataclasses.dataclass(frozen=True)
class CallResult:
    result: Any
    args: list  # the positional arguments as they were after the call (to detect in-place changes)
    kwargs: dict
    stdout: str


# what protocol.lookup says a student's module lacks, in the student's language
WHAT = {"function": _("function"), "class": _("class"), "class or function": _("class or function")}


class StudentModule:
    def __init__(self, session: Session, *, reference: Any, timeout: float, seed: int | None) -> None:
        self._session = session
        self._reference = reference
        self._timeout = timeout
        self._seed = seed

    @property
    def display(self) -> str:
        return self._session.submission.display

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)

        def remote(*args: Any, **kwargs: Any) -> Any:
            return self.call(name, *args, **kwargs).result
        remote.__name__ = name
        return remote

    def call(self, func: str, *args: Any, _timeout: float | None = None, **kwargs: Any) -> CallResult:
        """Call ``func`` in the worker; the reply also carries the arguments after the call."""
        timeout = _timeout or self._timeout
        try:
            reply = self._session.request({"op": "call", "func": func, "args": list(args), "kwargs": kwargs,
                                           "return_args": True, "seed": self._seed}, timeout=timeout)
        except (WorkerTimeout, WorkerDied, WorkerProtocolError) as exc:
            raise self._transport(func, exc, timeout) from None
        if not reply["ok"]:
            raise self._outcome(func, reply, loading=reply is self._session.loaded)
        args_after = reply.get("args", [])
        if type(args_after) is not list or len(args_after) != len(args):
            raise StudentError(_("{func}(): malformed reply from the worker", func=func))
        return CallResult(reply.get("result"), args_after, reply.get("kwargs", {}), reply.get("stdout", ""))

    def args_after(self, func: str, *args: Any, **kwargs: Any) -> list:
        """The positional arguments of ``func(*args, **kwargs)`` as they were after the call."""
        return self.call(func, *args, **kwargs).args

    def drive(self, driver: str, *args: Any, _timeout: float | None = None, **kwargs: Any) -> Any:
        """Run the grader's driver ``autograder.worker.drivers.<driver>`` ("module:function") in
        the worker, on the student's module; returns the driver's plain-data result."""
        timeout = _timeout or self._timeout
        name = driver.split(":")[-1]
        try:
            reply = self._session.request({"op": "drive", "driver": driver, "args": list(args), "kwargs": kwargs,
                                           "seed": self._seed}, timeout=timeout)
        except (WorkerTimeout, WorkerDied, WorkerProtocolError) as exc:
            raise self._transport(name, exc, timeout) from None
        if not reply["ok"]:
            func = reply.get("error", {}).get("func") if type(reply.get("error")) is dict else None
            raise self._outcome(str(func or name), reply, loading=reply is self._session.loaded)
        return reply.get("result")

    def load_info(self) -> dict:
        """What importing the module did: ``names`` (signatures), ``imported``, ``uses``."""
        reply = self._session.load_info()
        if not reply["ok"]:
            raise self._outcome("", reply, loading=True)
        return reply

    def memo(self, key: str, compute: Any) -> Any:
        """``compute()``, once per grading of this submission (kept with its session)."""
        memo = self._session.memo
        if key not in memo:
            memo[key] = compute()
        return memo[key]

    def source_tree(self) -> ast.Module:
        """The student's module parsed (never executed) in the parent, for static checks."""
        return self.memo("source_tree", self._parse)

    def _parse(self) -> ast.Module:
        try:
            data = self._session.submission.read(SOURCE_LIMIT)
            if len(data) > SOURCE_LIMIT:
                raise StudentError(_("{display} is larger than {limit} bytes", display=self.display,
                                     limit=SOURCE_LIMIT))
            return ast.parse(data, filename=self.display)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            raise StudentError(_("{display} cannot be parsed: {name}: {exc}", display=self.display,
                                 name=type(exc).__name__, exc=exc)) from None
        except OSError as exc:
            raise StudentError(_("{display} cannot be read: {value}", display=self.display,
                                 value=exc.strerror or exc)) from None

    @staticmethod
    def _transport(func: str, exc: Exception, timeout: float) -> Exception:
        if isinstance(exc, WorkerTimeout):
            return StudentTimeout(_("{func}() did not return within {timeout:g} s: an infinite loop, or "
                                    "much more work than needed?", func=func, timeout=timeout))
        if isinstance(exc, WorkerDied):
            return StudentError(_("the process running {func}() died without answering ({exc}): "
                                  "os._exit(), a crash in native code, or too much memory", func=func, exc=exc))
        return StudentError(_("{func}() sent back a malformed or oversized answer: {exc}", func=func, exc=exc))

    def _outcome(self, func: str, reply: dict, *, loading: bool) -> Exception:
        error = reply.get("error") if type(reply.get("error")) is dict else {}
        kind, message = str(error.get("type", "Error")), error.get("message", "")
        message = message if isinstance(message, Text) else str(message)  # the parent's own failures are Text
        where = join("", (_("\n  at {where}", where=w) for w in error.get("where", []) if type(w) is str))
        if loading:
            if kind == protocol.NOT_IMPLEMENTED:
                return NotAttempted(_("importing {display} raised NotImplementedError", display=self.display))
            if kind in protocol.LOAD_FAILURES:
                return StudentError(message)
            return StudentError(_("importing {display} failed: {kind}: {message}{where}", display=self.display,
                                  kind=kind, message=message, where=where))
        if kind == protocol.NOT_IMPLEMENTED:
            return NotAttempted(_("{func}() is not implemented yet (it raises NotImplementedError)", func=func))
        expected = self._expected_signature(func)
        if kind == protocol.MISSING_FUNCTION:
            missing = error.get("missing")
            if type(missing) is list and len(missing) == 2 and all(type(m) is str for m in missing):
                message = _("{display} defines no {what} {name!r}", display=self.display,
                            what=WHAT.get(missing[0], missing[0]), name=missing[1])
            return StudentError(_("{message}; expected {expected}", message=message, expected=expected) if expected
                                else message)
        if kind == protocol.SYSTEM_EXIT:
            return StudentError(_("{func}() raised SystemExit ({value}): return the result instead of "
                                  "exiting{where}", func=func, value=message or 'sys.exit()', where=where))
        text = _("{func}() raised {kind}: {message}{where}", func=func, kind=kind, message=message, where=where)
        if kind == "TypeError" and expected:
            text = _("{text}\n  your signature: {signature}; expected: {expected}", text=text,
                     signature=error.get("signature", "?"), expected=expected)
        return StudentError(text, known_mistake_hint(kind, message), raised=True)

    def _expected_signature(self, func: str) -> str | None:
        ref = getattr(self._reference, func, None)
        if ref is None:
            return None
        try:
            return f"{func}{inspect.signature(ref)}"
        except (TypeError, ValueError):
            return None
