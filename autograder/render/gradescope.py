"""Gradescope ``results.json`` (gradescope/autograder_samples docs/specs.md)."""
from __future__ import annotations

import json

from autograder.render import all_checks, check_text

# Hidden checks are shown to students once grades are published, not before the deadline.
VISIBILITY = {"visible": "visible", "hidden": "after_published"}


def render(document: dict) -> str:
    tests = [{"name": f"{ex['id']}: {check['id']}", "number": f"{ex['id'].removeprefix('exercise')}.{i}",
              "score": check["score"], "max_score": check["max_score"],
              "status": "passed" if check["status"] == "passed" else "failed",
              "output": check_text(check), "visibility": VISIBILITY.get(check["visibility"], "visible"),
              "tags": [ex["id"], check["status"]]}
             for i, (ex, check) in enumerate(all_checks(document), start=1)]
    return json.dumps({"score": document["score"], "output_format": "text", "tests": tests,
                       "extra_data": {"seed": document["seed"], "sandbox": document["sandbox"]}}, indent=2)
