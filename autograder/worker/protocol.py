"""The worker <-> parent protocol: requests, replies and the error kinds, each named once.

A request is a dict with an ``op``: ``load`` (import the student's module, from ``path``;
or, with ``files``, from the submission sent as data and staged into the worker's private
scratch space, ``path`` then being relative to it), ``call`` (one function of the module)
or ``drive`` (a grader driver from ``autograder.worker.drivers``).  A reply
is ``{"ok": True, "result": ..., "stdout": ...}`` or ``{"ok": False, "error": {"type",
"message", "where", "func", "signature"}}``, plain data only (``autograder.worker.wire``);
each also says ``cpu_s``, the CPU seconds the worker spent on it (which the parent caps at
the wall time it observed itself: a submission could lie).

``error["type"]`` is the class name of the exception the student's code raised, or one of
the kinds below, which the parent (``autograder.sandbox``) turns into a student's message.
"""
from __future__ import annotations

from typing import Any

# The student's side
NOT_IMPLEMENTED = "NotImplementedError"  # "not attempted"
SYSTEM_EXIT = "SystemExit"
MISSING_FUNCTION = "MissingFunction"  # the module lacks a function or class the grader asked for
# Raised by the parent's session, never by a worker
MISSING_FILE = "MissingFile"  # the exercise's module is missing or a symbolic link
TIMEOUT = "Timeout"  # loading the module took too long
CRASHED = "Crashed"  # the process died while loading the module
STAGE_FAILED = "StageFailed"  # a submission sent as data could not be written into the worker
# The grader's side
PROTOCOL_ERROR = "ProtocolError"  # a request the worker cannot serve
UNSENDABLE = "UnsendableResult"  # a result the wire format refuses (too large, too deep)

LOAD_FAILURES = (MISSING_FILE, TIMEOUT, CRASHED, STAGE_FAILED)  # their message is complete as it is


class MissingFunction(AttributeError):
    """The student's module does not define what the grader asked for (its class name is the
    ``MISSING_FUNCTION`` kind the parent reads; ``what`` and ``name`` travel beside the message
    so that the parent can say it in the student's language)."""

    def __init__(self, display: str, what: str, name: str) -> None:
        super().__init__(f"{display} defines no {what} {name!r}")
        self.what, self.name = what, name


assert MissingFunction.__name__ == MISSING_FUNCTION


def lookup(module: Any, name: str, *, display: str, what: str = "function") -> Any:
    """``module.name`` when it is callable, else ``MissingFunction`` naming the file."""
    target = getattr(module, name, None)
    if target is None or not callable(target):
        raise MissingFunction(display, what, name)
    return target


def failure(kind: str, message: str, **extra: Any) -> dict:
    """A reply that says the request failed with ``kind``."""
    return {"ok": False, "error": {"type": kind, "message": message, **extra}}
