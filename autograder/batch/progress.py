"""What the TA sees while a batch runs: a progress line with counts and ETA on a terminal,
one plain line per result otherwise (a log, CI)."""
from __future__ import annotations

import sys
import time
from typing import TextIO

# graded: this run; unchanged: the grade-book had it; failed: not gradable (a zip bomb, an
# unreadable module); errors: the grader itself failed twice
KINDS = ("graded", "unchanged", "failed", "errors")


class Progress:
    def __init__(self, total: int, *, stream: TextIO | None = None, terminal: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.terminal = self.stream.isatty() if terminal is None else terminal
        self.total, self.done = total, 0
        self.counts = dict.fromkeys(KINDS, 0)
        self.start = time.monotonic()

    def count(self, kind: str, n: int = 1) -> None:
        """Results settled without grading (``unchanged``, ``failed``): counted, not timed."""
        self.counts[kind] += n

    def add(self, kind: str, line: str) -> None:
        """One result of this run's grading (``graded`` or ``errors``) described by ``line``."""
        self.done += 1
        self.counts[kind] += 1
        if self.terminal:
            self._draw()
        else:
            self.stream.write(f"[{self.done}/{self.total}] {line}\n")
            self.stream.flush()

    def say(self, line: str) -> None:
        """A line for the TA (a refused worker), above the progress line on a terminal."""
        if self.terminal:
            self.stream.write(f"\r\x1b[K{line}\n")
            self._draw()
        else:
            self.stream.write(f"{line}\n")
            self.stream.flush()

    def _draw(self) -> None:
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        elapsed = time.monotonic() - self.start
        eta = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        counts = " · ".join(f"{k} {v}" for k, v in self.counts.items())
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} · {counts} · "
                          f"ETA {_duration(eta)}   ")
        self.stream.flush()

    def finish(self) -> str:
        if self.terminal and self.total:
            self.stream.write("\n")
        counts = ", ".join(f"{v} {k}" for k, v in self.counts.items())
        return f"{counts} in {_duration(time.monotonic() - self.start)}"


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"
