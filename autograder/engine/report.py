"""Build the canonical result document from pytest-json-report's report.

Every output format (text, Gradescope, Classroom, CSV...) is an adapter over this document:
``{"score", "max_score", "seed", "sandbox", "sandbox_layers", "environment",
"exercises": [{"id", "title", "score", "max_score", "checks": [...]}]}``; in a student
release each exercise also says ``hidden_checks`` and ``hidden_points`` (what runs at final
grading).  A check: ``{"id", "name", "status", "score", "max_score", "visibility",
"message", "hint", "duration_s", "worker_s"}`` (``worker_s``: the CPU seconds the worker
spent on the check, running student code and drivers), plus ``reproduce`` when it did not pass, ``output``
and ``details`` when it noted something, and ``specific_hint: true`` when the hint names
what this code did (a known mistake recognised) rather than the check's general advice.
"""
from __future__ import annotations

import platform
import sys
from typing import Any, Iterable

from autograder.i18n import localize
from autograder.registry import Exercise


class SuiteError(RuntimeError):
    """A suite could not be collected: a bug in the kit, reported with pytest's own text."""


def environment() -> dict:
    numpy = sys.modules.get("numpy")
    torch = sys.modules.get("torch")
    version = getattr(torch, "__version__", None) if torch else _dist_version("torch")
    return {"python": platform.python_version(),
            "torch": str(version) if version is not None else None,  # torch's is a str subclass
            "numpy": getattr(numpy, "__version__", None),
            "platform": platform.platform()}


def _dist_version(name: str) -> str | None:
    from importlib import metadata
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def build(json_report: dict, *, exercises: Iterable[Exercise], seed: int, sandbox: dict,
          reproduce: Any, hidden_checks: Any = lambda exercise_id: None, lang: str = "en") -> dict:
    """``reproduce(exercise_id, check_id)`` gives the command that re-runs one check;
    ``hidden_checks(exercise_id)`` what a student release says about its hidden checks."""
    errors = [c for c in json_report.get("collectors", []) if c.get("outcome") == "failed"]
    if errors:
        raise SuiteError("a grading suite failed to load:\n" + "\n".join(str(c.get("longrepr")) for c in errors))
    by_exercise = checks_by_exercise(json_report.get("tests", []), reproduce)
    out = [exercise_entry(ex, by_exercise.get(ex.id, []), hidden_checks, lang=lang) for ex in exercises]
    return {"score": round_points(sum(e["score"] for e in out)), "max_score": round_points(sum(e["max_score"] for e in out)),
            "seed": seed, **sandbox, "lang": lang, "environment": environment(), "exercises": out}


def checks_by_exercise(tests: Iterable[dict], reproduce: Any) -> dict[str, list]:
    """The checks' verdicts (pytest-json-report's tests, with our metadata) per exercise id."""
    by_exercise: dict[str, list] = {}
    for test in tests:
        verdict = (test.get("metadata") or {}).get("check")
        if verdict is None:
            continue
        duration = sum((test.get(phase) or {}).get("duration", 0.0) for phase in ("setup", "call", "teardown"))
        verdict = dict(verdict, name=test["nodeid"].split("::")[-1], duration_s=round(duration, 4))
        if verdict["status"] not in ("passed", "skipped"):
            verdict["reproduce"] = reproduce(verdict["exercise"], verdict["id"])
        by_exercise.setdefault(verdict.pop("exercise"), []).append(verdict)
    return by_exercise


def exercise_entry(ex: Exercise, checks: list, hidden_checks: Any = lambda exercise_id: None, *,
                   lang: str = "en") -> dict:
    """One exercise of the document: its checks and totals (and, in a student release, what
    runs at final grading)."""
    entry = {"id": ex.id, "title": str(ex.title), "score": round_points(sum(c["score"] for c in checks)),
             "max_score": round_points(sum(c["max_score"] for c in checks)), "checks": checks}
    if lang != "en":
        entry["translation"] = {"title": localize(ex.title, lang)}
    hidden = hidden_checks(ex.id)
    if hidden is not None:
        entry.update(hidden_checks=hidden["checks"], hidden_points=round_points(hidden["points"]))
    return entry


def round_points(x: float) -> float | int:
    x = round(x, 2)
    return int(x) if x == int(x) else x


def all_passed(document: dict) -> bool:
    return all(c["status"] in ("passed", "skipped") for e in document["exercises"] for c in e["checks"])
