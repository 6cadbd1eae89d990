"""The grade-book: one writer, one transaction per result, refuses another kit's folder."""
from __future__ import annotations

import pytest

from autograder.batch.gradebook import ForeignGradebook, Gradebook


def test_results_are_keyed_by_content_kit_version_and_seed(tmp_path):
    book = Gradebook(tmp_path)
    book.claim(["exercise1", "exercise0"])
    key = ("exercise1", "c0ffee", "v1", 0)
    assert book.grading(*key) is None
    book.record(key, outcome="graded", document={"score": 5}, score=5, max_score=10, duration_s=0.5)
    assert book.grading(*key)["document"] == {"score": 5} and book.grading("exercise1", "c0ffee", "v2", 0) is None
    book.record(key, outcome="graded", document={"score": 6}, score=6, max_score=10)  # a regrade replaces it
    assert book.count() == 1 and book.grading(*key)["score"] == 6
    assert book.forget([key, ("exercise1", "other", "v1", 0)]) == 1 and book.count() == 0
    book.close()


def test_another_kits_gradebook_is_refused(tmp_path):
    book = Gradebook(tmp_path)
    book.claim(["exercise0", "exercise1"])
    book.claim(["exercise1", "exercise0"])  # the same kit, whatever the order
    with pytest.raises(ForeignGradebook, match="belongs to a kit with other exercises"):
        book.claim(["exercise0", "exercise1", "exercise9"])
    book.close()


def test_intake_is_replaced_as_a_whole_or_per_student(tmp_path):
    book = Gradebook(tmp_path)
    student = {"entry": "subs/x", "kind": "folder", "problem": None, "notes": ["left out: a link"]}
    book.record_intake([dict(student, student="alice"), dict(student, student="bob")],
                       [{"student": "alice", "exercise": "exercise1", "content_hash": "a1", "problem": None},
                        {"student": "bob", "exercise": "exercise1", "content_hash": "b1", "problem": None}])
    book.record_intake([dict(student, student="bob", problem="a zip bomb")], [], only={"bob"})
    assert [(s["student"], s["problem"], s["notes"]) for s in book.students()] == [
        ("alice", None, ["left out: a link"]), ("bob", "a zip bomb", ["left out: a link"])]
    assert [a["student"] for a in book.assignments()] == ["alice"]
    book.record_intake([dict(student, student="carol")], [])
    assert [s["student"] for s in book.students()] == ["carol"]
    book.set_meta(seed=3, lms="canvas")
    assert (book.meta("seed"), book.meta("lms"), book.meta("roster", "none")) == (3, "canvas", "none")
    book.close()
    with pytest.raises(FileNotFoundError, match="holds no grade-book"):
        Gradebook.existing(tmp_path / "elsewhere")
