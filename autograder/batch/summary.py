"""The class at a glance, as numbers: what ``summary.json`` holds (and the report draws).

Per exercise: the mean, median and a histogram of scores, how many did not attempt it, each
check's pass rate (hardest first) and the most frequent known mistakes.  Across the class:
the slowest gradings, the flagged submissions (timeouts, crashes, out of memory, forbidden
APIs, what the sandbox refused), what could not be graded, and the roster's mismatches.
"""
from __future__ import annotations

import statistics
from collections import Counter
from typing import Iterable

from autograder.batch.results import StudentResult
from autograder.engine.report import round_points
from autograder.kit import Kit

BINS = 10
TOP_HINTS = 10
SLOWEST = 10
# What a refusal by the sandbox looks like in a student's error (no network, read-only mounts,
# an unprivileged uid, rlimits).
SANDBOX_SIGNS = ("PermissionError", "Permission denied", "Read-only file system", "Operation not permitted",
                 "Network is unreachable", "Connection refused", "ConnectionRefusedError", "gaierror",
                 "Temporary failure in name resolution", "Resource temporarily unavailable", "File too large")


def summarize(results: list[StudentResult], kit: Kit, *, roster: dict | None = None) -> dict:
    return {
        "students": _counts(results),
        "exercises": {ex.id: _exercise(results, ex) for ex in kit.exercises},
        "slowest": _slowest(results),
        "flags": [flag for r in results for flag in flags(r)],
        "not_graded": [{"student": r.student, "exercise": e, "state": c.state, "why": c.message}
                       for r in results for e, c in r.cells.items() if c.state in ("failed", "error")],
        "roster": _roster(results, roster),
    }


def _counts(results: list[StudentResult]) -> dict:
    states = Counter(c.state for r in results for c in r.cells.values())
    return {"total": len(results), "rejected": sum(1 for r in results if r.problem), **{s: states[s] for s in
                                                                                       ("graded", "failed", "error", "pending")}}


def _exercise(results: list[StudentResult], ex) -> dict:
    cells = [r.cells[ex.id] for r in results]
    scored = [c.score for c in cells if c.score is not None]
    documents = [c.document["exercises"][0] for c in cells if c.document]
    width = ex.max_score / BINS
    counts = [0] * BINS
    for score in scored:
        counts[min(BINS - 1, int(score // width))] += 1
    checks: dict[str, dict] = {}
    hints: Counter = Counter()
    for entry in documents:
        for check in entry["checks"]:
            info = checks.setdefault(check["id"], {"id": check["id"], "points": check["max_score"],
                                                   "visibility": check["visibility"], "passed": 0, "total": 0})
            info["total"] += 1
            info["passed"] += check["status"] == "passed"
            if check["status"] != "passed" and check.get("specific_hint") and check.get("hint"):
                hints[check["hint"]] += 1
    for info in checks.values():
        info["pass_rate"] = round(info["passed"] / info["total"], 4)
    return {
        "title": ex.title, "max_score": ex.max_score, "scored": len(scored),
        "mean": round_points(statistics.fmean(scored)) if scored else None,
        "median": round_points(statistics.median(scored)) if scored else None,
        "histogram": {"edges": [round_points(width * i) for i in range(BINS + 1)], "counts": counts},
        "not_attempted": sum(1 for e in documents if e["checks"] and all(c["status"] == "not_attempted"
                                                                         for c in e["checks"])),
        "checks": sorted(checks.values(), key=lambda c: (c["pass_rate"], c["id"])),
        "known_mistakes": [{"hint": hint, "count": n, "share": round(n / len(documents), 4)}
                           for hint, n in hints.most_common(TOP_HINTS)],
    }


def _slowest(results: list[StudentResult]) -> list[dict]:
    timed = [(c.duration_s, r.student, e) for r in results for e, c in r.cells.items() if c.duration_s is not None]
    return [{"student": s, "exercise": e, "duration_s": d} for d, s, e in sorted(timed, reverse=True)[:SLOWEST]]


def flags(result: StudentResult) -> list[dict]:
    """What a teacher should look at in one student's results, each with a sentence why."""
    found = []
    for exercise, cell in result.cells.items():
        for check in (cell.document["exercises"][0]["checks"] if cell.document else []):
            kind = _flag_kind(check)
            if kind:
                found.append({"student": result.student, "exercise": exercise, "check": check["id"], "kind": kind,
                              "why": _first_line(check["message"])})
    return found


def _flag_kind(check: dict) -> str | None:
    message = check.get("message") or ""
    if check["status"] == "timeout":
        return "timeout"
    if "must not use" in message:
        return "forbidden-api"
    if check["status"] != "error":
        return None
    if "MemoryError" in message:
        return "out-of-memory"
    if "died without answering" in message or "the process died" in message:
        return "crash"
    if any(sign in message for sign in SANDBOX_SIGNS):
        return "sandbox"
    return None


def _first_line(text: str) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= 300 else line[:297] + "..."


def _roster(results: Iterable[StudentResult], roster: dict | None) -> dict | None:
    if roster is None:
        return None
    found = {r.student for r in results}
    return {"not_in_roster": sorted(found - set(roster)), "no_submission": sorted(set(roster) - found)}
