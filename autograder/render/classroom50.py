"""Classroom 50 ``result.json`` (schema classroom50/result/v1): integer points only.

Points are integers in every suite of this kit.  Should a check ever have fractional
points, its score is floored and its maximum rounded (never more than earned, and
``score <= max-score`` always holds); the totals are the sums of the per-test values, so
they always add up.  ``identity`` is what the Classroom 50 runner passes in its
environment (classroom, assignment, owner, links); it is required by the schema and checked
by the runner against the repository, which also stamps ``owner`` and ``assignment_type``.
"""
from __future__ import annotations

import json
import math

from autograder.render import all_checks, check_text

IDENTITY = ("classroom", "assignment", "assignment_type", "owner", "submission", "commit", "release",
            "review", "datetime")


def result(document: dict, identity: dict | None = None) -> dict:
    tests = []
    for ex, check in all_checks(document):
        max_score = int(round(check["max_score"]))
        tests.append({"test-name": f"{ex['id']}: {check['id']}", "passed": check["status"] == "passed",
                      "score": min(int(math.floor(check["score"] + 1e-9)), max_score), "max-score": max_score,
                      "message": check_text(check, document.get("lang", "en"))})
    head = {"schema": "classroom50/result/v1", **{k: identity[k] for k in IDENTITY if identity and k in identity}}
    return {**head, "score": sum(t["score"] for t in tests), "max-score": sum(t["max-score"] for t in tests),
            "tests": tests}


def render(document: dict) -> str:
    return json.dumps(result(document), indent=2)
