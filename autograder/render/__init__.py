"""Renderers: each turns the canonical result document into one output format.

``FORMATS`` maps a ``--format`` name to ``"module:function"``; every function takes the
document and returns the text to print (or to write where the platform expects it).
"""
from __future__ import annotations

import importlib
from typing import Callable

from autograder.i18n import _, said

FORMATS = {
    "text": "text:render",
    "json": "canonical:render",
    "gradescope": "gradescope:render",      # /autograder/results/results.json
    "classroom": "classroom:render",        # `result=<base64>` line for $GITHUB_OUTPUT
    "classroom50": "classroom50:render",    # ./result.json (integer points)
    "prairielearn": "prairielearn:render",  # /grade/results/results.json
}


def renderer(name: str) -> Callable[[dict], str]:
    module, _colon, func = FORMATS[name].partition(":")
    return getattr(importlib.import_module(f"autograder.render.{module}"), func)


def all_checks(document: dict):
    """(exercise, check) pairs in report order: the unit every grade-book format lists."""
    for exercise in document["exercises"]:
        for check in exercise["checks"]:
            yield exercise, check


def check_text(check: dict, lang: str = "en") -> str:
    """A check's message, hint and reproduce command as one block of text, in ``lang`` (the
    document's: the check's translation when it has one)."""
    parts = [said(check, "message"), said(check, "output")]
    if check.get("hint"):
        parts.append(_("hint: {hint}", hint=said(check, "hint")).localize(lang))
    if check.get("reproduce"):
        parts.append(_("reproduce: {command}", command=check["reproduce"]).localize(lang))
    return "\n".join(p for p in parts if p)
