"""The plugin's pieces that need no pytest run (the run itself: test_runner.py)."""
from __future__ import annotations

import types

from autograder.checks.marker import MARKER, check, check_id
from autograder.engine.plugin import hidden_seed


def test_hidden_seeds_are_deterministic_distinct_and_secret_looking():
    seeds = {hidden_seed(0, "exercise1", c) for c in ("forward", "backward", "train")}
    assert len(seeds) == 3 and 0 not in seeds
    assert hidden_seed(0, "exercise1", "forward") == hidden_seed(0, "exercise1", "forward")
    assert hidden_seed(0, "exercise1", "forward") != hidden_seed(1, "exercise1", "forward")
    assert hidden_seed(0, "exercise1", "forward") != hidden_seed(0, "exercise2", "forward")
    assert all(0 <= s < 2**32 for s in seeds)


def test_the_marker_records_points_visibility_hint_and_timeout():
    mark = check(points=5, hidden=True, hint="h", timeout=30).mark
    assert mark.name == MARKER
    assert mark.kwargs == {"points": 5, "visibility": "hidden", "hint": "h", "timeout": 30}
    assert check(1).mark.kwargs["visibility"] == "visible"
    assert check_id(types.SimpleNamespace(name="test_forward_other_sizes")) == "forward_other_sizes"
