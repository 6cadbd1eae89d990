"""``grade EXERCISE --watch``: grade again on every save, with a warm grader.

The launcher (its zygote has imported torch), the suites (pytest imports them once; they
stay in ``sys.modules``) and this process stay up between runs.  Every run still gets fresh
workers forked from the zygote, so nothing of one run's student code survives into the next.

The exercise files are polled (modification time and size, every ``POLL_S``): no dependency
for one or a few files, and editors that save by writing a new file and renaming it over the
old one are seen like any other save, which inotify-based watchers must special-case.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Callable, Sequence

from autograder import api
from autograder.i18n import _
from autograder.kit import Kit
from autograder.sandbox.zygote import make_launcher

POLL_S = 0.2


def changes(before: dict | None, after: dict) -> dict[str, list[str]]:
    """Checks newly passing and newly failing (``exercise:check``) since ``before``."""
    if before is None:
        return {"passing": [], "failing": []}
    old = {(e["id"], c["id"]): c["status"] == "passed" for e in before["exercises"] for c in e["checks"]}
    found: dict[str, list[str]] = {"passing": [], "failing": []}
    for e in after["exercises"]:
        for c in e["checks"]:
            was, now = old.get((e["id"], c["id"])), c["status"] == "passed"
            if was is not None and was != now:
                found["passing" if now else "failing"].append(f"{e['id']}:{c['id']}")
    return found


def _stamp(plan: api.Plan) -> tuple:
    stamps = []
    for submission in plan.located.values():
        try:
            info = os.stat(submission.path)
            stamps.append((info.st_mtime_ns, info.st_size))
        except OSError:
            stamps.append(None)
    return tuple(stamps)


def watch(exercises: Sequence[str] | str, *, on_result: Callable[[dict, dict], None], submission: str | os.PathLike = ".",
          seed: int | None = None, pattern: str | None = None, sandbox: str = "auto", kit: Kit | None = None,
          runs: int | None = None, stop: threading.Event | None = None, poll_s: float = POLL_S,
          lang: str | None = None) -> None:
    """Grade now, then again after every change of the exercise files, calling
    ``on_result(document, changes(previous, document))``; until ``runs`` gradings (default:
    forever), ``stop`` is set, or Ctrl-C (``KeyboardInterrupt`` propagates)."""
    if Path(submission).suffix.lower() == ".zip":
        raise api.UsageError(_("--watch grades a folder (a .zip does not change under you)"))
    plan = api.prepare(exercises, submission=submission, seed=seed, sandbox=sandbox, kit=kit, lang=lang)
    launcher = make_launcher(plan.preload, sandbox=sandbox, submission_dirs=plan.mounted)
    try:
        previous, seen, done = None, None, 0
        while (runs is None or done < runs) and not (stop is not None and stop.is_set()):
            now = _stamp(plan)
            if now == seen:
                time.sleep(poll_s)
                continue
            seen = now  # taken before grading: a save during the run is graded next
            document = api.grade_with(launcher, plan, pattern=pattern)
            on_result(document, changes(previous, document))
            previous, done = document, done + 1
    finally:
        launcher.close()
