"""Static facts about a student's source, read from its AST (never by running it)."""
from __future__ import annotations

import ast


def imports(tree: ast.Module) -> list[tuple[str, int]]:
    """Top-level package names imported anywhere in the module, with their line numbers.

    ``__import__("torch")`` and ``importlib.import_module("torch")`` with a literal name
    count too.
    """
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name.split(".")[0], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module.split(".")[0], node.lineno))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and _callee(node.func) in ("__import__", "import_module"):
            found.append((node.args[0].value.split(".")[0], node.lineno))
    return sorted(found, key=lambda item: item[1])


def _callee(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None
