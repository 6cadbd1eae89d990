"""``autograder.check("exercise3")``: grading from a notebook, with a result that renders.

The grading is ``api.grade``'s: the student's module runs in worker processes, never in the
kernel, and every call starts fresh (safe to call again after each edit).  The ``Result`` is
the canonical document (a read-only mapping: ``result["score"]``, ``result.document``) that
Jupyter shows as a table (``_repr_html_``, ``_repr_markdown_``) and a terminal as the text
report (``repr``).
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Iterator, Sequence

import click

from autograder.kit import Kit


class Result(Mapping):
    """A graded document that displays itself."""

    def __init__(self, document: dict) -> None:
        self.document = document

    def __getitem__(self, key: str) -> Any:
        return self.document[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.document)

    def __len__(self) -> int:
        return len(self.document)

    def __repr__(self) -> str:
        from autograder.render.text import render
        return click.unstyle(render(self.document))

    def _repr_html_(self) -> str:
        from autograder.render.notebook import render_html
        return render_html(self.document)

    def _repr_markdown_(self) -> str:
        from autograder.render.notebook import render_markdown
        return render_markdown(self.document)


def check(exercises: Sequence[str] | str, *, submission: str | os.PathLike = ".", seed: int | None = None,
          pattern: str | None = None, sandbox: str = "auto", kit: Kit | None = None, lang: str | None = None) -> Result:
    """Grade ``exercises`` of the submission at ``submission`` (default: the notebook's folder,
    holding ``exercises/`` or the exercise modules) and return a ``Result``; the arguments
    are ``autograder.grade``'s, and ``lang`` as ``grade --lang`` (default: the kernel's locale)."""
    from autograder.api import grade
    from autograder.i18n import language
    return Result(grade(exercises, submission=submission, seed=seed, pattern=pattern, sandbox=sandbox, kit=kit,
                        lang=language(lang, os.environ)))
