"""Classroom 50's side: the package's ``autograder.py`` runs ``python -m autograder.platforms.classroom50``.

It grades the student's checkout (the first argument; Classroom 50 runs the entrypoint
there) with this package's kit at its seed, and writes ``CHECKOUT/result.json``
(classroom50/result/v1, integer points) with the identity the runner passes in its
environment.  A checkout that cannot be graded (no exercises) still gets a result: 0 points
per exercise, saying why.  Exit status 0 whenever grading ran; anything else is an
infrastructure error, which the runner reports as such.
"""
from __future__ import annotations

import datetime
import json
import os
import sys
from pathlib import Path

# the runner's environment -> result.json's identity fields (a local run fills in "local")
ENVIRONMENT = {"classroom": "CLASSROOM", "assignment": "ASSIGNMENT", "owner": ("OWNER", "USERNAME", "GITHUB_ACTOR"),
               "assignment_type": "ASSIGNMENT_TYPE", "submission": "SUBMISSION_TAG", "commit": "COMMIT_URL",
               "release": "RELEASE_URL", "review": ("REVIEW_URL", "COMMIT_URL")}
LOCAL = {"assignment_type": "individual", "submission": "submit/local"}


def identity(environ: dict[str, str]) -> dict[str, str]:
    found = {}
    for field, names in ENVIRONMENT.items():
        names = (names,) if isinstance(names, str) else names
        found[field] = next((environ[n] for n in names if environ.get(n)), LOCAL.get(field, "local"))
    found["datetime"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return found


def result_for(checkout: Path, environ: dict[str, str]) -> dict:
    from autograder.api import UsageError, grade
    from autograder.kit import Kit
    from autograder.platforms import find_submission, for_students
    from autograder.render.classroom50 import result
    kit = Kit.installed()
    who = identity(environ)
    try:
        folder = find_submission(checkout)
    except UsageError as exc:
        tests = [{"test-name": ex.id, "passed": False, "score": 0, "max-score": int(ex.max_score),
                  "message": f"not graded: {exc}"} for ex in kit.exercises]
        return {"schema": "classroom50/result/v1", **who, "score": 0,
                "max-score": sum(t["max-score"] for t in tests), "tests": tests}
    return result(for_students(grade("all", submission=folder, kit=kit)), who)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    checkout = Path(argv[0] if argv else ".").resolve()
    data = result_for(checkout, dict(os.environ))
    (checkout / "result.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    print(f"torchgrade: {data['score']}/{data['max-score']} points; wrote {checkout / 'result.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
