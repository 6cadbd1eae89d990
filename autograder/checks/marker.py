"""``@check``: the one marker of the grading suites, declared here and read by the engine.

``@check(points, hidden=False, hint=None, timeout=None)``
    A graded check.  ``points`` it is worth; ``hidden`` checks use seeds the student never
    sees and are not released to students (``hidden=`` must be a literal: ``grade release``
    reads it from the source); ``hint`` is shown under a failure unless a known mistake was
    recognised (then that mistake's hint is shown); ``timeout`` in seconds per call into
    student code (default: the exercise's ``call_timeout``).

The fixtures a check may take are documented in ``autograder.engine.plugin``.
"""
from __future__ import annotations

from typing import Any

import pytest

MARKER = "check"


def check(points: float, *, hidden: bool = False, hint: str | None = None, timeout: float | None = None):
    """Declare a graded check (see the module docstring)."""
    return getattr(pytest.mark, MARKER)(points=points, visibility="hidden" if hidden else "visible",
                                        hint=hint, timeout=timeout)


def check_id(item: Any) -> str:
    """``forward`` for the test ``test_forward``: how checks are named everywhere."""
    return item.name.removeprefix("test_")
