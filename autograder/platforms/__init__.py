"""The platform side of ``grade package``: what runs where a platform grades.

``gradescope`` is what a Gradescope autograder's ``run_autograder`` runs; ``classroom50`` what
a Classroom 50 ``autograder.py`` runs.  Both grade with the package's own kit (the whole
suites, expected values recorded at the package's seed, no solution code) and always leave
the platform a results file it can read.  ``find_submission`` accepts what students upload;
``for_students`` makes the reproduce lines ones a student can run.
"""
from __future__ import annotations

from pathlib import Path

from autograder.api import UsageError


def find_submission(folder: Path) -> Path:
    """The folder to grade in an upload: one with ``exercises/`` or the exercise modules,
    ``folder`` itself or the one folder it holds (a repository uploaded as a folder or zip)."""
    for candidate in (folder, *_only_child(folder)):
        if (candidate / "exercises").is_dir() or any(candidate.glob("exercise*.py")):
            return candidate
    found = sorted(p.name for p in folder.iterdir())[:10] if folder.is_dir() else []
    raise UsageError(f"the upload has no exercises/ folder and no exercise modules (exercise*.py); it holds: "
                     f"{', '.join(found) or 'nothing'}. Upload your exercise files, or your repository with "
                     "its exercises/ folder")


def _only_child(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    children = [p for p in folder.iterdir() if not p.name.startswith((".", "__"))]
    return children if len(children) == 1 and children[0].is_dir() else []


def for_students(document: dict) -> dict:
    """The document with reproduce lines a student can run in their own repository: the
    package's seed and paths mean nothing there (their release has the public seed's values
    and no hidden checks), so a visible check reproduces as ``grade EXERCISE -k CHECK`` and a
    hidden one not at all."""
    exercises = []
    for ex in document["exercises"]:
        checks = []
        for check in ex["checks"]:
            check = dict(check)
            if check.get("reproduce"):
                check["reproduce"] = f"grade {ex['id']} -k {check['id']}" if check["visibility"] != "hidden" else ""
            checks.append(check)
        exercises.append(dict(ex, checks=checks))
    return dict(document, exercises=exercises)
