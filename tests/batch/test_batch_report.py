"""The instructor's report, as a person sees it: rendered by headless Chromium from the file
on disk, offline, and checked against the grade-book."""
from __future__ import annotations

import html.parser
import re
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

import pytest

from autograder.batch import plots, report
from autograder.batch.gradebook import Gradebook
from autograder.batch.lanes import InlineLanes
from autograder.batch.results import class_results
from autograder.batch.run import export_outputs, run_batch
from banks import CHEATS, copy_submission
from conftest import KIT

INDEPENDENT = Path(__file__).parent / "independent"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
MEAN_LOSS = "    return float(np.mean((y_pred - y) ** 2))\n"
SLEEP = "    import time\n    time.sleep(60)\n"


def _bodies():
    import importlib.util
    spec = importlib.util.spec_from_file_location("independent_bodies", INDEPENDENT / "bodies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_class(root: Path) -> Path:
    """Ten students of exercise1, all written independently but for one near-copy pair and two
    cheats (objects equal to anything; the public seed's answers, shipped)."""
    bodies = _bodies()
    stub = KIT.stub_path(KIT.find("exercise1")).read_text()
    subs = root / "subs"
    plan = {"s01": ("loops", None), "s02": ("functional", "loss"), "s03": ("cached", "loss"), "s04": ("matrix", None),
            "s06": ("verbose", "loss"), "s07": ("oop", "loss"), "s08": ("compact", "forward")}
    for student, (style, broken) in plan.items():
        if broken == "loss":  # the common mistake: a mean, not a sum
            bodies.STYLES[style] = dict(bodies.STYLES[style], loss=MEAN_LOSS)
        elif broken == "forward":  # never returns: times out
            bodies.STYLES[style] = dict(bodies.STYLES[style], forward=SLEEP + bodies.STYLES[style]["forward"])
        bodies.write(subs / student, stub, style)
    # s05 copied s04: renamed variables, new comments and layout, functions in another order
    source = (subs / "s04" / "exercises" / "exercise1_numpy_net.py").read_text()
    copy = source.replace("layer1", "hid").replace("delta2", "err_out").replace("delta1", "err_hid")
    copy = copy.replace("    mask = (n1 > 0)", "    # which units are on\n    mask = (n1 > 0)")
    head, _, rest = copy.partition("\ndef sgd_update")
    middle, _, tail = rest.partition("\ndef train")
    copy = head + "\ndef train" + tail.rstrip("\n") + "\n\n\ndef sgd_update" + middle
    (subs / "s05" / "exercises").mkdir(parents=True)
    (subs / "s05" / "exercises" / "exercise1_numpy_net.py").write_text(copy)
    shutil.copytree(copy_submission(CHEATS, "c01_always_equal", root / "bank"), subs / "s09")
    shutil.copytree(copy_submission(CHEATS, "c10_hardcoded", root / "bank"), subs / "s10")  # the public answers
    return subs


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    kit = KIT.with_exercise("exercise1", call_timeout=1.0)
    run_batch(build_class(root), out=root / "out", exercises=["exercise1"], kit=kit, lanes=InlineLanes(kit))
    return root / "out", kit


class _Tables(html.parser.HTMLParser):
    """The text of every cell of the tables with an id, and the page's svg count."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current: str | None = None
        self.cell: list[str] | None = None
        self.svgs = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg":
            self.svgs += 1
        if tag == "table" and attrs.get("id"):
            self.current = attrs["id"]
            self.tables[self.current] = []
        elif tag == "tr" and self.current:
            self.tables[self.current].append([])
        elif tag in ("td", "th") and self.current:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.current:
            self.tables[self.current][-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def test_the_report_in_a_browser(graded, tmp_path):
    out, kit = graded
    page = out / "report.html"
    source = page.read_text()
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', source), "the report must work offline"
    assert 'id="pending"' not in source
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium): the report was not opened")
    if not plots.available():
        pytest.skip("matplotlib is not installed (pip install 'torchgrade[report]'): the report has no plots")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={tempfile.mkdtemp()}", "--hide-scrollbars"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *flags, "--window-size=1280,2600", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.is_file() and shot.stat().st_size > 10_000, "no screenshot"
    tables = _Tables()
    tables.feed(dom)
    assert tables.svgs >= 2  # the histogram and the time per check, drawn by matplotlib
    # every student's scores are the grade-book's
    book = Gradebook.existing(out)
    results = {r.student: r for r in class_results(book, kit, 0)}
    book.close()
    students = tables.tables["student-table"]
    header = students[0]
    column = header.index("exercise1")
    rows = {row[0]: row for row in students[1:]}
    assert sorted(rows) == sorted(results)
    for student, row in rows.items():
        assert row[column] == f"{results[student].cells['exercise1'].score:g}", (student, row)
    scores = [r.cells["exercise1"].score for r in results.values()]
    overview = {row[0]: row for row in tables.tables["overview-table"][1:]}
    assert overview["exercise1"][2:5] == [f"{statistics.fmean(scores):g}", f"{statistics.median(scores):g}", "10"]
    slowest = re.search(r"Slowest submissions</h3><table>.*?<tbody><tr><td><a [^>]*>(\w+)</a>", dom, re.S).group(1)
    assert slowest == "s08"  # its forward() never returns: every check that calls it waits out its limit
    # the common mistake is listed first, with its share of the class
    first = re.search(r'<ul id="first-look-list">(.*?)</ul>', dom, re.S).group(1)
    assert "Most common known mistake: <b>40 %</b>" in first and "you averaged" in first
    mistakes = re.search(r"Known mistakes, most frequent first</h3><table>.*?<tbody><tr>(.*?)</tr>", dom, re.S).group(1)
    assert "40 %" in mistakes and "you averaged" in mistakes
    # the near-copies are paired, the independent solutions are not
    pairs = set(re.findall(r'data-pair="(\S+) (\S+)"', dom))
    assert pairs == {("s04", "s05")}, pairs
    # the flags: the timeout and the cheat, each with a sentence
    flagged = {(row[0], row[2]) for row in tables.tables["flag-table"][1:]}
    assert {("s08", "timed out"), ("s09", "returned a non-data object"),
            ("s10", "hard-coded for the public inputs?")} <= flagged, flagged
    assert {row[0] for row in tables.tables["flag-table"][1:]} == {"s08", "s09", "s10"}
    assert all(len(row[4]) > 20 for row in tables.tables["flag-table"][1:])
    # only the exercise this batch graded has a column
    assert header == ["student", "exercise1", "total", "flags"]


def test_gradings_of_another_kit_version_are_said_at_the_top(graded, tmp_path):
    """``grade batch report`` after a suite was edited: the old gradings no longer count, and the
    page says so first instead of showing an empty class."""
    out, _ = graded
    shutil.copytree(out, tmp_path / "out")
    export_outputs(tmp_path / "out", kit=KIT, report_only=True)  # KIT's exercise1 has other time limits
    page = (tmp_path / "out" / "report.html").read_text()
    assert re.search(r'<p class="flag" id="pending">80 of 80 gradings are pending: .*another version of the kit', page)


def test_without_matplotlib_every_number_is_still_there(graded, monkeypatch):
    out, kit = graded
    book = Gradebook.existing(out)
    results = class_results(book, kit, 0)
    sources = {ex.id: book.sources(ex.id) for ex in kit.exercises}
    book.close()
    from autograder.batch.summary import summarize
    summary = summarize(results, kit, sources=sources)
    monkeypatch.setattr(plots, "available", lambda: False)
    page = report.render(results, summary, kit, sources)
    assert "<svg" not in page and "Plots need matplotlib" in page
    assert "<td>0–10</td><td class=\"n\">1</td>" in page  # the histogram's numbers, as a table
