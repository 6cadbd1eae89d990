"""The GitHub Classroom reporter protocol: one line ``result=<base64 of compact JSON>``.

The workflow appends it to ``$GITHUB_OUTPUT``; classroom-resources/autograding-grading-reporter
sums ``max_score`` and each test's ``score`` and prints ``Points X/Y``.  Every test carries a
numeric score (a missing one makes the reported total NaN).
"""
from __future__ import annotations

import base64
import json

from autograder.render import all_checks, check_text

STATUS = {"passed": "pass", "skipped": "pass"}


def payload(document: dict) -> dict:
    tests = [{"name": f"{ex['id']}: {check['id']}", "status": STATUS.get(check["status"], "fail"),
              "score": check["score"], "message": check_text(check), "test_code": check.get("reproduce", ""),
              "filename": "", "line_no": 0, "duration": int(1000 * check.get("duration_s", 0))}
             for ex, check in all_checks(document)]
    status = "pass" if all(t["status"] == "pass" for t in tests) else "fail"
    return {"version": 1, "status": status, "max_score": document["max_score"], "tests": tests}


def render(document: dict) -> str:
    encoded = base64.b64encode(json.dumps(payload(document), separators=(",", ":")).encode()).decode()
    return f"result={encoded}"
