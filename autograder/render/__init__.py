"""Renderers: each turns the canonical result document into one output format.

``FORMATS`` maps a ``--format`` name to ``"module:function"``; every function takes the
document and returns the text to print (or to write where the platform expects it).
"""
from __future__ import annotations

import importlib
from typing import Callable

FORMATS = {
    "text": "text:render",
    "json": "canonical:render",
    "gradescope": "gradescope:render",      # /autograder/results/results.json
    "classroom": "classroom:render",        # `result=<base64>` line for $GITHUB_OUTPUT
    "classroom50": "classroom50:render",    # ./result.json (integer points)
    "prairielearn": "prairielearn:render",  # /grade/results/results.json
}


def renderer(name: str) -> Callable[[dict], str]:
    module, _, func = FORMATS[name].partition(":")
    return getattr(importlib.import_module(f"autograder.render.{module}"), func)


def all_checks(document: dict):
    """(exercise, check) pairs in report order: the unit every grade-book format lists."""
    for exercise in document["exercises"]:
        for check in exercise["checks"]:
            yield exercise, check


def check_text(check: dict) -> str:
    """A check's message, hint and reproduce command as one block of text."""
    parts = [check.get("message") or "", check.get("output") or ""]
    if check.get("hint"):
        parts.append(f"hint: {check['hint']}")
    if check.get("reproduce"):
        parts.append(f"reproduce: {check['reproduce']}")
    return "\n".join(p for p in parts if p)
