"""Verdicts and the outcomes a check can end in.

A comparison returns a ``Verdict``; a check turns a failed verdict into ``CheckFailed``.
The student-side outcomes (not attempted, crashed, timed out, raised) are exceptions that
the remote proxy raises, so that a check reads as straight-line code and the plugin maps
each exception to one status of the canonical report.
"""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str = ""
    hint: str | None = None

    @classmethod
    def passed(cls) -> "Verdict":
        return cls(True)

    @classmethod
    def failed(cls, message: str, hint: str | None = None) -> "Verdict":
        return cls(False, message, hint)


class Outcome(Exception):
    """Base of everything a check can end with other than passing."""

    status = "failed"

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class CheckFailed(Outcome):
    """The student's code ran, and what it produced is wrong."""


class Partial(Outcome):
    """The check earns ``fraction`` of its points (e.g. accuracy-scaled training checks)."""

    def __init__(self, fraction: float, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.fraction = min(max(float(fraction), 0.0), 1.0)
        self.status = "passed" if self.fraction >= 1.0 else "failed"


class NotAttempted(Outcome):
    status = "not_attempted"


class StudentError(Outcome):
    """The student's code raised, crashed, exited, or returned something unsendable.

    ``raised`` is True when their function raised an exception while running (not when the
    module could not be loaded or a function is missing): the check's own hint applies then,
    unless ``hint`` already names the known mistake the exception is the signature of.
    """

    status = "error"

    def __init__(self, message: str, hint: str | None = None, *, raised: bool = False) -> None:
        super().__init__(message, hint)
        self.raised = raised


class StudentTimeout(Outcome):
    status = "timeout"


def require(verdict: Verdict, hint: str | None = None) -> None:
    """Raise ``CheckFailed`` for a failed verdict (the verdict's own hint wins)."""
    if not verdict.ok:
        raise CheckFailed(verdict.message, verdict.hint or hint)
