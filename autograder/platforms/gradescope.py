"""Gradescope's side: ``run_autograder`` runs ``python3 -m autograder.platforms.gradescope``.

It grades ``ROOT/submission`` (ROOT is ``/autograder`` on Gradescope; the first argument
moves it, for tests) with this package's kit at its seed, and writes
``ROOT/results/results.json``, always: when grading itself fails, the file gives 0 points and
says why, in words a student can act on (a wrong upload) or that the course staff can (a
crash, with the traceback on stdout, which Gradescope shows to staff only).
"""
from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

DEFAULT_ROOT = Path("/autograder")


def results_for(submission: Path, *, started: float) -> dict:
    from autograder.api import UsageError, grade
    from autograder.kit import Kit
    from autograder.platforms import find_submission, for_students
    from autograder.render.gradescope import results
    kit = Kit.installed()
    try:
        folder = find_submission(submission)
    except UsageError as exc:
        return failure(f"Your upload could not be graded: {exc}.", started=started)
    document = grade("all", submission=folder, kit=kit)
    package = (kit.manifest or {}).get("package", {})
    data = results(for_students(document), hidden_visibility=package.get("hidden_visibility", "after_published"))
    data["execution_time"] = round(time.monotonic() - started)
    return data


def failure(why: str, *, started: float) -> dict:
    return {"score": 0, "execution_time": round(time.monotonic() - started), "output": why,
            "output_format": "text", "tests": []}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else DEFAULT_ROOT
    started = time.monotonic()
    out = root / "results" / "results.json"
    try:
        data = results_for(root / "submission", started=started)
    except Exception as exc:  # the platform must get a results file, whatever went wrong
        traceback.print_exc()
        data = failure(f"The autograder crashed before it could grade this submission ({type(exc).__name__}: "
                       f"{exc}). Your course staff can see the details; please tell them.", started=started)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial")
    partial.write_text(json.dumps(data, indent=2), encoding="utf-8")
    partial.replace(out)
    print(f"torchgrade: {data['score']:g} points; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
