"""Shared helpers for the kit's own tests."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import autograder
from autograder.kit import Kit

KIT = Kit.installed()  # the kit under test; tests that need a variant build one (KIT.with_exercise)

# The cheat and fault banks are student submissions (one ships its own conftest.py that
# would empty the collection): the tests copy them, pytest never collects or loads them.
collect_ignore = ["cheats", "faults"]


def checks_by_id(document: dict) -> dict:
    return {c["id"]: c for e in document["exercises"] for c in e["checks"]}


def write_mutant(tmp_path: Path, exercise_id: str, replacements: list[tuple[str, str]]) -> Path:
    """A submission folder holding the exercise's reference with each ``old`` replaced by ``new``.

    Every ``old`` must occur in the reference, so a mutant can never silently equal it.
    """
    exercise = KIT.find(exercise_id)
    source = KIT.solution_path(exercise).read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in source, f"mutation target not found in {KIT.solution_path(exercise).name}: {old!r}"
        source = source.replace(old, new)
    folder = tmp_path / "exercises"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{exercise.module}.py").write_text(source, encoding="utf-8")
    return tmp_path


def write_submission(tmp_path: Path, exercise_id: str, source: str | bytes) -> Path:
    exercise = KIT.find(exercise_id)
    folder = tmp_path / "exercises"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{exercise.module}.py"
    target.write_bytes(source if isinstance(source, bytes) else source.encode("utf-8"))
    return tmp_path


@pytest.fixture
def grade_mutant(tmp_path):
    """``grade_mutant("exercise1", [(old, new), ...], pattern=None)`` -> checks by id."""
    def run(exercise_id: str, replacements: list[tuple[str, str]], pattern: str | None = None) -> dict:
        root = write_mutant(tmp_path, exercise_id, replacements)
        return checks_by_id(autograder.grade(exercise_id, submission=root, pattern=pattern))
    return run


def assert_only_lost(checks: dict, lost: set[str], hint: str | None = None) -> None:
    """Exactly the checks in ``lost`` fail; with ``hint``, each of them shows that hint text."""
    failed = {cid for cid, c in checks.items() if c["status"] != "passed"}
    assert failed == lost, {cid: (c["status"], c["message"][:200]) for cid, c in checks.items() if cid in failed ^ lost}
    if hint is not None:
        for cid in lost:
            assert hint in (checks[cid]["hint"] or ""), (cid, checks[cid]["message"], checks[cid]["hint"])


def pytest_configure(config):
    # Tests import suite modules (for their hint strings); their @check marker is the
    # grading plugin's, registered here so that importing them outside a grading run is quiet.
    config.addinivalue_line("markers", "check(points, visibility, hint, timeout): a graded check")


def grade_cli(exercise_id: str, root: Path) -> dict:
    """One full `grade --format json` run in a subprocess -> checks by id."""
    proc = subprocess.run([sys.executable, "-m", "autograder", exercise_id, "--submission", str(root), "--format", "json"],
                          capture_output=True, text=True, timeout=600)
    assert proc.stdout.strip(), proc.stderr[-2000:]
    return checks_by_id(json.loads(proc.stdout))


def start_gradings(exercise_id: str, roots: dict, workers: int = 2) -> dict:
    """Grade every submission of ``roots`` (name -> folder), two at a time: each grading is a
    separate process tree, and most of a run is start-up, so this halves the file's time."""
    pool = ThreadPoolExecutor(workers)
    futures = {name: pool.submit(grade_cli, exercise_id, root) for name, root in roots.items()}
    pool.shutdown(wait=False)
    return futures


def lost(checks: dict) -> set:
    return {cid for cid, c in checks.items() if c["status"] != "passed"}


def show(checks: dict) -> dict:
    return {cid: (c["status"], c["message"][:300], c["hint"]) for cid, c in checks.items() if c["status"] != "passed"}


def assert_lost_with_hints(checks: dict, expected: dict) -> None:
    """Exactly the checks of ``expected`` (id -> hint text or None) score 0, each with its hint;
    a lost device check must have caught the output on the CPU."""
    assert lost(checks) == set(expected), show(checks)
    for cid, hint in expected.items():
        assert checks[cid]["score"] == 0
        if hint is not None:
            assert hint in (checks[cid]["hint"] or ""), (cid, show(checks)[cid])
    if "device" in expected:
        device = checks["device"]
        assert "returned a tensor on cpu" in device["message"], device["message"]
        assert device["details"]["device_check"] in ("fake", "cuda", "mps")


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> tuple[Path, dict]:
    """A student release of exercise1 (``grade release``, unverified), built once for the
    release tests: ``(folder, manifest)``."""
    from autograder.release.build import build
    out = tmp_path_factory.mktemp("release") / "student-repo"
    return out, build(out, exercises=["exercise1"], verify=False)


@dataclasses.dataclass
class Checkout:
    """A student's checkout of the release with the grader installed by its workflow's steps."""
    repo: Path
    venv: Path
    env: dict
    job: dict  # classroom.yml's job, parsed
    timings: dict  # step name -> seconds

    def run_step(self, step: dict) -> subprocess.CompletedProcess:
        """Run a ``run:`` step as Actions does (bash -eo pipefail, in the checkout)."""
        started = time.perf_counter()
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=self.repo,
                              env=self.env, capture_output=True, text=True, timeout=900)
        self.timings[step["name"]] = time.perf_counter() - started
        assert proc.returncode == 0, f"{step['name']}: {proc.stderr[-3000:]}"
        return proc


@pytest.fixture(scope="session")
def checkout(built, tmp_path_factory) -> Checkout:
    """The release (``built``) as a student's checkout, in a fresh virtual environment (what
    actions/setup-python gives), after the install steps of its classroom.yml ran there as
    written: the README's torch pin and the release, nothing from this kit."""
    yaml = pytest.importorskip("yaml")
    release, _ = built
    repo = tmp_path_factory.mktemp("checkout") / "student-repo"
    shutil.copytree(release, repo)
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    output = repo.parent / "github_output"
    output.touch()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", VIRTUAL_ENV=str(venv), GITHUB_OUTPUT=str(output),
               PIP_DISABLE_PIP_VERSION_CHECK="1",
               # where download.pytorch.org cannot be reached (this machine, CI), pip would retry each
               # lookup on that index 5 times before taking a local wheel: ~100 s for nothing
               PIP_RETRIES="0")
    job = yaml.safe_load((repo / ".github/workflows/classroom.yml").read_text())["jobs"]["run-autograding-tests"]
    found = Checkout(repo, venv, env, job, {})
    for step in job["steps"]:
        if "run" in step and "id" not in step:  # the install steps; grading steps are the tests' business
            found.run_step(step)
    return found
