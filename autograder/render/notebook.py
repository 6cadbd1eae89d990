"""The document as a notebook shows it: an HTML table (and the same as Markdown).

One row per check: status, check, points, and what to do (message, hint, reproduce command);
then the total.  Inline styles only, so it renders the same in Jupyter, VS Code and on GitHub,
and every text of the document is escaped (a message may quote student output).
"""
from __future__ import annotations

import html

from autograder.i18n import N_, _, said
from autograder.render.text import points, status_label

COLOURS = {"green": "#1a7f37", "red": "#cf222e", "yellow": "#9a6700", "cyan": "#0969da"}


def _feedback_html(check: dict, lang: str) -> str:
    parts = []
    if check.get("output"):
        parts.append(f"<pre style='margin:0'>{html.escape(said(check, 'output'))}</pre>")
    if check["status"] != "passed":
        if check.get("message"):
            parts.append(f"<pre style='margin:0;white-space:pre-wrap'>{html.escape(said(check, 'message'))}</pre>")
        if check.get("hint"):
            label = html.escape(_("hint:").localize(lang))
            parts.append(f"<div><b>{label}</b> {html.escape(said(check, 'hint'))}</div>")
        if check.get("reproduce"):
            label = html.escape(_("reproduce:").localize(lang))
            parts.append(f"<div>{label} <code>{html.escape(check['reproduce'])}</code></div>")
    return "".join(parts)


def render_html(document: dict) -> str:
    lang = document.get("lang", "en")
    blocks = []
    for exercise in document["exercises"]:
        rows = []
        for check in exercise["checks"]:
            label, colour = status_label(check["status"], lang)
            hidden = (" <i>" + html.escape(_("(hidden)").localize(lang)) + "</i>"
                      if check["visibility"] == "hidden" else "")
            rows.append(
                f"<tr><td style='color:{COLOURS.get(colour, colour)};font-weight:bold'>{label}</td>"
                f"<td><code>{html.escape(check['id'])}</code>{hidden}</td>"
                f"<td style='text-align:right'>{points(check['score'], check['max_score'])}</td>"
                f"<td style='text-align:left'>{_feedback_html(check, lang)}</td></tr>")
        total = points(exercise["score"], exercise["max_score"])
        head = "".join("<th>" + html.escape(_(h).localize(lang)) + "</th>" for h in _HEADINGS)
        total_label = html.escape(_("total").localize(lang))
        blocks.append(
            f"<h4>{html.escape(exercise['id'])} — {html.escape(said(exercise, 'title'))}</h4>"
            f"<table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody>"
            f"<tfoot><tr><td></td><td><b>{total_label}</b></td>"
            f"<td style='text-align:right'><b>{total}</b></td><td></td></tr></tfoot></table>")
    if len(document["exercises"]) > 1:
        overall = _("overall {points}", points=points(document["score"], document["max_score"])).localize(lang)
        blocks.append(f"<p><b>{html.escape(overall)}</b></p>")
    footer = _("sandbox: {level} · seed {seed}", level=document["sandbox"], seed=document["seed"]).localize(lang)
    blocks.append(f"<p style='color:#57606a'>{html.escape(footer)}</p>")
    return "<div>" + "".join(blocks) + "</div>"


_HEADINGS = (N_("status"), N_("check"), N_("points"), N_("feedback"))


def _cell(text: str) -> str:
    return html.escape(text).replace("|", "\\|").replace("\n", "<br>")


def render_markdown(document: dict) -> str:
    lang = document.get("lang", "en")
    lines = []
    for exercise in document["exercises"]:
        head = " | ".join(_(h).localize(lang) for h in _HEADINGS)
        lines += [f"#### {exercise['id']} — {said(exercise, 'title')}", "", f"| {head} |", "|---|---|---:|---|"]
        for check in exercise["checks"]:
            label, _colour = status_label(check["status"], lang)
            feedback = []
            if check["status"] != "passed":
                feedback += [said(check, "message")]
                if check.get("hint"):
                    feedback.append(_("hint: {hint}", hint=said(check, "hint")).localize(lang))
                if check.get("reproduce"):
                    feedback.append(_("reproduce: {command}", command=check["reproduce"]).localize(lang))
            hidden = " " + _("(hidden)").localize(lang) if check["visibility"] == "hidden" else ""
            lines.append(f"| **{label}** | `{check['id']}`{hidden} | {points(check['score'], check['max_score'])} | "
                         f"{_cell(chr(10).join(f for f in feedback if f))} |")
        total = _("total").localize(lang)
        lines += [f"| | **{total}** | **{points(exercise['score'], exercise['max_score'])}** | |", ""]
    return "\n".join(lines)
