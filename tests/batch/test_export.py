"""The files a batch writes: grades.csv in the LMS's shapes (golden files), feedback, counts."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from autograder.batch.export import feedback_text, grades_csv
from autograder.batch.results import Cell, StudentResult
from autograder.batch.summary import flags, summarize
from conftest import KIT

GOLDEN = Path(__file__).parent / "golden"
KIT2 = dataclasses.replace(KIT, exercises=KIT.exercises[:2])
ROSTER = {"alice": {"student": "alice", "name": "Alice Liddell", "email": "alice@uni.edu", "sis_user_id": "1001",
                    "sis_login_id": "aliddell", "section": "A", "canvas_id": "501"},
          "dave": {"student": "dave", "name": "Dave Roster", "email": "dave@uni.edu", "sis_user_id": "1004",
                   "sis_login_id": "droster", "section": "B", "canvas_id": "504"}}


def document(exercise: str, checks: list[dict]) -> dict:
    score = sum(c["score"] for c in checks)
    entry = {"id": exercise, "title": "t", "score": score, "max_score": 100, "checks": checks}
    return {"score": score, "max_score": 100, "seed": 0, "sandbox": "full", "sandbox_layers": [], "environment": {},
            "exercises": [entry]}


def check(cid: str, status: str, score: float, **extra) -> dict:
    return {"id": cid, "name": f"test_{cid}", "status": status, "score": score, "max_score": 50, "visibility": "visible",
            "message": extra.pop("message", ""), "hint": extra.pop("hint", None), "duration_s": 0.1, **extra}


def results() -> list[StudentResult]:
    alice = document("exercise0", [check("a", "passed", 50), check("b", "passed", 50)])
    bob = document("exercise0", [check("a", "failed", 0, message="wrong", hint="the ½", specific_hint=True),
                                 check("b", "passed", 37.5)])
    carol = document("exercise1", [check("a", "timeout", 0, message="forward() did not return within 10 s"),
                                   check("b", "error", 0, message="forward() raised PermissionError: [Errno 13]")])
    return [
        StudentResult("alice", "subs/alice", None, [], {"exercise0": Cell("exercise0", "graded", 100, 100, alice),
                                                         "exercise1": Cell("exercise1", "pending")}),
        StudentResult("bob", "subs/bob", None, [], {"exercise0": Cell("exercise0", "graded", 37.5, 100, bob),
                                                     "exercise1": Cell("exercise1", "error", message="Traceback\nOSError: disk full")}),
        StudentResult("carol", "subs/carol.zip", None, [], {
            "exercise0": Cell("exercise0", "failed", 0, 100, message="exercises/exercise0_warmup.py could not be read"),
            "exercise1": Cell("exercise1", "graded", 0, 100, carol)}),
        StudentResult("zed.txt", "subs/zed.txt", "zed.txt is neither a folder nor a .zip file", [], {
            "exercise0": Cell("exercise0", "failed", 0, 100, message="x"), "exercise1": Cell("exercise1", "failed", 0, 100, message="x")}),
    ]


@pytest.mark.parametrize("lms", ["plain", "canvas", "moodle"])
def test_grades_csv_matches_the_golden_file(lms):
    text = grades_csv(results(), KIT2, lms=lms, roster=None if lms == "plain" else ROSTER)
    assert text == (GOLDEN / f"{lms}.csv").read_text(encoding="utf-8")


def test_feedback_says_what_grade_says_and_what_could_not_be_graded():
    alice, bob, carol, zed = (feedback_text(r) for r in results())
    assert "exercise0 — t" in alice and "total 100/100" in alice and "\x1b[" not in alice
    assert "hint: the ½" in bob and "exercise1: not graded yet: the grader failed (OSError: disk full)" in bob
    assert "exercise0: 0/100 — exercises/exercise0_warmup.py could not be read" in carol
    assert zed.startswith("Your submission could not be graded: zed.txt is neither a folder nor a .zip file")


def test_summary_counts_rates_mistakes_and_flags():
    summary = summarize(results(), KIT2, roster=ROSTER)
    ex0 = summary["exercises"]["exercise0"]
    assert (ex0["scored"], ex0["mean"], ex0["median"]) == (4, 34.38, 18.75)
    assert ex0["histogram"]["counts"] == [2, 0, 0, 1, 0, 0, 0, 0, 0, 1] and ex0["histogram"]["edges"][-1] == 100
    assert [c["id"] for c in ex0["checks"]] == ["a", "b"] and ex0["checks"][0]["pass_rate"] == 0.5
    assert ex0["known_mistakes"] == [{"hint": "the ½", "count": 1, "share": 0.5}]
    assert [(f["student"], f["kind"]) for f in summary["flags"]] == [("carol", "timeout"), ("carol", "sandbox")]
    assert summary["roster"] == {"not_in_roster": ["bob", "carol", "zed.txt"], "no_submission": ["dave"]}
    assert summary["students"] == {"total": 4, "rejected": 1, "graded": 3, "failed": 3, "error": 1, "pending": 1}
    assert flags(results()[0]) == []


def test_flags_name_the_kind_the_checks_and_why():
    hidden = dict(visibility="hidden")
    cells = {
        "hard": [check("a", "passed", 50), check("a_other_sizes", "failed", 0, message="wrong at 8×3", **hidden),
                 check("b", "failed", 0), check("b_other_sizes", "failed", 0, **hidden)],  # b: no sign of it
        "net": [check("a", "error", 0, message="forward() raised OSError: [Errno 101] Network is unreachable")],
        "oom": [check("a", "error", 0, message="forward() raised MemoryError")],
        "dead": [check("a", "error", 0, message="the process died (signal 9) without answering")],
        "torch": [check("a", "failed", 0, message="corr2d must not use torch.nn.functional.conv2d")],
        "fake": [check("a", "failed", 0, message="forward(x): returned <m.AlwaysEqual>, expected numpy.ndarray"),
                 check("b", "failed", 0, message="loss(y): returned <m.EqFloat>, expected float")],
    }
    found = {student: flags(StudentResult(student, student, None, [], {
        "exercise0": Cell("exercise0", "graded", 0, 100, document("exercise0", checks))}))
        for student, checks in cells.items()}
    kinds = {student: [(f["kind"], f["checks"]) for f in got] for student, got in found.items()}
    assert kinds == {"hard": [("hard-coded", ["a_other_sizes"])], "net": [("sandbox", ["a"])],
                     "oom": [("out-of-memory", ["a"])], "dead": [("crash", ["a"])], "torch": [("forbidden-api", ["a"])],
                     "fake": [("fake-result", ["a", "b"])]}  # one flag per kind, naming every check
    assert found["net"][0]["why"].startswith("tried something the sandbox refused (no network): forward() raised")
    assert "passed the public a but lost the hidden a_other_sizes" in found["hard"][0]["why"]
