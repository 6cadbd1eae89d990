"""Every registered exercise: the reference earns full marks, the stub earns nothing,
points add up, and exercises/ has not drifted from solutions/."""
from __future__ import annotations

import pytest

import autograder
from autograder.release.stubgen import generate_stubs
from conftest import KIT

EXERCISES = [ex.id for ex in KIT.exercises]


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_reference_earns_full_marks(exercise_id):
    ex = KIT.find(exercise_id)
    document = autograder.grade(exercise_id, submission=KIT.solutions_dir)
    failures = {c["id"]: (c["status"], c["message"]) for c in document["exercises"][0]["checks"]
                if c["status"] != "passed"}
    assert not failures
    assert document["score"] == document["max_score"] == ex.max_score


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_stub_earns_nothing_and_is_not_attempted(exercise_id):
    document = autograder.grade(exercise_id, submission=KIT.stubs_dir)
    checks = document["exercises"][0]["checks"]
    assert checks and document["score"] == 0
    assert {c["status"] for c in checks} == {"not_attempted"}, {c["id"]: c["message"] for c in checks}


def test_stubs_match_solutions():
    stale = generate_stubs(check=True)
    assert not stale, f"exercises/ drifted from solutions/: run `grade stubs` ({stale})"


def test_every_exercise_has_a_solution_stub_and_suite():
    for ex in KIT.exercises:
        assert KIT.solution_path(ex).is_file() and KIT.stub_path(ex).is_file() and KIT.suite_path(ex).is_file(), ex.id
