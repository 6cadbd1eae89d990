"""The files a batch leaves in DIR, regenerated from the grade-book after every run and by
``grade batch export``: ``grades.csv``, ``feedback/<student>.txt`` and ``.json``,
``summary.json`` and ``report.html`` (``autograder.batch.report``).

``grades.csv`` has one row per student and one column per exercise, in one of three shapes:

* ``plain``: ``student``, the exercises, ``total``;
* ``canvas``: Canvas's grade-book import: ``Student, ID, SIS User ID, SIS Login ID,
  Section``, then one column per exercise, and a ``Points Possible`` row first.  No total
  column: Canvas would import it as one more assignment (it computes totals itself);
* ``moodle``: one identifier column to map on import (``email`` when the roster has emails,
  else ``id_number``, else the student id), the exercises, ``total``.

A cell is the score; it is empty where nothing was graded (the grader failed, or another
kit version).  Students of the roster without a submission get a row with empty cells;
the ones without a roster entry keep theirs with empty identifiers; ``summary.json`` lists
both.
"""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import click

from autograder.batch.results import StudentResult
from autograder.kit import Kit
from autograder.render.text import render as render_text

LMS = ("plain", "canvas", "moodle")
CANVAS_IDS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


def write_outputs(out: Path, results: list[StudentResult], summary: dict, kit: Kit, *, lms: str = "plain",
                  roster: dict | None = None, sources: dict | None = None) -> None:
    (out / "grades.csv").write_text(grades_csv(results, kit, lms=lms, roster=roster), encoding="utf-8")
    _write_feedback(out / "feedback", results)
    write_summary(out, results, summary, kit, sources=sources)


def write_summary(out: Path, results: list[StudentResult], summary: dict, kit: Kit, *, sources: dict | None = None) -> None:
    """``summary.json`` and ``report.html``, the class at a glance (numbers, and a page)."""
    from autograder.batch.report import write_report
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_report(out, results, summary, kit, sources)


def grades_csv(results: list[StudentResult], kit: Kit, *, lms: str = "plain", roster: dict | None = None) -> str:
    if lms not in LMS:
        raise ValueError(f"unknown LMS format {lms!r}; choose from {', '.join(LMS)}")
    roster = roster or {}
    exercises = [ex.id for ex in kit.exercises]
    rows = {r.student: r for r in results}
    students = sorted(set(rows) | set(roster))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if lms == "canvas":
        writer.writerow([*CANVAS_IDS, *exercises])
        writer.writerow(["Points Possible", "", "", "", "", *(ex.max_score for ex in kit.exercises)])
        for student in students:
            who = roster.get(student, {})
            writer.writerow([who.get("name") or student, who.get("canvas_id", ""), who.get("sis_user_id", ""),
                             who.get("sis_login_id", ""), who.get("section", ""), *_scores(rows.get(student), exercises)])
    elif lms == "moodle":
        column = "email" if any(w.get("email") for w in roster.values()) else \
            "id_number" if any(w.get("id_number") for w in roster.values()) else "student"
        writer.writerow([column, *exercises, "total"])
        for student in students:
            who = roster.get(student, {})
            ident = student if column == "student" else who.get(column, "")
            writer.writerow([ident, *_scores(rows.get(student), exercises), _number(_total(rows.get(student)))])
    else:
        writer.writerow(["student", *exercises, "total"])
        for student in students:
            writer.writerow([student, *_scores(rows.get(student), exercises), _number(_total(rows.get(student)))])
    return buffer.getvalue()


def _scores(result: StudentResult | None, exercises: list[str]) -> list[str]:
    if result is None:
        return [""] * len(exercises)
    return [_number(result.cells[e].score) for e in exercises]


def _total(result: StudentResult | None):
    return result.total if result is not None else None


def _number(value) -> str:
    return "" if value is None else f"{value:g}"


def _write_feedback(folder: Path, results: list[StudentResult]) -> None:
    """One text and one JSON file per student, the folder rebuilt so that it mirrors the grade-book."""
    staging = folder.with_name(folder.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for result in results:
        (staging / f"{result.student}.txt").write_text(feedback_text(result), encoding="utf-8")
        (staging / f"{result.student}.json").write_text(json.dumps(feedback_json(result), indent=2, ensure_ascii=False)
                                                         + "\n", encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)


def feedback_text(result: StudentResult) -> str:
    """What ``grade all`` would have shown this student, and a line for each exercise it could not grade."""
    parts = []
    if result.problem:
        parts.append(f"Your submission could not be graded: {result.problem}")
    document = result.document()
    if document is not None:
        parts.append(click.unstyle(render_text(document)))
    for cell in result.cells.values():
        if cell.state == "failed" and not result.problem:
            parts.append(f"{cell.exercise}: 0/{cell.max_score:g} — {cell.message}")
        elif cell.state == "error":
            parts.append(f"{cell.exercise}: not graded yet: the grader failed ({_last_line(cell.message)}); "
                         "your instructor will regrade it")
    if result.notes:
        parts.append("Left out of your submission:\n" + "\n".join(f"  {note}" for note in result.notes))
    return "\n\n".join(parts) + "\n"


def feedback_json(result: StudentResult) -> dict:
    """The canonical document of the graded exercises, and the batch's word on the rest."""
    return {"student": result.student, "submission": result.entry, "problem": result.problem, "notes": result.notes,
            "not_graded": {c.exercise: {"state": c.state, "why": c.message} for c in result.cells.values()
                           if c.state in ("failed", "error")},
            "document": result.document()}


def _last_line(text: str | None) -> str:
    """A traceback's last line: the exception."""
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else ""
