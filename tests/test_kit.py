"""The Kit: what grades, found by value (never by module state), and its version hashes."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from autograder.kit import Kit, MissingReference, UnknownExercise
from autograder.registry import EXERCISES
from conftest import KIT


def test_the_installed_kit_is_the_instructors():
    assert Kit.installed() is KIT and not KIT.is_release
    assert KIT.exercises == EXERCISES and KIT.hidden_checks("exercise1") is None
    assert KIT.solution_path(KIT.find("exercise1")).is_file()


@pytest.mark.parametrize("name", ["exercise3", "3", "custom_layers", "exercise3_custom_layers"])
def test_find_by_id_number_topic_or_module(name):
    assert KIT.find(name).id == "exercise3"


def test_unknown_exercise_names_the_known_ones():
    with pytest.raises(UnknownExercise, match="unknown exercise 'exercise42'; known: exercise0, "):
        KIT.find("exercise42")
    assert [ex.id for ex in KIT.resolve("all")] == [ex.id for ex in EXERCISES]
    assert [ex.id for ex in KIT.resolve(["4", "exercise1"])] == ["exercise4", "exercise1"]


def test_with_exercise_is_a_new_kit():
    short = KIT.with_exercise("exercise1", call_timeout=3.0)
    assert short.find("exercise1").call_timeout == 3.0 and KIT.find("exercise1").call_timeout == 10.0
    assert short.version("exercise1") != KIT.version("exercise1")
    with pytest.raises(UnknownExercise):
        KIT.with_exercise("exercise42", call_timeout=1.0)


def test_nothing_reads_the_kit_at_import_time():
    code = ("import autograder.kit, autograder.api, autograder.cli, autograder.engine.runner\n"
            "print(autograder.kit._installed.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "0", out.stderr


@pytest.fixture
def kit_copy(tmp_path) -> Kit:
    """A copy of the kit's package and solutions, to edit."""
    shutil.copytree(KIT.package_dir, tmp_path / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(KIT.solutions_dir, tmp_path / "solutions")
    return Kit.load(tmp_path / "autograder")


def test_version_is_stable_and_follows_each_exercises_own_files(kit_copy):
    before = {ex.id: kit_copy.version(ex) for ex in kit_copy.exercises}
    assert before == {ex.id: kit_copy.version(ex) for ex in kit_copy.exercises}
    assert len(set(before.values())) == len(before)  # each exercise its own
    suite = kit_copy.suite_path(kit_copy.find("exercise4"))
    suite.write_text(suite.read_text() + "\n# a comment\n")
    solution = kit_copy.solution_path(kit_copy.find("exercise2"))
    solution.write_text(solution.read_text() + "\n")
    after = {ex.id: kit_copy.version(ex) for ex in kit_copy.exercises}
    assert {k for k in before if before[k] != after[k]} == {"exercise4", "exercise2"}
    engine = kit_copy.package_dir / "checks" / "compare.py"
    engine.write_text(engine.read_text() + "\n")
    assert all(kit_copy.version(ex) != after[ex.id] for ex in kit_copy.exercises)  # the engine decides them all


def test_a_manifest_makes_a_student_release(kit_copy):
    manifest = {"format": "torchgrade-release/1", "exercises": [
        {"id": "exercise1", "module": "exercise1_numpy_net", "title": "t", "public_checks": 9, "public_points": 90,
         "hidden_checks": 2, "hidden_points": 10, "recorded_calls": 30}]}
    (kit_copy.package_dir / "recorded").mkdir()
    (kit_copy.package_dir / "recorded" / "manifest.json").write_text(json.dumps(manifest))
    release = Kit.load(kit_copy.package_dir)
    assert release.is_release and [ex.id for ex in release.exercises] == ["exercise1"]
    assert release.hidden_checks("exercise1") == {"checks": 2, "points": 10}
    with pytest.raises(MissingReference, match="this is a student release"):
        release.solution(release.find("exercise1"))
    with pytest.raises(UnknownExercise):
        release.find("exercise4")
    assert release.seed == 0 and KIT.seed == 0


def test_a_platform_package_grades_at_its_seed_and_holds_its_hidden_checks(kit_copy):
    manifest = {"format": "torchgrade-release/1", "seed": 2027, "package": {"platform": "gradescope"},
                "exercises": [{"id": "exercise1", "module": "exercise1_numpy_net", "title": "t", "checks": 11,
                               "points": 100, "recorded_calls": 75}]}
    (kit_copy.package_dir / "recorded").mkdir()
    (kit_copy.package_dir / "recorded" / "manifest.json").write_text(json.dumps(manifest))
    package = Kit.load(kit_copy.package_dir)
    assert package.is_release and package.seed == 2027
    assert package.hidden_checks("exercise1") is None  # nothing "runs at final grading": it is the final grading


def test_the_accelerator_declarations_match_the_suites():
    """An exercise is declared ``accelerator`` exactly when its suite asks for CUDA."""
    for ex in KIT.exercises:
        suite = KIT.suite_path(ex).read_text()
        assert ex.accelerator == ("check_device(" in suite or "accelerators(" in suite), ex.id
