"""Verification of a built release (or platform package): it grades every check it holds
exactly as the kit does."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from autograder.kit import Kit
from autograder.registry import Exercise
from autograder.release import ReleaseError
from autograder.release.stubgen import generate_stub


def _grade_in_release(out: Path, exercises: Sequence[str], submission: Path) -> dict:
    """Grade with the release's own code only (a subprocess whose path starts at ``out``)."""
    code = ("import json, sys, autograder\n"
            "assert autograder.__file__.startswith(sys.argv[1]), autograder.__file__\n"
            "print(json.dumps(autograder.grade(sys.argv[3].split(','), submission=sys.argv[2], sandbox='none')))\n")
    env = dict(os.environ, PYTHONPATH=str(out), PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run([sys.executable, "-c", code, str(out.resolve()), str(submission), ",".join(exercises)],
                          cwd=out, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise ReleaseError(f"grading with the release failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout)


def points_by_check(document: dict, *, visible_only: bool = True) -> dict[str, tuple[str, float]]:
    return {f"{e['id']}::{c['id']}": (c["status"], c["score"]) for e in document["exercises"]
            for c in e["checks"] if not visible_only or c["visibility"] == "visible"}


def verify_release(kit: Kit, out: Path, chosen: Sequence[Exercise], *, seed: int | None = None,
                   hidden_included: bool = False) -> dict:
    """Grade the reference solutions and the stubs with ``kit`` and with the release; every
    public check must give the same status and points.  A platform package
    (``hidden_included``) is compared on every check, hidden ones too, at its ``seed``.
    The stubs are the ones the release ships (``out/exercises``); a package ships none, so
    they are generated as a release would.  Returns a summary per exercise."""
    from autograder.api import grade
    ids = [ex.id for ex in chosen]
    summary: dict[str, dict] = {ex.id: {} for ex in chosen}
    with tempfile.TemporaryDirectory(prefix="torchgrade-verify-") as tmp:
        solutions = Path(tmp) / "solutions"
        solutions.mkdir()
        for ex in chosen:
            shutil.copyfile(kit.solution_path(ex), solutions / f"{ex.module}.py")
        stubs = out / "exercises"
        if not stubs.is_dir():
            stubs = Path(tmp) / "stubs"
            stubs.mkdir()
            for ex in chosen:
                solution = kit.solution_path(ex)
                (stubs / f"{ex.module}.py").write_text(
                    generate_stub(solution.read_text(encoding="utf-8"), filename=str(solution)), encoding="utf-8")
        for label, folder in (("reference", solutions), ("stubs", stubs)):
            # the same isolation on both sides (it changes where student code runs, never a verdict)
            graded = grade(ids, submission=folder, sandbox="none", kit=kit, seed=seed)
            released = _grade_in_release(out, ids, folder)
            want, got = points_by_check(graded, visible_only=not hidden_included), points_by_check(released, visible_only=False)
            kit_hidden = {e["id"]: sum(c["visibility"] == "hidden" for c in e["checks"]) for e in graded["exercises"]}
            for ex in chosen if not hidden_included else ():
                entry = next(e for e in released["exercises"] if e["id"] == ex.id)
                if entry.get("hidden_checks") != kit_hidden[ex.id]:
                    raise ReleaseError(f"{ex.id}: the kit ran {kit_hidden[ex.id]} hidden checks, the release "
                                       f"says {entry.get('hidden_checks')}")
            if want != got:
                diff = {k: (want.get(k), got.get(k)) for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)}
                raise ReleaseError(f"the release grades the {label} differently from the kit "
                                   f"(check: (kit, release)): {diff}")
            for e in released["exercises"]:
                summary[e["id"]][label] = f"{e['score']:g}/{e['max_score']:g}"
    return summary
