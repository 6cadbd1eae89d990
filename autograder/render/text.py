"""The terminal report: one line per check, failures explained underneath."""
from __future__ import annotations

import textwrap

import click

TAGS = {  # status -> (label, colour)
    "passed": ("PASS", "green"), "failed": ("FAIL", "red"), "error": ("ERROR", "red"),
    "timeout": ("TIME", "red"), "not_attempted": ("TODO", "yellow"), "skipped": ("SKIP", "cyan"),
}


def _points(score: float, max_score: float) -> str:
    return f"{score:g}/{max_score:g}"


def _indent(text: str, prefix: str) -> list[str]:
    lines = []
    for line in text.splitlines() or [""]:
        wrapped = textwrap.wrap(line, width=100 - len(prefix), subsequent_indent="  ") or [""]
        lines += [prefix + w for w in wrapped]
    return lines


def render(document: dict) -> str:
    """Plain text with click styles; ``click.echo`` drops the colours when not on a terminal."""
    return "\n".join([*(render_exercise(exercise) for exercise in document["exercises"]), render_footer(document)])


def render_exercise(exercise: dict) -> str:
    """One exercise's block (its checks and total, and a blank line), as ``grade all`` prints
    it as soon as that exercise is graded."""
    out: list[str] = [click.style(f"{exercise['id']} — {exercise['title']}", bold=True)]
    width = max((len(c["id"]) for c in exercise["checks"]), default=10)
    for check in exercise["checks"]:
        label, colour = TAGS.get(check["status"], (check["status"].upper(), "red"))
        hidden = "  (hidden)" if check["visibility"] == "hidden" else ""
        out.append(f"  {click.style(f'{label:<5}', fg=colour, bold=True)} {check['id']:<{width}}  "
                   f"{_points(check['score'], check['max_score']):>7}{hidden}")
        if check.get("output"):
            out += _indent(check["output"], "        ")
        if check["status"] == "passed":
            continue
        if check.get("message"):
            out += _indent(check["message"], "        ")
        if check.get("hint"):
            out += _indent("hint: " + check["hint"], "        ")
        if check.get("reproduce"):  # never wrapped: it is copied and pasted whole
            out.append(f"        reproduce: {check['reproduce']}")
    total = _points(exercise["score"], exercise["max_score"])
    out.append(click.style(f"  total {total}", bold=True))
    if "hidden_checks" in exercise:  # a student release
        out.append(f"  {_hidden_line(exercise)}")
    out.append("")
    return "\n".join(out)


def render_footer(document: dict) -> str:
    """The overall total (several exercises) and the sandbox line."""
    out = []
    if len(document["exercises"]) > 1:
        out.append(click.style(f"overall {_points(document['score'], document['max_score'])}", bold=True))
    layers = ", ".join(document.get("sandbox_layers", []))
    out.append(f"sandbox: {document['sandbox']} ({layers}) · seed {document['seed']}")
    return "\n".join(out)


def _hidden_line(exercise: dict) -> str:
    """``public: 8/8 passed · 5 hidden checks (30 points) run at final grading``."""
    checks = exercise["checks"]
    passed = sum(c["status"] == "passed" for c in checks)
    n, points = exercise["hidden_checks"], exercise.get("hidden_points", 0)
    hidden = (f"{n} hidden check{'s' if n != 1 else ''} ({points:g} points) run at final grading"
              if n else "no hidden checks")
    return f"public: {passed}/{len(checks)} passed · {hidden}"
