"""Cheat 6: a conftest that turns every failure into a pass (if the grader ever loaded it)."""
import os
import tempfile

import pytest

open(os.path.join(tempfile.gettempdir(), "torchgrade-cheat6-ran-conftest"), "w").write("ran")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
    report.longrepr = None


def pytest_collection_modifyitems(config, items):
    items[:] = []
