"""classroom.yml is generated from the registry, and the torch pin has one source."""
from __future__ import annotations

import pytest

from autograder.release.workflow import render_workflow, torch_pin, workflow_path
from conftest import KIT


def test_workflow_is_generated_from_the_registry_and_up_to_date():
    yaml = pytest.importorskip("yaml")
    text = render_workflow(KIT.exercises, kit=KIT)
    assert workflow_path(KIT).read_text(encoding="utf-8") == text, "classroom.yml is stale: run `grade workflow`"
    job = yaml.safe_load(text)["jobs"]["run-autograding-tests"]
    grading = [step for step in job["steps"] if "id" in step]
    assert [step["id"] for step in grading] == ["grade"]  # one interpreter, one torch import
    assert grading[0]["run"].startswith("grade all --format classroom")
    ids = [ex.id for ex in KIT.exercises]
    reporter = job["steps"][-1]
    assert reporter["with"]["runners"] == ",".join(ids)
    assert reporter["env"] == {f"{i.upper()}_RESULTS": f"${{{{ steps.grade.outputs.{i} }}}}" for i in ids}
    setup = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["cache"] == "pip"  # keyed on the pinned requirements:
    assert setup["with"]["cache-dependency-path"].split() == ["constraints.txt", "pyproject.toml"]


def test_the_torch_pin_is_written_once():
    """constraints.txt holds it; the README's set-up, CI and the workflow take it from there."""
    pin = torch_pin(KIT)
    assert pin.startswith("torch==")
    assert f"pip install {pin} " in render_workflow(KIT.exercises, kit=KIT)
    for path in (KIT.root / "README.md", KIT.root / ".ci" / "run"):
        text = path.read_text(encoding="utf-8")
        assert "-c constraints.txt" in text and pin not in text, path
