"""PrairieLearn external-grader ``results.json``: ``score`` is a fraction in [0, 1]."""
from __future__ import annotations

import json

from autograder.i18n import said
from autograder.render import all_checks, check_text
from autograder.render.text import render as render_text


def render(document: dict) -> str:
    lang = document.get("lang", "en")
    tests = [{"name": f"{ex['id']}: {check['id']}", "description": said(ex, "title"), "points": check["score"],
              "max_points": check["max_score"], "message": said(check, "message"), "output": check_text(check, lang)}
             for ex, check in all_checks(document)]
    score = document["score"] / document["max_score"] if document["max_score"] else 0.0
    return json.dumps({"gradable": True, "score": score, "message": f"{document['score']:g}/{document['max_score']:g}",
                       "output": render_text(document), "tests": tests}, indent=2)
