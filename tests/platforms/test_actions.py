"""classroom.yml: valid against GitHub's workflow schema (offline, as check-jsonschema vendors it),
and its `run:` steps, executed as Actions executes them in a fresh virtual environment on a
`grade release` template, give the reporter exactly the points `grade all` gives."""
from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.release.workflow import workflow_path
from conftest import KIT, write_mutant

yaml = pytest.importorskip("yaml")
pytest.importorskip("check_jsonschema")

LOSS_AVERAGED = [("return float(np.square(y_pred - y).sum())", "return float(np.square(y_pred - y).mean())")]


def _validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           str(path)], capture_output=True, text=True)


def test_the_workflows_are_valid_github_workflows(built, tmp_path):
    release, _ = built
    for path in (workflow_path(KIT), release / ".github" / "workflows" / "classroom.yml"):
        proc = _validate(path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    broken = tmp_path / "broken.yml"  # the validation can fail: a job without runs-on
    broken.write_text(workflow_path(KIT).read_text().replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest"))
    assert _validate(broken).returncode != 0


def _outputs(path: Path) -> dict[str, str]:
    """$GITHUB_OUTPUT's ``name=value`` lines."""
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def _reporter_points(job: dict, outputs: dict[str, str]) -> tuple[float, float]:
    """What autograding-grading-reporter computes: for each runner, the JSON in the env var
    ``<RUNNER>_RESULTS`` (here: the step output its expression names), summed."""
    reporter = job["steps"][-1]
    score = max_score = 0.0
    for runner in reporter["with"]["runners"].split(","):
        expression = reporter["env"][f"{runner.upper()}_RESULTS"]
        step, name = re.fullmatch(r"\$\{\{ steps\.(\w+)\.outputs\.(\w+) \}\}", expression).groups()
        assert step == "grade"
        result = json.loads(base64.b64decode(outputs[name]))
        max_score += result["max_score"]
        score += sum(t["score"] for t in result["tests"])
    return score, max_score


def test_the_workflow_steps_give_the_points_of_grade_all(checkout):
    """The install steps ran in the ``checkout`` fixture; the student's work is graded here."""
    write_mutant(checkout.repo, "exercise1", LOSS_AVERAGED)  # loses the loss and train checks
    for step in checkout.job["steps"]:
        if "run" in step and "id" in step:
            checkout.run_step(step)
    print({name: f"{seconds:.1f} s" for name, seconds in checkout.timings.items()})
    outputs = _outputs(Path(checkout.env["GITHUB_OUTPUT"]))
    assert set(outputs) == {"exercise1", "result"}
    direct = subprocess.run([str(checkout.venv / "bin" / "grade"), "all", "--format", "json"], cwd=checkout.repo,
                            env=checkout.env, capture_output=True, text=True)
    assert direct.returncode == 1, direct.stderr[-3000:]  # some checks fail
    document = json.loads(direct.stdout)
    assert _reporter_points(checkout.job, outputs) == (document["score"], document["max_score"]) == (65, 90)
    reported = json.loads(base64.b64decode(outputs["exercise1"]))
    assert {t["name"]: t["score"] for t in reported["tests"]} == {
        f"exercise1: {c['id']}": c["score"] for e in document["exercises"] for c in e["checks"]}
