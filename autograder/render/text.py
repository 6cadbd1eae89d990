"""The terminal report: one line per check, failures explained underneath, in the document's
language (``lang``: the checks' translations, and this file's own words from the catalog)."""
from __future__ import annotations

import re
import textwrap
import unicodedata

import click

from autograder.i18n import N_, _, said

TAGS = {  # status -> (label, colour)
    "passed": (N_("PASS"), "green"), "failed": (N_("FAIL"), "red"), "error": (N_("ERROR"), "red"),
    "timeout": (N_("TIME"), "red"), "not_attempted": (N_("TODO"), "yellow"), "skipped": (N_("SKIP"), "cyan"),
}


def status_label(status: str, lang: str = "en") -> tuple[str, str]:
    """A check's status as the reports show it (PASS, 通过, ...) and its colour."""
    label, colour = TAGS.get(status, (status.upper(), "red"))
    return _(label).localize(lang), colour


def points(score: float, max_score: float) -> str:
    """``12.5/30``: a score as every report writes it."""
    return f"{score:g}/{max_score:g}"


def _indent(text: str, prefix: str) -> list[str]:
    lines = []
    for line in text.splitlines() or [""]:
        lines += [prefix + w for w in _wrap(line, 100 - len(prefix))]
    return lines


def _wrap(line: str, width: int) -> list[str]:
    """``textwrap.wrap`` by the columns a terminal shows: a Chinese character takes two, and
    a line may break between two of them (they have no spaces between)."""
    if line.isascii():
        return textwrap.wrap(line, width=width, subsequent_indent="  ") or [""]
    out, current, used = [], "", 0
    for token in re.findall(r"[\u2e80-\u9fff\uff00-\uffef]|[^\s\u2e80-\u9fff\uff00-\uffef]+|\s+", line):
        columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in token)
        if current.strip() and used + columns > width and not token.isspace():
            out.append(current.rstrip())
            current, used = "  ", 2
        if not (token.isspace() and current.strip() == ""):
            current, used = current + token, used + columns
    return out + [current.rstrip()] if current.strip() else out or [""]


def render(document: dict) -> str:
    """Plain text with click styles; ``click.echo`` drops the colours when not on a terminal."""
    lang = document.get("lang", "en")
    return "\n".join([*(render_exercise(exercise, lang) for exercise in document["exercises"]),
                      render_footer(document)])


def render_exercise(exercise: dict, lang: str = "en") -> str:
    """One exercise's block (its checks and total, and a blank line), as ``grade all`` prints
    it as soon as that exercise is graded."""
    out: list[str] = [click.style(f"{exercise['id']} — {said(exercise, 'title')}", bold=True)]
    width = max((len(c["id"]) for c in exercise["checks"]), default=10)
    for check in exercise["checks"]:
        label, colour = status_label(check["status"], lang)
        hidden = "  " + _("(hidden)").localize(lang) if check["visibility"] == "hidden" else ""
        out.append(f"  {click.style(f'{label:<5}', fg=colour, bold=True)} {check['id']:<{width}}  "
                   f"{points(check['score'], check['max_score']):>7}{hidden}")
        if check.get("output"):
            out += _indent(said(check, "output"), "        ")
        if check["status"] == "passed":
            continue
        if check.get("message"):
            out += _indent(said(check, "message"), "        ")
        if check.get("hint"):
            out += _indent(_("hint: {hint}", hint=said(check, "hint")).localize(lang), "        ")
        if check.get("reproduce"):  # never wrapped: it is copied and pasted whole
            out.append("        " + _("reproduce: {command}", command=check["reproduce"]).localize(lang))
    total = points(exercise["score"], exercise["max_score"])
    out.append(click.style("  " + _("total {points}", points=total).localize(lang), bold=True))
    if "hidden_checks" in exercise:  # a student release
        out.append(f"  {_hidden_line(exercise).localize(lang)}")
    out.append("")
    return "\n".join(out)


def render_footer(document: dict) -> str:
    """The overall total (several exercises) and the sandbox line."""
    lang = document.get("lang", "en")
    out = []
    if len(document["exercises"]) > 1:
        overall = points(document["score"], document["max_score"])
        out.append(click.style(_("overall {points}", points=overall).localize(lang), bold=True))
    layers = ", ".join(document.get("sandbox_layers", []))
    out.append(_("sandbox: {level} ({layers}) · seed {seed}", level=document["sandbox"], layers=layers,
                 seed=document["seed"]).localize(lang))
    return "\n".join(out)


def _hidden_line(exercise: dict) -> str:
    """``public: 8/8 passed · 5 hidden checks (30 points) run at final grading``."""
    checks = exercise["checks"]
    passed = sum(c["status"] == "passed" for c in checks)
    n, hidden_points = exercise["hidden_checks"], exercise.get("hidden_points", 0)
    if n == 1:
        hidden = _("1 hidden check ({points:g} points) run at final grading", points=hidden_points)
    elif n:
        hidden = _("{n} hidden checks ({points:g} points) run at final grading", n=n, points=hidden_points)
    else:
        hidden = _("no hidden checks")
    return _("public: {passed}/{total} passed · {hidden}", passed=passed, total=len(checks), hidden=hidden)
