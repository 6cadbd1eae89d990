"""The document as a notebook shows it: an HTML table (and the same as Markdown).

One row per check: status, check, points, and what to do (message, hint, reproduce command);
then the total.  Inline styles only, so it renders the same in Jupyter, VS Code and on GitHub,
and every text of the document is escaped (a message may quote student output).
"""
from __future__ import annotations

import html

from autograder.render.text import TAGS

COLOURS = {"green": "#1a7f37", "red": "#cf222e", "yellow": "#9a6700", "cyan": "#0969da"}


def _points(score: float, max_score: float) -> str:
    return f"{score:g}/{max_score:g}"


def _feedback_html(check: dict) -> str:
    parts = []
    if check.get("output"):
        parts.append(f"<pre style='margin:0'>{html.escape(check['output'])}</pre>")
    if check["status"] != "passed":
        if check.get("message"):
            parts.append(f"<pre style='margin:0;white-space:pre-wrap'>{html.escape(check['message'])}</pre>")
        if check.get("hint"):
            parts.append(f"<div><b>hint:</b> {html.escape(check['hint'])}</div>")
        if check.get("reproduce"):
            parts.append(f"<div>reproduce: <code>{html.escape(check['reproduce'])}</code></div>")
    return "".join(parts)


def render_html(document: dict) -> str:
    blocks = []
    for exercise in document["exercises"]:
        rows = []
        for check in exercise["checks"]:
            label, colour = TAGS.get(check["status"], (check["status"].upper(), "red"))
            hidden = " <i>(hidden)</i>" if check["visibility"] == "hidden" else ""
            rows.append(
                f"<tr><td style='color:{COLOURS.get(colour, colour)};font-weight:bold'>{label}</td>"
                f"<td><code>{html.escape(check['id'])}</code>{hidden}</td>"
                f"<td style='text-align:right'>{_points(check['score'], check['max_score'])}</td>"
                f"<td style='text-align:left'>{_feedback_html(check)}</td></tr>")
        total = _points(exercise["score"], exercise["max_score"])
        blocks.append(
            f"<h4>{html.escape(exercise['id'])} — {html.escape(exercise['title'])}</h4>"
            "<table><thead><tr><th>status</th><th>check</th><th>points</th><th>feedback</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody>"
            f"<tfoot><tr><td></td><td><b>total</b></td><td style='text-align:right'><b>{total}</b></td><td></td></tr>"
            "</tfoot></table>")
    if len(document["exercises"]) > 1:
        blocks.append(f"<p><b>overall {_points(document['score'], document['max_score'])}</b></p>")
    blocks.append(f"<p style='color:#57606a'>sandbox: {html.escape(document['sandbox'])} · seed {document['seed']}</p>")
    return "<div>" + "".join(blocks) + "</div>"


def _cell(text: str) -> str:
    return html.escape(text).replace("|", "\\|").replace("\n", "<br>")


def render_markdown(document: dict) -> str:
    lines = []
    for exercise in document["exercises"]:
        lines += [f"#### {exercise['id']} — {exercise['title']}", "",
                  "| status | check | points | feedback |", "|---|---|---:|---|"]
        for check in exercise["checks"]:
            label, _ = TAGS.get(check["status"], (check["status"].upper(), "red"))
            feedback = []
            if check["status"] != "passed":
                feedback += [check.get("message") or ""]
                if check.get("hint"):
                    feedback.append(f"hint: {check['hint']}")
                if check.get("reproduce"):
                    feedback.append(f"reproduce: {check['reproduce']}")
            hidden = " (hidden)" if check["visibility"] == "hidden" else ""
            lines.append(f"| **{label}** | `{check['id']}`{hidden} | {_points(check['score'], check['max_score'])} | "
                         f"{_cell(chr(10).join(f for f in feedback if f))} |")
        lines += [f"| | **total** | **{_points(exercise['score'], exercise['max_score'])}** | |", ""]
    return "\n".join(lines)
