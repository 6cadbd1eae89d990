"""Gradescope ``results.json`` (gradescope/autograder_samples docs/specs.md)."""
from __future__ import annotations

import json

import click

from autograder.render import all_checks, check_text
from autograder.render.text import render as render_text

# Hidden checks are shown to students once grades are published, not before the deadline
# (``grade package gradescope --hidden-visibility`` changes it).
HIDDEN_VISIBILITY = "after_published"
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


def results(document: dict, *, hidden_visibility: str = HIDDEN_VISIBILITY) -> dict:
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"unknown Gradescope visibility {hidden_visibility!r}; choose from {', '.join(VISIBILITIES)}")
    tests = [{"name": f"{ex['id']}: {check['id']}", "number": f"{ex['id'].removeprefix('exercise')}.{i}",
              "score": check["score"], "max_score": check["max_score"],
              "status": "passed" if check["status"] == "passed" else "failed",
              "output": check_text(check, document.get("lang", "en")),
              "visibility": hidden_visibility if check["visibility"] == "hidden" else "visible",
              "tags": [ex["id"], check["status"]]}
             for i, (ex, check) in enumerate(all_checks(document), start=1)]
    shown = document if hidden_visibility == "visible" else _visible_only(document)
    summary = click.unstyle(render_text(shown))  # the terminal report, without its colour codes
    return {"score": document["score"], "output": summary, "output_format": "text", "tests": tests,
            "extra_data": {"seed": document["seed"], "sandbox": document["sandbox"]}}


def _visible_only(document: dict) -> dict:
    """The document as a student may see it before hidden checks are published: totals
    would give the hidden checks' results away, so the summary lists visible checks only."""
    exercises = []
    for ex in document["exercises"]:
        checks = [c for c in ex["checks"] if c["visibility"] != "hidden"]
        exercises.append(dict(ex, checks=checks, score=sum(c["score"] for c in checks),
                              max_score=sum(c["max_score"] for c in checks)))
    return dict(document, exercises=exercises, score=sum(e["score"] for e in exercises),
                max_score=sum(e["max_score"] for e in exercises))


def render(document: dict) -> str:
    return json.dumps(results(document), indent=2)
