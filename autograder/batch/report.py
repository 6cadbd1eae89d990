"""``DIR/report.html``: the class at a glance, one self-contained page for the instructor.

Everything is inline (styles, the table-sorting script, the plots as SVG): the file opens
from the disk, offline, with no server.  It shows, from ``summary.json``'s numbers:

* each exercise: a histogram of scores with the mean and median, who did not attempt it,
  per-check pass rates hardest first, the most frequent known mistakes with their share of
  the class, and the time each check took;
* every student: per-exercise scores, the total and flags, sortable, each linked to the
  student's feedback file;
* the flagged submissions, each with a sentence why; what could not be graded;
* look-alike submissions: pairs and clusters of near-identical code, side by side with the
  matching lines marked ("similar, worth a look": never a verdict).

Plots need matplotlib (``torchgrade[report]``); without it the page keeps every table and
says so.
"""
from __future__ import annotations

import html
import re
import time
from pathlib import Path

from autograder.batch import plots
from autograder.batch.results import StudentResult
from autograder.kit import Kit

MAX_PAIRS = 50  # look-alike pairs shown side by side per exercise (the groups name everyone)
FLAG_NAMES = {"timeout": "timed out", "crash": "crashed", "out-of-memory": "out of memory",
              "forbidden-api": "used a forbidden API", "sandbox": "refused by the sandbox",
              "hard-coded": "hard-coded for the public inputs?", "fake-result": "returned a non-data object"}

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 0 1.2em 3em; color: #1d1d1f; }
h1 { margin-bottom: .2em; } h2 { margin-top: 2.2em; border-bottom: 2px solid #ddd; } h3 { margin-bottom: .4em; }
nav a { margin-right: 1em; } .muted { color: #666; } .big { font-size: 1.25em; }
table { border-collapse: collapse; margin: .5em 0 1em; } th, td { padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f2f2f4; } tr:nth-child(even) td { background: #fafafa; } td.n, th.n { text-align: right; }
table.sortable th { cursor: pointer; } table.sortable th:after { content: " ⇅"; color: #aaa; }
.grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1.5em; align-items: start; }
.bar { display: inline-block; height: .7em; background: #d9534f; vertical-align: middle; }
.ok { color: #2e7d32; } .bad { color: #c62828; } .flag { background: #fff3cd; padding: 0 .3em; border-radius: 3px; }
pre { font-size: 12px; background: #f7f7f9; padding: .5em; overflow: auto; max-height: 42em; margin: 0; }
pre .same { background: #fde9b6; display: block; } details { margin: .4em 0 1em; }
.pair { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: .6em; }
"""

SORT_SCRIPT = """
document.querySelectorAll("table.sortable th").forEach(function (th, column) {
  th.addEventListener("click", function () {
    var body = th.closest("table").tBodies[0], rows = Array.from(body.rows);
    var down = th.dataset.order !== "down";
    th.dataset.order = down ? "down" : "up";
    rows.sort(function (a, b) {
      var x = a.cells[column].dataset.v || a.cells[column].textContent, y = b.cells[column].dataset.v || b.cells[column].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return down ? -c : c;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
"""


def write_report(out: Path, results: list[StudentResult], summary: dict, kit: Kit,
                 sources: dict[str, dict[str, str]] | None = None) -> Path:
    path = out / "report.html"
    path.write_text(render(results, summary, kit, sources or {}), encoding="utf-8")
    return path


def render(results: list[StudentResult], summary: dict, kit: Kit, sources: dict[str, dict[str, str]]) -> str:
    counts = summary["students"]
    with_plots = plots.available()
    shown = _in_batch(results, kit)
    parts = [f"<h1>Class report</h1><p class=\"muted\">{counts['total']} students · generated "
             f"{time.strftime('%Y-%m-%d %H:%M')} by torchgrade</p>",
             "<nav>" + "".join(f'<a href="#{ex.id}">{ex.id}</a>' for ex in shown if summary["exercises"][ex.id]["scored"])
             + '<a href="#students">students</a><a href="#flags">flags</a><a href="#look-alikes">look-alikes</a></nav>',
             _pending(results, shown), _first_look(summary, shown), _overview(summary, kit, shown)]
    if not with_plots:
        parts.append('<p class="flag">Plots need matplotlib: <code>pip install "torchgrade[report]"</code>. '
                     "Every number is in the tables below.</p>")
    for ex in shown:
        if summary["exercises"][ex.id]["scored"]:
            parts.append(_exercise(ex, summary["exercises"][ex.id], with_plots))
    parts += [_students(results, shown), _flags(summary), _not_graded(summary), _look_alikes(summary, shown, sources),
              _roster(summary)]
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Class report</title>"
            f"<style>{STYLE}</style></head><body>{''.join(parts)}<script>{SORT_SCRIPT}</script></body></html>\n")


def _in_batch(results: list[StudentResult], kit: Kit) -> list:
    """The exercises this batch graded (``--exercises``): the others would be empty columns."""
    shown = [ex for ex in kit.exercises if any(r.cells[ex.id].state in ("graded", "error") or
                                               (r.cells[ex.id].state == "failed" and not r.problem) for r in results)]
    return shown or list(kit.exercises)


def _pending(results: list[StudentResult], shown: list) -> str:
    """Gradings this kit does not have yet, said at the top: an edited suite makes them stale."""
    cells = [r.cells[ex.id] for r in results for ex in shown]
    waiting = sum(c.state == "pending" for c in cells)
    if not waiting:
        return ""
    return (f"<p class=\"flag\" id=\"pending\">{waiting} of {len(cells)} gradings are pending: not graded yet, or "
            "graded by another version of the kit (an edited suite or solution), so left out of every number below. "
            "<code>grade batch SUBMISSIONS --out DIR</code> grades them; <code>grade batch status DIR</code> "
            "counts them.</p>")


def _e(value) -> str:
    return html.escape(str(value))


def _hint(text: str) -> str:
    """A hint as students see it: ``*word*`` is emphasis, ``code`` is code."""
    text = re.sub(r"\*([^*\s][^*]*?)\*", r"<em>\1</em>", _e(text))
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)


def _pct(share: float) -> str:
    return f"{100 * share:.0f} %"


def _num(value) -> str:
    return "–" if value is None else f"{value:g}"


def _first_look(summary: dict, shown: list) -> str:
    """What a teacher reads first: what to re-teach, the commonest mistake, what to look at."""
    checks = [(c["pass_rate"], ex.id, c) for ex in shown for c in summary["exercises"][ex.id]["checks"]
              if c["total"] and c["visibility"] == "visible"]
    mistakes = [(m["share"], ex.id, m) for ex in shown for m in summary["exercises"][ex.id]["known_mistakes"]]
    pairs = sum(len((summary["exercises"][ex.id].get("look_alikes") or {}).get("pairs", [])) for ex in shown)
    flagged = len({f["student"] for f in summary["flags"]})
    items = []
    if checks:
        rate, ex, c = min(checks, key=lambda t: (t[0], t[1]))
        items.append(f"<li>Hardest check: <b>{_e(ex)} · {_e(c['id'])}</b>, passed by {_pct(rate)} of the class.</li>")
    if mistakes:
        share, ex, m = max(mistakes, key=lambda t: (t[0], t[1]))
        items.append(f"<li>Most common known mistake: <b>{_pct(share)}</b> of the class in {_e(ex)}: "
                     f"“{_hint(m['hint'])}”</li>")
    items.append(f"<li><a href=\"#flags\">{flagged} student{'s' if flagged != 1 else ''} flagged</a> "
                 f"(timeouts, crashes, cheat attempts); <a href=\"#look-alikes\">{pairs} look-alike "
                 f"pair{'s' if pairs != 1 else ''}</a> worth a look.</li>")
    return f"<h2 id=\"first-look\">Look here first</h2><ul id=\"first-look-list\">{''.join(items)}</ul>"


def _overview(summary: dict, kit: Kit, shown: list) -> str:
    rows = "".join(
        f"<tr><td>{_link(ex.id, summary['exercises'][ex.id])}</td><td>{_e(ex.title)}</td><td class=\"n\">{_num(e['mean'])}</td>"
        f"<td class=\"n\">{_num(e['median'])}</td><td class=\"n\">{e['scored']}</td><td class=\"n\">{e['not_attempted']}</td>"
        f"<td>{_hint(e['known_mistakes'][0]['hint'][:90]) + ' (' + _pct(e['known_mistakes'][0]['share']) + ')' if e['known_mistakes'] else ''}</td></tr>"
        for ex in shown for e in [summary["exercises"][ex.id]])
    left = [ex.id for ex in kit.exercises if ex not in shown]
    note = f"<p class=\"muted\">Not in this batch: {', '.join(left)}.</p>" if left else ""
    return ("<h2 id=\"overview\">At a glance</h2><table id=\"overview-table\"><thead><tr><th>exercise</th><th>title</th><th class=\"n\">mean</th>"
            "<th class=\"n\">median</th><th class=\"n\">scored</th><th class=\"n\">not attempted</th>"
            f"<th>most frequent known mistake</th></tr></thead><tbody>{rows}</tbody></table>{note}")


def _link(exercise: str, data: dict) -> str:
    return f'<a href="#{exercise}">{exercise}</a>' if data["scored"] else exercise


def _exercise(ex, data: dict, with_plots: bool) -> str:
    head = (f"<h2 id=\"{ex.id}\">{ex.id} — {_e(ex.title)}</h2><p class=\"big\">mean <b>{_num(data['mean'])}</b>, "
            f"median <b>{_num(data['median'])}</b> of {ex.max_score} · {data['scored']} scored · "
            f"{data['not_attempted']} did not attempt it</p>")
    edges, counts = data["histogram"]["edges"], data["histogram"]["counts"]
    table = "".join(f"<tr><td>{_num(a)}–{_num(b)}</td><td class=\"n\">{c}</td></tr>"
                    for a, b, c in zip(edges, edges[1:], counts))
    figure = plots.histogram(edges, counts, label=f"score histogram of {ex.id}") if with_plots and data["scored"] else ""
    scores = (f"<div class=\"grid\"><figure>{figure}<figcaption>Scores of {ex.id}</figcaption></figure>"
              f"<table><thead><tr><th>score</th><th class=\"n\">students</th></tr></thead><tbody>{table}</tbody></table></div>")
    checks = "".join(
        f"<tr><td>{_e(c['id'])}</td><td class=\"n\">{_num(c['points'])}</td><td>{_e(c['visibility'])}</td>"
        f"<td class=\"n\" data-v=\"{c['pass_rate']}\">{_pct(c['pass_rate'])}</td>"
        f"<td><span class=\"bar\" style=\"width:{round(120 * (1 - c['pass_rate']))}px\"></span></td>"
        f"<td class=\"n\">{c['passed']}/{c['total']}</td></tr>" for c in data["checks"])
    rates = ("<h3>Checks, hardest first</h3><table class=\"sortable\"><thead><tr><th>check</th><th class=\"n\">points</th>"
             "<th>visibility</th><th class=\"n\">pass rate</th><th>failed</th><th class=\"n\">passed</th></tr></thead>"
             f"<tbody>{checks}</tbody></table>")
    mistakes = "".join(f"<tr><td class=\"n\">{_pct(m['share'])}</td><td class=\"n\">{m['count']}</td><td>{_hint(m['hint'])}</td></tr>"
                       for m in data["known_mistakes"])
    known = ("<h3>Known mistakes, most frequent first</h3>" + (
        f"<table><thead><tr><th class=\"n\">of the class</th><th class=\"n\">students</th><th>hint shown</th></tr></thead>"
        f"<tbody>{mistakes}</tbody></table>" if mistakes else "<p class=\"muted\">none recognised</p>"))
    timed = data["checks"]
    time_rows = "".join(f"<tr><td>{_e(c['id'])}</td><td class=\"n\">{c['time_s']['median']:.3f}</td>"
                        f"<td class=\"n\">{c['time_s']['p90']:.3f}</td><td class=\"n\">{c['time_s']['max']:.3f}</td></tr>"
                        for c in timed)
    figure = (plots.check_times([c["id"] for c in timed], [c["time_s"]["median"] for c in timed],
                                [c["time_s"]["p90"] for c in timed], label=f"time per check of {ex.id}")
              if with_plots and timed else "")
    times = ("<h3>Time per check</h3><div class=\"grid\"><figure>" + figure + "</figure>"
             "<table><thead><tr><th>check</th><th class=\"n\">median s</th><th class=\"n\">90 % s</th>"
             f"<th class=\"n\">max s</th></tr></thead><tbody>{time_rows}</tbody></table></div>") if timed else ""
    slow = "".join(f"<tr><td><a href=\"feedback/{_e(s['student'])}.txt\">{_e(s['student'])}</a></td>"
                   f"<td class=\"n\">{s['duration_s']:.2f}</td></tr>" for s in data["slowest"])
    slowest = ("<h3>Slowest submissions</h3><table><thead><tr><th>student</th><th class=\"n\">seconds to grade</th>"
               f"</tr></thead><tbody>{slow}</tbody></table>") if slow else ""
    return f"<section>{head}{scores}{rates}{known}{times}{slowest}</section>"


def _students(results: list[StudentResult], shown: list) -> str:
    from autograder.batch.summary import flags
    head = "".join(f"<th class=\"n\">{ex.id}</th>" for ex in shown)
    rows = []
    for r in results:
        cells = "".join(f"<td class=\"n\" data-v=\"{'' if c.score is None else c.score}\">"
                        f"{'' if c.score is None else _num(c.score)}{'' if c.state != 'error' else ' <span class=flag>error</span>'}</td>"
                        for c in (r.cells[ex.id] for ex in shown))
        found = flags(r)
        marks = ", ".join(sorted({FLAG_NAMES[f["kind"]] for f in found}))
        problem = f" <span class=\"flag\">{_e(r.problem)}</span>" if r.problem else ""
        rows.append(f"<tr><td><a href=\"feedback/{_e(r.student)}.txt\">{_e(r.student)}</a>{problem}</td>{cells}"
                    f"<td class=\"n\">{_num(r.total)}</td><td>{_e(marks)}</td></tr>")
    return ("<h2 id=\"students\">Students</h2><p class=\"muted\">Click a column to sort; a name opens the feedback the "
            f"student gets.</p><table class=\"sortable\" id=\"student-table\"><thead><tr><th>student</th>{head}"
            f"<th class=\"n\">total</th><th>flags</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _flags(summary: dict) -> str:
    rows = "".join(f"<tr><td><a href=\"feedback/{_e(f['student'])}.txt\">{_e(f['student'])}</a></td>"
                   f"<td>{_e(f['exercise'])}</td><td><span class=\"flag\">{_e(FLAG_NAMES[f['kind']])}</span></td>"
                   f"<td>{_e(', '.join(f['checks']))}</td><td>{_e(f['why'])}</td></tr>" for f in summary["flags"])
    body = (f"<table class=\"sortable\" id=\"flag-table\"><thead><tr><th>student</th><th>exercise</th><th>what</th>"
            f"<th>checks</th><th>why (the first check's message)</th></tr></thead><tbody>{rows}</tbody></table>"
            ) if rows else "<p>Nothing flagged.</p>"
    return f"<h2 id=\"flags\">Flagged submissions</h2>{body}"


def _not_graded(summary: dict) -> str:
    if not summary["not_graded"]:
        return ""
    rows = "".join(f"<tr><td>{_e(n['student'])}</td><td>{_e(n['exercise'])}</td><td>{_e(n['state'])}</td>"
                   f"<td>{_e(_last_line(n['why']))}</td></tr>" for n in summary["not_graded"])
    return ("<h2 id=\"not-graded\">Not graded</h2><table><thead><tr><th>student</th><th>exercise</th><th>state</th>"
            f"<th>why</th></tr></thead><tbody>{rows}</tbody></table>")


def _look_alikes(summary: dict, shown: list, sources: dict[str, dict[str, str]]) -> str:
    parts = ["<h2 id=\"look-alikes\">Look-alike submissions</h2><p>Code that is near-identical once names, layout, "
             "comments and the order of functions are set aside; the stub every student starts from does not count. "
             "Similar, worth a look — not a verdict: two students may have followed the same notes.</p>"]
    pairs_shown = 0
    for ex in shown:
        data = summary["exercises"][ex.id].get("look_alikes")
        if not data or not data["pairs"]:
            continue
        parts.append(f"<h3>{ex.id}</h3><p class=\"muted\">{data['compared']} submissions compared; pairs with at least "
                     f"{_pct(data['threshold'])} of their code in common.</p>")
        if any(len(c) > 2 for c in data["clusters"]):
            parts.append("<p>Groups: " + "; ".join(", ".join(_e(s) for s in c) for c in data["clusters"] if len(c) > 2)
                         + "</p>")
        code = sources.get(ex.id, {})
        if len(data["pairs"]) > MAX_PAIRS:
            parts.append(f"<p>The {MAX_PAIRS} most similar of {len(data['pairs'])} pairs; every pair is in "
                         "<code>summary.json</code>.</p>")
        for pair in data["pairs"][:MAX_PAIRS]:
            # the first pair starts open: the page shows what "side by side" means without a click
            parts.append(f"<details class=\"look-alike\"{'' if pairs_shown else ' open'} data-pair=\"{_e(pair['a'])} {_e(pair['b'])}\"><summary>"
                         f"<b>{_e(pair['a'])}</b> and <b>{_e(pair['b'])}</b>: {_pct(pair['similarity'])} similar, "
                         "worth a look</summary><div class=\"pair\">"
                         f"{_code(pair['a'], code.get(pair['a'], ''), pair['lines_a'])}"
                         f"{_code(pair['b'], code.get(pair['b'], ''), pair['lines_b'])}</div></details>")
            pairs_shown += 1
    if not pairs_shown:
        parts.append("<p>No look-alike submissions.</p>")
    return "".join(parts)


def _code(student: str, source: str, regions: list) -> str:
    marked = {n for a, b in regions for n in range(a, b + 1)}
    lines = "".join(f"<span class=\"same\">{_e(line) or ' '}</span>" if n in marked else _e(line) + "\n"
                    for n, line in enumerate(source.splitlines(), start=1))
    return f"<div><b>{_e(student)}</b><pre>{lines}</pre></div>"


def _roster(summary: dict) -> str:
    roster = summary.get("roster")
    if not roster or not (roster["not_in_roster"] or roster["no_submission"]):
        return ""
    return (f"<h2 id=\"roster\">Roster</h2><p>Not in the roster: {_e(', '.join(roster['not_in_roster']) or 'none')}.</p>"
            f"<p>In the roster without a submission: {_e(', '.join(roster['no_submission']) or 'none')}.</p>")


def _last_line(text: str | None) -> str:
    """A reason's last line (a traceback's: the exception)."""
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else ""
