"""The student workflow's steps, timed: install, then grading as one `grade all` step against
the eight per-exercise steps of the workflow before it (one interpreter and torch import each).

Usage: python bench/workflow_steps.py [--runs 3]

Builds a `grade release` of every exercise (unverified), copies it as a student's checkout
with the reference solutions in exercises/ (every check runs to the end), makes a fresh
virtual environment (what actions/setup-python gives) and runs classroom.yml's `run:` steps
there as Actions does (`bash -eo pipefail`, `$GITHUB_OUTPUT` a file).  The install step is
timed once (pip's wheel cache is warm on a machine that ran it before, as Actions' pip cache
makes it); each grading variant --runs times, alternately, median quoted.  Both variants'
outputs are decoded and their points compared.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from autograder.kit import Kit
from autograder.release.build import build


def run(command: str, *, cwd: Path, env: dict) -> float:
    started = time.perf_counter()
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command], cwd=cwd, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"step failed: {command}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - started


def points(output: Path) -> dict[str, float]:
    found = {}
    for line in output.read_text().splitlines():
        name, _, value = line.partition("=")
        if name.startswith("exercise"):
            found[name] = sum(t["score"] for t in json.loads(base64.b64decode(value))["tests"])
    output.write_text("")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    kit = Kit.installed()
    with tempfile.TemporaryDirectory(prefix="torchgrade-workflow-") as tmp:
        repo, venv, output = Path(tmp) / "student-repo", Path(tmp) / "venv", Path(tmp) / "github_output"
        build(Path(tmp) / "release", verify=False, kit=kit)
        shutil.copytree(Path(tmp) / "release", repo)
        for ex in kit.exercises:
            shutil.copy(kit.solution_path(ex), repo / "exercises" / f"{ex.module}.py")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        output.touch()
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", VIRTUAL_ENV=str(venv),
                   GITHUB_OUTPUT=str(output), PIP_DISABLE_PIP_VERSION_CHECK="1",
                   PIP_RETRIES="0")  # as in tests/conftest.py: no retries on an unreachable index
        job = yaml.safe_load((repo / ".github/workflows/classroom.yml").read_text())["jobs"]["run-autograding-tests"]
        install = [s["run"] for s in job["steps"] if "run" in s and "id" not in s]
        grading = [s["run"] for s in job["steps"] if "run" in s and "id" in s]
        print(f"install: {sum(run(c, cwd=repo, env=env) for c in install):.1f} s")
        per_exercise = [f'grade {ex.id} --format classroom >> "$GITHUB_OUTPUT" || true' for ex in kit.exercises]
        times: dict[str, list[float]] = {"one step (grade all)": [], "eight steps (before)": []}
        for _ in range(args.runs):
            times["one step (grade all)"].append(sum(run(c, cwd=repo, env=env) for c in grading))
            one = points(output)
            times["eight steps (before)"].append(sum(run(c, cwd=repo, env=env) for c in per_exercise))
            eight = {name: score for name, score in points(output).items()}
            if one != eight:
                sys.exit(f"the two workflows disagree: {one} vs {eight}")
        for name, values in times.items():
            print(f"{name}: median {statistics.median(values):.1f} s over {len(values)} runs "
                  f"({', '.join(f'{v:.1f}' for v in values)})")
        print(f"ratio eight/one: {statistics.median(times['eight steps (before)']) / statistics.median(times['one step (grade all)']):.2f}; "
              f"points {one}")


if __name__ == "__main__":
    main()
