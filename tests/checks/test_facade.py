"""``autograder.checks`` is the one module a suite imports from the grader, and it stays light."""
from __future__ import annotations

import ast
import subprocess
import sys

import autograder.checks as facade
from conftest import KIT


def test_suites_import_only_the_checks_facade():
    found = []
    for ex in KIT.exercises:
        path = KIT.suite_path(ex)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            module = (node.module if isinstance(node, ast.ImportFrom)
                      else node.names[0].name if isinstance(node, ast.Import) else None)
            if module and module.split(".")[0] == "autograder" and module != "autograder.checks":
                found.append(f"{path.name}:{node.lineno}: {module}")
    assert not found, "suites must import the grader only through autograder.checks:\n" + "\n".join(found)


def test_every_exported_name_resolves():
    missing = [name for name in facade.__all__ if getattr(facade, name, None) is None]
    assert not missing
    assert callable(facade.randn) and facade.weighted_sum.__module__ == "autograder.worker.drivers.vjp"


def test_importing_the_facade_does_not_import_torch():
    """exercise1 is graded without torch in the grader's process (it saves a 2 s import)."""
    code = "import sys, autograder.checks; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
