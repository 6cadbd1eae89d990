"""The progress display: a bar with counts and ETA on a terminal, plain lines in a log."""
from __future__ import annotations

import io

from autograder.batch.progress import Progress


def test_a_terminal_gets_one_redrawn_line_with_counts_and_eta():
    stream = io.StringIO()
    progress = Progress(4, stream=stream, terminal=True)
    progress.count("unchanged", 3)
    progress.add("graded", "alice exercise1: 100/100")
    progress.add("errors", "bob exercise1: the grader failed twice")
    text = stream.getvalue()
    assert text.count("\r") == 2 and "\n" not in text
    assert "2/4" in text and "graded 1 · unchanged 3 · failed 0 · errors 1 · ETA" in text
    assert progress.finish().startswith("1 graded, 3 unchanged, 0 failed, 1 errors in ")


def test_a_log_gets_one_line_per_result():
    stream = io.StringIO()
    progress = Progress(2, stream=stream, terminal=False)
    progress.add("graded", "alice exercise1: 100/100")
    assert stream.getvalue() == "[1/2] alice exercise1: 100/100\n"
