"""docs/graded-properties.md names real checks, and every check of every suite is in it."""
from __future__ import annotations

import ast
import re

from conftest import KIT

PAGE = KIT.root / "docs" / "graded-properties.md"


def _named_by_exercise() -> dict[str, set[str]]:
    named, current = {}, None
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        heading = re.fullmatch(r"## (exercise\d+)", line.strip())
        if heading:
            current = heading.group(1)
            named[current] = set()
        elif current and line.startswith("|") and not line.startswith(("| property", "|---")):
            checks_cell = line.rstrip().rstrip("|").rsplit("|", 1)[-1]
            named[current] |= set(re.findall(r"`(\w+)`", checks_cell))
    return named


def _checks(exercise) -> set[str]:
    tree = ast.parse(KIT.suite_path(exercise).read_text(encoding="utf-8"))
    return {node.name.removeprefix("test_") for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_every_check_is_in_the_table_and_every_name_is_a_check():
    named = _named_by_exercise()
    assert set(named) == {ex.id for ex in KIT.exercises}
    for ex in KIT.exercises:
        checks = _checks(ex)
        assert named[ex.id] - checks == set(), f"{ex.id}: the page names checks the suite does not have"
        assert checks - named[ex.id] == set(), f"{ex.id}: checks the page does not list"
