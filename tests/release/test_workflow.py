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
    ids = [step["id"] for step in job["steps"] if "id" in step]
    reporter = job["steps"][-1]
    assert reporter["with"]["runners"] == ",".join(ids)
    assert set(reporter["env"]) == {f"{i.upper()}_RESULTS" for i in ids}


def test_the_torch_pin_is_written_once():
    """constraints.txt holds it; the README's set-up, CI and the workflow take it from there."""
    pin = torch_pin(KIT)
    assert pin.startswith("torch==")
    assert f"pip install {pin} " in render_workflow(KIT.exercises, kit=KIT)
    for path in (KIT.root / "README.md", KIT.root / ".ci" / "run"):
        text = path.read_text(encoding="utf-8")
        assert "-c constraints.txt" in text and pin not in text, path
