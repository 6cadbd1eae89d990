"""`grade package classroom50`: `python autograder.py` run as the Classroom 50 runner runs it (in
the student's checkout, the bundle beside it, the runner's environment) writes a result.json that
the published schema accepts, with integer points that add up, and exits 0."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.release.package import build_package
from conftest import KIT, write_mutant

jsonschema = pytest.importorskip("jsonschema")

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "classroom50-result-v1.schema.json").read_text())
RUNNER = {  # what the runner passes (wiki/Advanced-Autograding.md, "Contract")
    "CLASSROOM": "dl-fall-2026", "ASSIGNMENT": "exercise1", "ASSIGNMENT_TYPE": "individual",
    "SUBMISSION_TAG": "submit/2026-12-01T10-00-00Z-a1b2c3d", "USERNAME": "alice", "OWNER": "alice",
    "COMMIT_URL": "https://github.com/dl/dl-fall-2026-exercise1-alice/commit/a1b2c3d",
    "RELEASE_URL": "https://github.com/dl/dl-fall-2026-exercise1-alice/releases/tag/submit%2F2026",
    "REVIEW_URL": "https://github.com/dl/dl-fall-2026-exercise1-alice/compare/0000...a1b2c3d",
}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """The package for a one-exercise assignment (verification is test_gradescope's business)."""
    out = tmp_path_factory.mktemp("classroom50") / "exercise1"
    build_package("classroom50", out, exercises=["exercise1"], seed=99, verify=False, kit=KIT)
    return out


def _run(bundle: Path, checkout: Path) -> tuple[subprocess.CompletedProcess, dict]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(RUNNER, CLASSROOM50_BUNDLE_DIR=str(bundle))
    proc = subprocess.run([sys.executable, str(bundle / "autograder.py")], cwd=checkout, env=env,
                          capture_output=True, text=True, timeout=600)
    result = json.loads((checkout / "result.json").read_text())
    jsonschema.validate(result, SCHEMA)
    assert result["score"] == sum(t["score"] for t in result["tests"])
    assert result["max-score"] == sum(t["max-score"] for t in result["tests"])
    assert all(t["score"] <= t["max-score"] for t in result["tests"]) and result["score"] <= result["max-score"]
    assert {k: result[k] for k in ("classroom", "assignment", "owner", "submission")} == {
        "classroom": RUNNER["CLASSROOM"], "assignment": RUNNER["ASSIGNMENT"], "owner": "alice",
        "submission": RUNNER["SUBMISSION_TAG"]}
    return proc, result


def test_the_bundle_holds_the_entrypoint_and_the_kit_and_no_solution(bundle):
    assert (bundle / "autograder.py").is_file() and (bundle / "torchgrade" / "autograder" / "api.py").is_file()
    assert not list(bundle.rglob("solutions")) and not list(bundle.rglob("release"))
    manifest = json.loads((bundle / "torchgrade/autograder/recorded/manifest.json").read_text())
    assert manifest["seed"] == 99 and [e["id"] for e in manifest["exercises"]] == ["exercise1"]


def test_a_checkout_is_graded_with_the_bundled_kit_never_the_students_copy(bundle, tmp_path):
    """The student's checkout holds their own (editable) autograder/: it must never be imported."""
    checkout = write_mutant(tmp_path / "checkout", "exercise1", [("w1 = w1 - lr * grad_w1", "w1 = w1 + lr * grad_w1"),
                                                                ("w2 = w2 - lr * grad_w2", "w2 = w2 + lr * grad_w2")])
    (checkout / "autograder").mkdir()
    (checkout / "autograder" / "__init__.py").write_text("raise SystemExit('the checkout autograder/ was imported')\n")
    proc, result = _run(bundle, checkout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    tests = {t["test-name"]: t for t in result["tests"]}
    assert len(tests) == 11 and result["max-score"] == 100  # hidden checks included
    assert {n for n, t in tests.items() if not t["passed"]} == {
        "exercise1: sgd_update", "exercise1: train", "exercise1: train_defaults"}
    assert "reproduce: grade exercise1 -k sgd_update" in tests["exercise1: sgd_update"]["message"]
    assert result["score"] == 70 and type(result["score"]) is int


def test_a_checkout_without_exercises_still_gets_a_valid_result(bundle, tmp_path):
    checkout = tmp_path / "empty"
    checkout.mkdir()
    (checkout / "README.md").write_text("nothing here yet")
    proc, result = _run(bundle, checkout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert result["score"] == 0 and result["max-score"] == 100
    assert "no exercises/ folder" in result["tests"][0]["message"]
