"""The report's plots: matplotlib figures as inline SVG (the ``report`` extra).

Text stays text in the SVG (``svg.fonttype: none``), ids are stable between runs, and every
plot is shown beside a table of the same numbers by the report: the plot is for the eye,
the table for everyone (screen readers, copy and paste).
"""
from __future__ import annotations

import io
from typing import Sequence


def available() -> bool:
    """Whether matplotlib is installed (``pip install 'torchgrade[report]'``)."""
    import importlib.util
    return importlib.util.find_spec("matplotlib") is not None


def _figure(width: float, height: float):
    import matplotlib
    matplotlib.use("Agg", force=True)
    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "torchgrade", "font.size": 9,
                                "axes.spines.top": False, "axes.spines.right": False})
    from matplotlib.figure import Figure
    return Figure(figsize=(width, height), layout="constrained")


def _svg(figure, label: str) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    return text.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


def histogram(edges: Sequence[float], counts: Sequence[int], *, label: str) -> str:
    """Scores of one exercise: students per score band."""
    figure = _figure(4.6, 2.2)
    axes = figure.add_subplot()
    widths = [b - a for a, b in zip(edges, edges[1:])]
    axes.bar(edges[:-1], counts, width=widths, align="edge", color="#4878a8", edgecolor="white")
    axes.set_xlabel("score")
    axes.set_ylabel("students")
    axes.set_xlim(edges[0], edges[-1])
    axes.yaxis.get_major_locator().set_params(integer=True)
    return _svg(figure, label)


def check_times(names: Sequence[str], medians: Sequence[float], p90s: Sequence[float], *, label: str) -> str:
    """Time per check across the class: the median (bar) and the 90th percentile (tick)."""
    figure = _figure(4.6, 0.6 + 0.2 * len(names))
    axes = figure.add_subplot()
    rows = range(len(names))
    axes.barh(rows, medians, color="#7aa874", label="median")
    axes.scatter(p90s, rows, marker="|", s=120, color="#333333", label="90th percentile", zorder=3)
    axes.set_yticks(list(rows), labels=list(names))
    axes.invert_yaxis()
    axes.set_xlabel("seconds per submission")
    figure.legend(loc="outside upper right", ncols=2, frameon=False)
    return _svg(figure, label)
