"""The class at a glance, as numbers: what ``summary.json`` holds (and the report draws).

Per exercise: the mean, median and a histogram of scores, how many did not attempt it, each
check's pass rate (hardest first), the most frequent known mistakes, the time each check
took, the slowest submissions, and the look-alike submissions (``similarity``).  Across
the class: the flagged submissions (timeouts, crashes, out of memory, forbidden APIs, what
the sandbox refused and which layer refused it, outputs that look hard-coded for the public
inputs), what could not be graded, and the roster's mismatches.
"""
from __future__ import annotations

import dataclasses
import statistics
from collections import Counter
from typing import Iterable

from autograder.batch import similarity
from autograder.batch.results import StudentResult
from autograder.engine.report import round_points
from autograder.kit import Kit

BINS = 10
TOP_HINTS = 10
SLOWEST = 10
# What a refusal by the sandbox looks like in a student's error, and the layer that refused.
SANDBOX_SIGNS = {
    "Network is unreachable": "no network", "Connection refused": "no network",
    "ConnectionRefusedError": "no network", "gaierror": "no network",
    "Temporary failure in name resolution": "no network",
    "Read-only file system": "read-only filesystem",
    "PermissionError": "unprivileged user", "Permission denied": "unprivileged user",
    "Operation not permitted": "unprivileged user",
    "File too large": "rlimits (file size)", "Resource temporarily unavailable": "rlimits (processes)",
}


def summarize(results: list[StudentResult], kit: Kit, *, roster: dict | None = None,
              sources: dict[str, dict[str, str]] | None = None,
              fingerprints: dict[str, dict | None] | None = None) -> dict:
    """``sources``: exercise -> student -> the module's source, for the look-alikes;
    ``fingerprints``: source -> its ``similarity.raw_hashes``, where already known."""
    exercises = {ex.id: _exercise(results, ex) for ex in kit.exercises}
    for ex in kit.exercises:
        if sources is not None:
            exercises[ex.id]["look_alikes"] = look_alikes(sources.get(ex.id, {}), kit.stub_path(ex),
                                                          known=fingerprints)
    return {
        "students": _counts(results),
        "exercises": exercises,
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
    times: dict[str, list[float]] = {}
    for entry in documents:
        for check in entry["checks"]:
            times.setdefault(check["id"], []).append(check["duration_s"])
    for info in checks.values():
        info["pass_rate"] = round(info["passed"] / info["total"], 4)
        spent = sorted(times[info["id"]])
        info["time_s"] = {"median": round(statistics.median(spent), 4), "p90": round(spent[int(0.9 * (len(spent) - 1))], 4),
                          "max": round(spent[-1], 4)}
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
        "slowest": [{"student": student, "duration_s": round(spent, 3)} for spent, student in
                    sorted(((r.cells[ex.id].duration_s, r.student) for r in results
                            if r.cells[ex.id].duration_s is not None), key=lambda t: (-t[0], t[1]))[:SLOWEST]],
    }


def flags(result: StudentResult) -> list[dict]:
    """What a teacher should look at in one student's results: one flag per exercise and kind,
    naming the checks it came from, with a sentence why (the first such check's)."""
    found = []
    for exercise, cell in result.cells.items():
        checks = cell.document["exercises"][0]["checks"] if cell.document else []
        kinds: dict[str, dict] = {}
        for check in checks:
            kind = _flag_kind(check)
            if kind in kinds:
                kinds[kind]["checks"].append(check["id"])
            elif kind:
                kinds[kind] = {"student": result.student, "exercise": exercise, "kind": kind, "checks": [check["id"]],
                               "why": _why(kind, check)}
        found += kinds.values()
        found += _hard_coded(result.student, exercise, checks)
    return found


def _hard_coded(student: str, exercise: str, checks: list[dict]) -> list[dict]:
    """Hidden checks lost whose public twins passed: outputs that hold only for the public
    inputs?  A hidden check ``forward_other_sizes`` is the twin of the public checks named
    ``forward...`` (the suites' convention: ``<public>_other_<what>``); where a hidden check
    has no such twin, every public check stands in."""
    passed = {c["id"] for c in checks if c["status"] == "passed"}
    public = [c["id"] for c in checks if c["visibility"] == "visible"]
    flagged = []
    for hidden in (c["id"] for c in checks if c["visibility"] == "hidden" and c["status"] != "passed"):
        twins = [p for p in public if p.startswith(hidden.partition("_other")[0])] or public
        if twins and all(p in passed for p in twins):
            flagged.append({"student": student, "exercise": exercise, "kind": "hard-coded", "checks": [hidden],
                            "why": f"passed the public {', '.join(twins)} but lost the hidden {hidden} (other inputs): "
                                   "results that hold only for the public inputs? Worth a look"})
    if len(flagged) > 1:  # one flag per kind, naming every check
        flagged[0]["checks"] = [c for f in flagged for c in f["checks"]]
    return flagged[:1]


def _why(kind: str, check: dict) -> str:
    line = _first_line(check["message"])
    if kind == "sandbox":
        layer = next(layer for sign, layer in SANDBOX_SIGNS.items() if sign in check["message"])
        return f"tried something the sandbox refused ({layer}): {line}"
    return line


def _flag_kind(check: dict) -> str | None:
    message = check.get("message") or ""
    if check["status"] == "timeout":
        return "timeout"
    if "must not use" in message:
        return "forbidden-api"
    if ": returned <" in message:  # not plain data: an object made to pass every comparison?
        return "fake-result"
    if check["status"] != "error":
        return None
    if "MemoryError" in message:
        return "out-of-memory"
    if "died without answering" in message or "the process died" in message:
        return "crash"
    if any(sign in message for sign in SANDBOX_SIGNS):
        return "sandbox"
    return None


def look_alikes(sources: dict[str, str], stub_path, *, known: dict[str, dict | None] | None = None) -> dict:
    """Pairs and clusters of near-identical modules, the stub's own lines not counting
    (``known``: source -> its ``similarity.raw_hashes``, where already computed)."""
    stub = stub_path.read_text(encoding="utf-8") if stub_path.is_file() else ""
    boiler = similarity.template_hashes(stub)
    made: dict[str, similarity.Fingerprint | None] = {}  # identical modules (untouched stubs) parsed once
    prints = []
    for student, source in sources.items():
        if source not in made:
            made[source] = similarity.fingerprint(student, source, boilerplate=boiler,
                                                  known=(known or {}).get(source))
        prints.append(made[source] and dataclasses.replace(made[source], name=student))
    pairs = similarity.similar_pairs(prints)
    return {"threshold": similarity.THRESHOLD, "compared": sum(p is not None for p in prints),
            "pairs": [p.plain() for p in pairs], "clusters": similarity.clusters(pairs)}


def _first_line(text: str) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= 300 else line[:297] + "..."


def _roster(results: Iterable[StudentResult], roster: dict | None) -> dict | None:
    if roster is None:
        return None
    found = {r.student for r in results}
    return {"not_in_roster": sorted(found - set(roster)), "no_submission": sorted(set(roster) - found)}
