"""Classroom 50 ``result.json`` (schema classroom50/result/v1): integer points only.

The runner fills owner, datetime and the other top-level facts; we write scores and tests.
Fractional points are floored for the score and rounded for the maximum, so a student never
gets more than earned and ``score <= max-score`` always holds.
"""
from __future__ import annotations

import json
import math

from autograder.render import all_checks, check_text


def render(document: dict) -> str:
    tests = []
    for ex, check in all_checks(document):
        max_score = int(round(check["max_score"]))
        tests.append({"test-name": f"{ex['id']}: {check['id']}", "passed": check["status"] == "passed",
                      "score": min(int(math.floor(check["score"] + 1e-9)), max_score), "max-score": max_score,
                      "message": check_text(check)})
    return json.dumps({"schema": "classroom50/result/v1", "score": sum(t["score"] for t in tests),
                       "max-score": sum(t["max-score"] for t in tests), "tests": tests}, indent=2)
