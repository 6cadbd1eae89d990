"""What a student release makes public: the engine's files and the public part of each suite.

The public part of a suite has every ``@check(..., hidden=True)`` removed.  A check is a
top-level ``test_*`` function decorated with ``check(...)``; it is hidden when that call
says ``hidden=True`` (a literal, so that it can be read from the source).  The text of each
hidden check is cut out, everything else is kept byte for byte.
"""
from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from autograder.kit import Kit
from autograder.release import ReleaseError

# what of the package a student release does not get: the instructor-only packages, and
# the suites and recorded values, which are written apart
_NOT_SHIPPED = ("release", "batch", "suites", "recorded")


def engine_files(kit: Kit) -> list[Path]:
    """The engine's files, relative to the package, sorted."""
    files = []
    for path in sorted(kit.package_dir.rglob("*")):
        rel = path.relative_to(kit.package_dir)
        if not path.is_file() or "__pycache__" in rel.parts or path.suffix in (".pyc", ".pyo"):
            continue
        if rel.parts[0] in _NOT_SHIPPED:
            continue
        files.append(rel)
    return files


@dataclasses.dataclass(frozen=True)
class HiddenCheck:
    name: str  # the test function's name, e.g. "test_forward_other_sizes"
    points: float | None
    source: str  # its full text, decorators included


def _check_marker(node: ast.AST) -> ast.Call | None:
    for deco in getattr(node, "decorator_list", ()):
        if isinstance(deco, ast.Call):
            func = deco.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name == "check":
                return deco
    return None


def public_suite(source: str, *, filename: str) -> tuple[str, list[HiddenCheck]]:
    """The suite's source with every hidden check removed, and the checks removed.

    A check is a top-level ``test_*`` function decorated with ``check(...)``; it is hidden
    when that call says ``hidden=True``.  The text of each hidden check (its decorators and
    the comment lines directly above them) is cut out, with the blank lines that followed
    it; everything else is kept byte for byte.
    """
    tree = ast.parse(source, filename=filename)
    lines = source.splitlines(keepends=True)
    cut: list[tuple[int, int]] = []  # 0-based [start, end) line ranges
    hidden: list[HiddenCheck] = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not node.name.startswith("test_"):
            continue
        marker = _check_marker(node)
        if marker is None:
            continue
        flag = next((kw.value for kw in marker.keywords if kw.arg == "hidden"), None)
        if flag is not None and not (isinstance(flag, ast.Constant) and type(flag.value) is bool):
            raise ReleaseError(f"{filename}:{node.lineno}: {node.name}: hidden= must be a literal True or "
                               "False so that the release can tell public from hidden checks")
        if flag is None or flag.value is False:
            continue
        if node not in tree.body:
            raise ReleaseError(f"{filename}:{node.lineno}: hidden check {node.name} is not at the top level")
        start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
        while start > 0 and lines[start - 1].strip().startswith("#"):
            start -= 1
        end = node.end_lineno
        while end < len(lines) and not lines[end].strip():
            end += 1
        points = next((kw.value for kw in marker.keywords if kw.arg == "points"),
                      marker.args[0] if marker.args else None)
        value = points.value if isinstance(points, ast.Constant) else None
        cut.append((start, end))
        hidden.append(HiddenCheck(node.name, value, "".join(lines[start:node.end_lineno])))
    kept = [line for i, line in enumerate(lines) if not any(a <= i < b for a, b in cut)]
    text = "".join(kept).rstrip("\n") + "\n"
    remaining = ast.parse(text, filename=filename)  # still valid Python
    names = {n.id for n in ast.walk(remaining) if isinstance(n, ast.Name)} | \
            {n.name for n in ast.walk(remaining) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for h in hidden:
        if h.name in names:
            raise ReleaseError(f"{filename}: the public suite still refers to hidden check {h.name}")
    return text, sorted(hidden, key=lambda h: h.name)


def public_points(source: str) -> tuple[int, float]:
    """How many checks a (public) suite has, and their points."""
    count, points = 0, 0.0
    for node in ast.parse(source).body:
        marker = _check_marker(node) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
        if marker is not None and node.name.startswith("test_"):
            value = next((kw.value for kw in marker.keywords if kw.arg == "points"),
                         marker.args[0] if marker.args else None)
            count += 1
            points += value.value if isinstance(value, ast.Constant) else 0
    return count, points
