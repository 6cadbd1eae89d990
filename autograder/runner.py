"""Run the kit's own suites with pytest, in this (trusted) process, and build the report.

pytest is told to use the suites' own ini file and rootdir, to ignore every conftest.py
and the cache, and to import test modules without touching ``sys.path``, so nothing in a
submission's folder or the working directory can configure or join the run.
"""
from __future__ import annotations

import contextlib
import io
from typing import Any, Callable, Sequence

import pytest
from pytest_jsonreport.plugin import JSONReport

from autograder import registry, replay, report
from autograder.plugin import GradingPlugin
from autograder.references import load_reference
from autograder.registry import SUITES_DIR, Exercise
from autograder.sandbox import Session


def pytest_args(suites: Sequence[str], pattern: str | None) -> list[str]:
    # No plugin of whatever else is installed joins the run (the grader's own two are
    # passed in), and no unraisable-exception hook: its five gc.collect() passes over a heap
    # holding torch cost ≈0.6 s at the end of every run.
    args = [*suites, "-c", str(SUITES_DIR / "pytest.ini"), "--rootdir", str(SUITES_DIR),
            "--noconftest", "--import-mode=importlib", "--disable-plugin-autoload", "-p", "pytest_jsonreport.plugin",
            "-p", "no:cacheprovider", "-p", "no:unraisableexception", "-p", "no:threadexception",
            "-qq", "--tb=no", "--assert=plain", "--json-report-file=none"]
    if pattern:
        args += ["-k", pattern]
    return args


def run_suites(*, exercises: Sequence[Exercise], sessions: dict[str, Session], seed: int,
               pattern: str | None, reproduce: Callable[[str, str], str],
               references: Callable[[Exercise], Any] | None = None,
               sandbox: dict | Callable[[], dict] | None = None,
               suite_paths: dict[str, str] | None = None) -> dict:
    """``sandbox``: the isolation in force (``launcher.describe``, called after the run so
    that the zygote's start overlaps pytest's)."""
    if references is None:  # a student release replays recorded values (autograder.replay)
        references = replay.load_replay if registry.RELEASE else load_reference
    json_plugin = JSONReport()
    grading = GradingPlugin(exercises={ex.id: ex for ex in exercises}, sessions=sessions,
                            references=references, seed=seed, pattern=pattern)
    # pytest's own terminal output is not the product's: keep it, show it only if pytest failed.
    with contextlib.redirect_stdout(io.StringIO()) as output:
        suites = [str((suite_paths or {}).get(ex.id, ex.suite_path)) for ex in exercises]
        code = pytest.main(pytest_args(suites, pattern),
                           plugins=[json_plugin, grading])
    if json_plugin.report is None or code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
        raise report.SuiteError(f"pytest could not run the suites (exit code {int(code)}):\n{output.getvalue()}")
    if callable(sandbox):
        sandbox = sandbox()
    sandbox = sandbox or {"sandbox": "none", "sandbox_layers": ["process-split", "plain-data", "timeouts"]}
    return report.build(json_plugin.report, exercises=exercises, seed=seed, sandbox=sandbox,
                        reproduce=reproduce)
