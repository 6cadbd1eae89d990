"""Instructor-only tools: the student template and what keeps it honest.

``build`` writes the student release (``grade release``); ``public`` cuts the hidden checks
out of a suite; ``record`` records the reference's answers for the public checks;
``audit`` searches a tree for leaked solution code and hidden checks; ``verify`` grades
with a built release and compares with the kit; ``stubgen`` generates ``exercises/`` from
``solutions/``; ``workflow`` generates ``classroom.yml``.  None of this ships to students.
"""
from __future__ import annotations


class ReleaseError(RuntimeError):
    """The release cannot be built faithfully (the message says which exercise and check)."""
