"""Run the kit's own suites with pytest, in this (trusted) process, and build the report.

pytest is told to use the suites' own ini file and rootdir, to ignore every conftest.py
and the cache, and to import test modules without touching ``sys.path``, so nothing in a
submission's folder or the working directory can configure or join the run.
"""
from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

import pytest
from pytest_jsonreport.plugin import JSONReport

from autograder.engine import report
from autograder.engine.plugin import GradingPlugin
from autograder.kit import Kit
from autograder.registry import Exercise
from autograder.sandbox.session import Session


def pytest_args(suites: Sequence[str], pattern: str | None, *, suites_dir: str) -> list[str]:
    # No plugin of whatever else is installed joins the run (the grader's own two are
    # passed in), and no unraisable-exception hook: its five gc.collect() passes over a heap
    # holding torch cost ≈0.6 s at the end of every run.
    args = [*suites, "-c", f"{suites_dir}/pytest.ini", "--rootdir", suites_dir,
            "--noconftest", "--import-mode=importlib", "--disable-plugin-autoload", "-p", "pytest_jsonreport.plugin",
            "-p", "no:cacheprovider", "-p", "no:unraisableexception", "-p", "no:threadexception",
            "-qq", "--tb=no", "--assert=plain", "--json-report-file=none"]
    if pattern:
        args += ["-k", pattern]
    return args


def run_suites(*, kit: Kit, exercises: Sequence[Exercise], sessions: dict[str, Session], seed: int,
               pattern: str | None, reproduce: Callable[[str, str], str],
               references: Callable[[Exercise], Any] | None = None,
               sandbox: dict | Callable[[], dict] | None = None,
               suite_paths: dict[str, str] | None = None,
               on_exercise: Callable[[dict], None] | None = None, lang: str = "en") -> dict:
    """Run the suites of ``exercises`` against ``sessions`` (exercise id -> the student's
    module in a worker) and return the canonical document.

    ``references``: what a check's ``reference`` fixture is (default: ``kit.references``,
    the solutions or a release's recorded values); ``sandbox``: the isolation in force
    (``launcher.describe``, called after the run so that the zygote's start overlaps
    pytest's); ``suite_paths``: suites other than the kit's (``grade release`` records the
    public suites); ``on_exercise``: called with each exercise's entry of the document as
    soon as its last check has run (the suites run one after the other), for output that
    shows each exercise when it is graded; ``lang``: the language the document speaks beside
    English (``autograder.i18n``)."""
    references = references or kit.references
    json_plugin = JSONReport()
    grading = GradingPlugin(exercises={ex.id: ex for ex in exercises}, sessions=sessions,
                            references=references, seed=seed, pattern=pattern, lang=lang)
    suites = [str((suite_paths or {}).get(ex.id, kit.suite_path(ex))) for ex in exercises]
    _forget_other_suites(suites)
    plugins: list = [json_plugin, grading]
    if on_exercise is not None:
        def entry(ex: Exercise, tests: list[dict]) -> dict:
            return report.exercise_entry(ex, report.checks_by_exercise(tests, reproduce).get(ex.id, []),
                                         kit.hidden_checks, lang=lang)
        plugins.append(_ExerciseDone({ex.id: ex for ex in exercises}, grading, entry, on_exercise))
    # pytest's own terminal output is not the product's: keep it, show it only if pytest failed.
    with contextlib.redirect_stdout(io.StringIO()) as output, contextlib.redirect_stderr(output):
        code = pytest.main(pytest_args(suites, pattern, suites_dir=str(kit.suites_dir)), plugins=plugins)
    if json_plugin.report is None or code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
        raise report.SuiteError(f"pytest could not run the suites (exit code {int(code)}):\n{output.getvalue()}")
    if callable(sandbox):
        sandbox = sandbox()
    sandbox = sandbox or {"sandbox": "none", "sandbox_layers": ["process-split", "plain-data", "timeouts"]}
    return report.build(json_plugin.report, exercises=exercises, seed=seed, sandbox=sandbox,
                        reproduce=reproduce, hidden_checks=kit.hidden_checks, lang=lang)


class _ExerciseDone:
    """Calls ``on_exercise(entry)`` when the last check of an exercise has finished, with the
    entry built from the verdicts so far exactly as the final document builds it."""

    def __init__(self, exercises: dict[str, Exercise], grading: GradingPlugin,
                 entry: Callable[[Exercise, list], dict], on_exercise: Callable[[dict], None]) -> None:
        self.exercises, self.grading, self.entry, self.on_exercise = exercises, grading, entry, on_exercise
        self.items: dict[str, list[str]] = {}  # exercise id -> its checks' node ids, in run order
        self.last: dict[str, str] = {}  # the node id of each exercise's last check -> the exercise id
        self.durations: dict[str, float] = {}

    def pytest_collection_finish(self, session: Any) -> None:
        for item in session.items:
            self.items.setdefault(item.path.stem, []).append(item.nodeid)
        self.last = {nodeids[-1]: ex for ex, nodeids in self.items.items() if ex in self.exercises}

    def pytest_runtest_logreport(self, report: Any) -> None:
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        exercise_id = self.last.get(nodeid)
        if exercise_id is not None:
            tests = [{"nodeid": n, "metadata": {"check": self.grading.verdicts[n]},
                      "call": {"duration": self.durations.get(n, 0.0)}}
                     for n in self.items[exercise_id] if n in self.grading.verdicts]
            self.on_exercise(self.entry(self.exercises[exercise_id], tests))


def _forget_other_suites(paths: Sequence[str]) -> None:
    """pytest's importlib mode reuses a test module already in ``sys.modules`` under the
    same name (``exercise1``): that is what makes a second grading in one process cheap, but
    a suite of another kit by that name (a test's kit, a staged public suite) must not
    stand in for this one."""
    for path in paths:
        cached = sys.modules.get(Path(path).stem)
        file = getattr(cached, "__file__", None)
        if cached is not None and (file is None or Path(file).resolve() != Path(path).resolve()):
            del sys.modules[Path(path).stem]