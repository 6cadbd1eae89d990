"""`grade package gradescope`: the zip is laid out as Gradescope lays it out (/autograder/source,
/autograder/submission) and `run_autograder` is run as Gradescope runs it; every results.json is
valid, sums up, and gives every check, hidden ones included, the kit's verdict at the package's seed."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import autograder
from autograder.release.audit import audit
from autograder.release.package import build_package
from conftest import KIT, write_mutant

jsonschema = pytest.importorskip("jsonschema")

SEED = 2027
EXERCISES = ["exercise1", "exercise5"]
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "gradescope-results.schema.json").read_text())
BANKS = Path(__file__).parents[1]
# wrong implementations from the kit's tests (test_exercise1.py, test_exercise5.py)
RELU_MASK_MISSING = ("exercise1", [("    grad_h[h < 0] = 0\n", "")])
WRONG_AXES = ("exercise5", [("X[i:i + p_h, j:j + p_w]", "X[i:i + p_w, j:j + p_h]")])
ZERO_PADDING = ("exercise5", [('fill = float("-inf") if mode == "max" else 0.0', "fill = 0.0")])


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    return out, build_package("gradescope", out, exercises=EXERCISES, seed=SEED, kit=KIT)


def _module(exercise_id: str) -> str:
    return KIT.find(exercise_id).module + ".py"


def _upload(root: Path, name: str) -> Path:
    """What a student uploads, in the shapes Gradescope receives: files alone, a repository, a
    repository inside one folder (a zip of a GitHub download)."""
    submission = root / "submission"
    repo = submission / "student-repo-main" if name == "mutants" else submission
    if name == "reference":  # the exercise files alone
        submission.mkdir(parents=True)
        for ex in EXERCISES:
            shutil.copy(KIT.solution_path(KIT.find(ex)), submission / _module(ex))
        return submission
    if name == "stubs":
        (repo / "exercises").mkdir(parents=True)
        for ex in EXERCISES:
            shutil.copy(KIT.stub_path(KIT.find(ex)), repo / "exercises" / _module(ex))
        return submission
    mutations = {"mutants": [RELU_MASK_MISSING, WRONG_AXES], "cheat": [ZERO_PADDING],
                 "crash": []}[name]
    for ex in EXERCISES:
        write_mutant(repo, ex, next((m for e, m in mutations if e == ex), []))
    bank = {"cheat": BANKS / "cheats" / "c10_hardcoded", "crash": BANKS / "faults" / "f07_segfault"}.get(name)
    if bank is not None:  # exercise1 from the bank: public answers replayed / a segfault
        shutil.copytree(bank / "exercises", repo / "exercises", dirs_exist_ok=True)
    return submission


def _run_autograder(package: Path, root: Path, python: str = sys.executable) -> tuple[subprocess.CompletedProcess, dict]:
    with zipfile.ZipFile(package) as archive:
        archive.extractall(root / "source")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder"), str(root)], capture_output=True,
                          text=True, env=dict(env, TORCHGRADE_PYTHON=python), timeout=600)
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    if results["tests"]:
        assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))
    assert all(t["score"] <= t["max_score"] for t in results["tests"])
    return proc, results


def test_the_zip_is_laid_out_as_gradescope_requires_and_holds_no_solution(package, tmp_path):
    out, manifest = package
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
        archive.extractall(tmp_path)
    assert "setup.sh" in names and "run_autograder" in names  # at the zip's root
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR
    assert not any(n.startswith(("solutions/", "autograder/release/", "autograder/batch/")) for n in names)
    assert audit(KIT, tmp_path, hidden_checks=[]).leaks == []
    setup = (tmp_path / "setup.sh").read_text()
    assert "torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in setup
    assert manifest["seed"] == SEED and json.loads((tmp_path / "autograder/recorded/manifest.json").read_text())["seed"] == SEED
    assert manifest["verification"] == {ex: {"reference": "100/100", "stubs": "0/100"} for ex in EXERCISES}


@pytest.mark.parametrize("name", ["reference", "stubs", "mutants", "cheat", "crash"])
def test_every_check_gets_the_kits_verdict_at_the_packages_seed(package, tmp_path, name):
    """Hidden checks included: the package's recorded values stand in for the solutions exactly."""
    submission = _upload(tmp_path, name)
    proc, results = _run_autograder(package[0], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = {t["name"]: (t["status"], t["score"]) for t in results["tests"]}
    graded_as = submission / "student-repo-main" if name == "mutants" else submission
    kit = autograder.grade(EXERCISES, submission=graded_as, seed=SEED, sandbox="none")
    want = {f"{e['id']}: {c['id']}": ("passed" if c["status"] == "passed" else "failed", c["score"])
            for e in kit["exercises"] for c in e["checks"]}
    assert got == want
    hidden = {t["name"] for t in results["tests"] if t["visibility"] == "after_published"}
    assert hidden == {"exercise1: forward_other_sizes", "exercise1: backward_other_sizes",
                      "exercise5: pool2d_other_inputs"}
    if name == "reference":
        assert results["score"] == 200
    if name == "cheat":  # the public seed's answers earn nothing at the package's seed
        assert got["exercise1: forward"] == ("failed", 0)
    failing = [t for t in results["tests"] if t["status"] == "failed"]
    assert all(t["output"] for t in failing)  # the feedback text is in each test's output
    # and it is the kit's: every question a check asks the reference was recorded
    assert not [t["name"] for t in results["tests"] if "no recorded expected value" in t["output"]]
    for t in failing:  # reproduce lines a student can run in their own repository
        if "reproduce:" in t["output"]:
            assert f"reproduce: grade {t['name'].split(':')[0]} -k " in t["output"] and "--seed" not in t["output"]
            assert t["visibility"] == "visible"


def test_a_wrong_upload_gets_a_results_file_that_says_what_to_upload(package, tmp_path):
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "notes.txt").write_text("my answers are in the notebook")
    proc, results = _run_autograder(package[0], tmp_path)
    assert proc.returncode == 0 and results["score"] == 0 and results["tests"] == []
    assert "no exercises/ folder" in results["output"] and "notes.txt" in results["output"]


def test_a_grader_that_cannot_start_still_leaves_a_results_file(package, tmp_path):
    (tmp_path / "submission").mkdir()
    _, results = _run_autograder(package[0], tmp_path, python="/bin/false")
    assert results["score"] == 0 and "could not start (exit status 1)" in results["output"]


def test_a_chinese_package_gives_its_feedback_in_chinese(tmp_path):
    """`grade package --lang zh`: the results students read on Gradescope are in 简体中文."""
    out = tmp_path / "autograder.zip"
    manifest = build_package("gradescope", out, exercises=["exercise5"], seed=SEED, kit=KIT, verify=False, lang="zh")
    assert manifest["lang"] == "zh"
    write_mutant(tmp_path / "submission", *WRONG_AXES)
    proc, results = _run_autograder(out, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    failed = {t["name"]: t["output"] for t in results["tests"] if t["status"] == "failed"}
    assert "提示：方形窗口可以，非方形的却不行" in failed["exercise5: pool2d_max"]
    assert "复现：grade exercise5 -k pool2d_max" in failed["exercise5: pool2d_max"]
    assert "exercise5 — 池化" in results["output"] and "合计" in results["output"]
