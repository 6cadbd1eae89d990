"""The runner and the plugin, end to end on a small suite of their own: every outcome a check
can end in becomes the right status, score, message and hint; the suites' pytest run is
sealed off (its own ini, no conftest); a broken suite is the kit's error, not a student's."""
from __future__ import annotations

import shutil
import types
from pathlib import Path

import pytest

from autograder.engine.plugin import hidden_seed
from autograder.engine.report import SuiteError
from autograder.engine.runner import run_suites
from autograder.kit import Kit
from autograder.registry import Exercise
from conftest import KIT

DEMO = Exercise("exercise9", "exercise9_demo", "Demo", preload=())

SUITE = '''
from autograder.checks import CheckFailed, Partial, StudentError, check, expect


@check(points=2)
def test_passes(seed, rng, exercise, note):
    note("a line under the check", accuracy=0.5)
    assert seed == 7 and exercise.id == "exercise9" and rng.integers(10) >= 0


@check(points=1)
def test_passes_too():
    pass


@check(points=3, hint="the check's own hint")
def test_fails(reference):
    expect(reference.value(), 2.0, name="value()")


@check(points=4, hint="not this one")
def test_partial():
    raise Partial(0.25, "a quarter of the points", "a specific hint")


@check(points=1, hidden=True)
def test_hidden_seed(seed):
    raise CheckFailed(f"seed {seed}")


@check(points=1, hint="never shown for a crash")
def test_student_error():
    raise StudentError("f() raised ValueError: boom")


@check(points=1)
def test_suite_bug():
    raise ZeroDivisionError("a bug in the suite")
'''


def demo_kit(tmp_path: Path, suite: str = SUITE, **extra_files: str) -> Kit:
    suites = tmp_path / "autograder" / "suites"
    suites.mkdir(parents=True)
    shutil.copy(KIT.suites_dir / "pytest.ini", suites / "pytest.ini")
    (suites / "exercise9.py").write_text(suite, encoding="utf-8")
    for name, text in extra_files.items():
        (suites / name).write_text(text, encoding="utf-8")
    return Kit(exercises=(DEMO,), package_dir=tmp_path / "autograder", root=tmp_path)


def run(kit: Kit, pattern: str | None = None) -> dict:
    reference = types.SimpleNamespace(value=lambda: 1.0)
    return run_suites(kit=kit, exercises=[DEMO], sessions={"exercise9": None}, seed=7, pattern=pattern,
                      reproduce=lambda e, c: f"grade {e} --seed 7 -k {c}", references=lambda ex: reference,
                      sandbox={"sandbox": "none", "sandbox_layers": ["process-split"]})


def by_id(document: dict) -> dict:
    return {c["id"]: c for c in document["exercises"][0]["checks"]}


def test_every_outcome(tmp_path):
    document = run(demo_kit(tmp_path))
    checks = by_id(document)
    assert list(checks) == ["passes", "passes_too", "fails", "partial", "hidden_seed", "student_error", "suite_bug"]
    passed = checks["passes"]
    assert (passed["status"], passed["score"], passed["output"], passed["details"]) == \
        ("passed", 2.0, "a line under the check", {"accuracy": 0.5})
    assert "reproduce" not in passed and passed["name"] == "test_passes" and passed["duration_s"] >= 0
    fails = checks["fails"]
    assert fails["status"] == "failed" and fails["score"] == 0 and fails["message"].startswith("value(): ")
    assert fails["hint"] == "the check's own hint" and fails["reproduce"] == "grade exercise9 --seed 7 -k fails"
    partial = checks["partial"]
    assert (partial["status"], partial["score"], partial["hint"]) == ("failed", 1.0, "a specific hint")
    hidden = checks["hidden_seed"]
    assert hidden["visibility"] == "hidden" and hidden["message"] == f"seed {hidden_seed(7, 'exercise9', 'hidden_seed')}"
    assert hidden_seed(7, "exercise9", "hidden_seed") != 7
    crash = checks["student_error"]
    assert (crash["status"], crash["hint"]) == ("error", None)  # the general hint is about wrong results
    bug = checks["suite_bug"]
    assert bug["status"] == "error" and bug["message"].startswith("internal grader error (not your fault")
    assert "ZeroDivisionError: a bug in the suite" in bug["message"]
    assert (document["score"], document["max_score"]) == (4, 13)
    assert document["exercises"][0]["score"] == 4 and document["seed"] == 7 and document["sandbox"] == "none"


def test_an_exact_check_id_selects_that_check_alone(tmp_path):
    assert list(by_id(run(demo_kit(tmp_path), pattern="passes"))) == ["passes"]


def test_a_pattern_is_otherwise_pytests_keyword_match(tmp_path):
    assert list(by_id(run(demo_kit(tmp_path), pattern="pass"))) == ["passes", "passes_too"]


def test_conftest_beside_the_suites_is_never_loaded(tmp_path):
    kit = demo_kit(tmp_path, conftest_py="raise RuntimeError('a conftest ran')")
    (kit.suites_dir / "conftest_py").rename(kit.suites_dir / "conftest.py")
    assert by_id(run(kit))["passes"]["status"] == "passed"


def test_a_suite_that_does_not_load_is_the_kits_error(tmp_path):
    with pytest.raises(SuiteError, match="a grading suite failed to load"):
        run(demo_kit(tmp_path, suite=SUITE + "\ndef broken(:\n"))


def test_an_unmarked_test_is_refused(tmp_path):
    with pytest.raises(SuiteError, match="has no @check marker"):
        run(demo_kit(tmp_path, suite=SUITE + "\n\ndef test_unmarked():\n    pass\n"))


def test_each_exercise_is_reported_as_soon_as_it_is_graded_and_as_in_the_document():
    """``on_exercise`` gets each exercise's entry, in order, the moment its last check ran;
    the entries are the final document's (what `grade all` prints block by block)."""
    import autograder
    seen = []
    document = autograder.grade(["exercise1", "exercise5"], submission=KIT.solutions_dir, pattern="forward or max",
                                sandbox="none", on_exercise=seen.append)
    assert [e["id"] for e in seen] == ["exercise1", "exercise5"]

    def without_durations(entry):
        return dict(entry, checks=[{k: v for k, v in c.items() if k != "duration_s"} for c in entry["checks"]])
    assert [without_durations(e) for e in seen] == [without_durations(e) for e in document["exercises"]]
