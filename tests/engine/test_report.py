"""The canonical document, built from pytest-json-report's report (a pure function)."""
from __future__ import annotations

import pytest

from autograder.engine.report import SuiteError, all_passed, build
from autograder.registry import Exercise

EX = Exercise("exercise9", "exercise9_demo", "Demo")


def _test(check_id: str, status: str, score: float, max_score: float, **extra) -> dict:
    verdict = {"id": check_id, "exercise": "exercise9", "status": status, "score": score, "max_score": max_score,
               "visibility": "visible", "message": "", "hint": None, **extra}
    return {"nodeid": f"exercise9.py::test_{check_id}", "metadata": {"check": verdict},
            "setup": {"duration": 0.001}, "call": {"duration": 0.25}, "teardown": {"duration": 0.0}}


def _document(tests, **kwargs) -> dict:
    return build({"tests": tests, "collectors": []}, exercises=[EX], seed=3,
                 sandbox={"sandbox": "full", "sandbox_layers": ["bubblewrap"]},
                 reproduce=lambda e, c: f"grade {e} --seed 3 -k {c}", **kwargs)


def test_checks_totals_and_reproduce_commands():
    document = _document([_test("a", "passed", 2, 2), _test("b", "failed", 0.333333, 1),
                          _test("c", "skipped", 0, 1), {"nodeid": "x::not_a_check", "metadata": {}}])
    entry = document["exercises"][0]
    assert [c["id"] for c in entry["checks"]] == ["a", "b", "c"]
    assert [c.get("reproduce") for c in entry["checks"]] == [None, "grade exercise9 --seed 3 -k b", None]
    assert entry["checks"][0]["duration_s"] == 0.251 and entry["checks"][0]["name"] == "test_a"
    assert (entry["score"], entry["max_score"]) == (2.33, 4) and type(entry["max_score"]) is int
    assert (document["score"], document["seed"], document["sandbox"]) == (2.33, 3, "full")
    assert set(document["environment"]) == {"python", "torch", "numpy", "platform"}
    assert "hidden_checks" not in entry and not all_passed(document)
    assert all_passed(_document([_test("a", "passed", 1, 1), _test("c", "skipped", 0, 1)]))


def test_a_release_says_what_runs_at_final_grading():
    document = _document([_test("a", "passed", 1, 1)], hidden_checks=lambda ex: {"checks": 2, "points": 10.0})
    entry = document["exercises"][0]
    assert (entry["hidden_checks"], entry["hidden_points"]) == (2, 10)


def test_an_exercise_without_checks_is_still_listed():
    entry = _document([])["exercises"][0]
    assert (entry["id"], entry["score"], entry["max_score"], entry["checks"]) == ("exercise9", 0, 0, [])


def test_a_collection_error_is_the_suites_fault():
    with pytest.raises(SuiteError, match="SyntaxError: bad"):
        build({"tests": [], "collectors": [{"outcome": "failed", "longrepr": "SyntaxError: bad"}]}, exercises=[EX],
              seed=0, sandbox={}, reproduce=lambda e, c: "")
