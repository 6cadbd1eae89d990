"""Each student's results, read from the grade-book: what every output of a batch is built from.

``class_results(book, kit, seed)`` gives one ``StudentResult`` per student of the latest
intake, and per exercise a ``Cell``: graded (its canonical document), failed (a score of 0
and why: a rejected submission, an unreadable module), an error of the grader, or not
graded yet (another kit version, another ``--exercises``).  Reproduce commands name the
student's own submission.
"""
from __future__ import annotations

import dataclasses
import shlex

from autograder.batch.gradebook import SUBMISSION, Gradebook
from autograder.engine.report import round_points
from autograder.kit import Kit


@dataclasses.dataclass
class Cell:
    exercise: str
    state: str  # "graded", "failed", "error" or "pending"
    score: float | None = None
    max_score: float | None = None
    document: dict | None = None  # graded: the exercise's canonical document
    message: str | None = None  # failed / error: why
    duration_s: float | None = None


@dataclasses.dataclass
class StudentResult:
    student: str
    entry: str
    problem: str | None
    notes: list[str]
    cells: dict[str, Cell]

    @property
    def total(self) -> float | None:
        scores = [c.score for c in self.cells.values() if c.score is not None]
        return round_points(sum(scores)) if scores else None

    def document(self) -> dict | None:
        """What ``grade all --submission <entry> --seed N`` shows, for the graded exercises."""
        graded = [c.document for c in self.cells.values() if c.document]
        if not graded:
            return None
        exercises = [e for d in graded for e in d["exercises"]]
        first = graded[0]
        return {"score": round_points(sum(e["score"] for e in exercises)),
                "max_score": round_points(sum(e["max_score"] for e in exercises)), "seed": first["seed"],
                "sandbox": first["sandbox"], "sandbox_layers": first["sandbox_layers"],
                "environment": first["environment"], "exercises": exercises}


def class_results(book: Gradebook, kit: Kit, seed: int) -> list[StudentResult]:
    versions = {ex.id: kit.version(ex) for ex in kit.exercises}
    by_student: dict[str, list[dict]] = {}
    for row in book.assignments():
        by_student.setdefault(row["student"], []).append(row)
    results = []
    for student in book.students():
        cells = {}
        rows = {row["exercise"]: row for row in by_student.get(student["student"], [])}
        for ex in kit.exercises:
            row = rows.get(ex.id)
            if student["problem"]:
                cells[ex.id] = Cell(ex.id, "failed", 0, ex.max_score, message=student["problem"])
            elif row is None:
                cells[ex.id] = Cell(ex.id, "pending")
            elif row["problem"]:
                cells[ex.id] = Cell(ex.id, "failed", 0, ex.max_score, message=row["problem"])
            else:
                cells[ex.id] = _cell(ex.id, book.grading(ex.id, row["content_hash"], versions[ex.id], seed),
                                     student["entry"])
        results.append(StudentResult(student["student"], student["entry"], student["problem"], student["notes"], cells))
    return results


def _cell(exercise: str, grading: dict | None, entry: str) -> Cell:
    if grading is None:
        return Cell(exercise, "pending")
    if grading["outcome"] == "error":
        return Cell(exercise, "error", message=grading["error"])
    if grading["outcome"] == "rejected":
        return Cell(exercise, "failed", grading["score"], grading["max_score"], message=grading["error"])
    document = grading["document"]
    for ex in document["exercises"]:
        for check in ex["checks"]:
            if "reproduce" in check:
                check["reproduce"] = check["reproduce"].replace(SUBMISSION, shlex.quote(entry))
    return Cell(exercise, "graded", grading["score"], grading["max_score"], document=document,
                duration_s=grading["duration_s"])
