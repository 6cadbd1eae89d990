"""The GitHub Classroom reporter protocol: ``name=<base64 of compact JSON>`` lines for ``$GITHUB_OUTPUT``.

One line per exercise (``exercise3=...``), so one ``grade all`` step feeds the reporter one
runner per exercise (``EXERCISE3_RESULTS: ${{ steps.grade.outputs.exercise3 }}``), and a
``result=...`` line for the whole document (the output a one-exercise step is read by).
classroom-resources/autograding-grading-reporter sums ``max_score`` and each test's
``score`` and prints ``Points X/Y``.  Every test carries a numeric score (a missing one
makes the reported total NaN).
"""
from __future__ import annotations

import base64
import json

from autograder.render import all_checks, check_text

STATUS = {"passed": "pass", "skipped": "pass"}


def payload(document: dict) -> dict:
    lang = document.get("lang", "en")
    tests = [{"name": f"{ex['id']}: {check['id']}", "status": STATUS.get(check["status"], "fail"),
              "score": check["score"], "message": check_text(check, lang), "test_code": check.get("reproduce", ""),
              "filename": "", "line_no": 0, "duration": int(1000 * check.get("duration_s", 0))}
             for ex, check in all_checks(document)]
    status = "pass" if all(t["status"] == "pass" for t in tests) else "fail"
    return {"version": 1, "status": status, "max_score": document["max_score"], "tests": tests}


def _line(name: str, document: dict) -> str:
    return f"{name}={base64.b64encode(json.dumps(payload(document), separators=(',', ':')).encode()).decode()}"


def render(document: dict) -> str:
    lines = [_line(ex["id"], dict(document, exercises=[ex], max_score=ex["max_score"]))
             for ex in document["exercises"]]
    return "\n".join(lines + [_line("result", document)])
