"""Static facts about a student's source, read from its AST (never by running it).

* ``imports``: the packages a module imports (exercise1 is numpy only).
* ``analyse``: where a module reaches a forbidden torch built-in.  A forbidden name is an
  exact torch name (case-sensitive: the student's own ``Conv2D`` class is fine) reached
  from something imported from torch (``F.conv2d``, ``torch.nn.functional.conv2d``,
  ``from torch.nn.functional import conv2d as c``, ``fn = F.conv2d`` then ``fn(...)``), or a
  string that folds to such a name (``getattr(F, "conv" + "2d")``, f-strings,
  ``"".join([...])``).  Each finding is attributed to the top-level function or class it
  sits in, and ``reachable`` follows the module's own calls, so a check is affected when
  one of the functions it calls reaches that one.  ``autograder.checks.forbidden`` turns
  findings into verdicts.
"""
from __future__ import annotations

import ast
import dataclasses
import re
from typing import Iterable

from autograder.i18n import _

FORBIDDEN_NAME = re.compile(
    r"^(?:"
    r"_?conv(?:[123]d|_transpose[123]d|_tbc|olution|_depthwise[23]d)"
    r"|_?(?:cudnn|mkldnn|miopen)_convolution\w*|_convolution\w*|convolution_overrideable|thnn_conv\w*|slow_conv\w*"
    r"|_?(?:max|avg|lp|adaptive_max|adaptive_avg|fractional_max|mkldnn_max|quantized_max|mkldnn_avg)_pool[123]d\w*"
    r"|max_unpool[123]d|max_pool[123]d_with_indices\w*"
    r"|(?:Lazy)?Conv(?:[123]d|Transpose[123]d)"
    r"|(?:Max|Avg|LP|AdaptiveMax|AdaptiveAvg|FractionalMax)Pool[123]d|MaxUnpool[123]d"
    r")$")

TORCH_ROOTS = {"torch"}  # top-level packages whose attributes are checked


def is_forbidden(name: str) -> bool:
    return bool(FORBIDDEN_NAME.match(name))


@dataclasses.dataclass(frozen=True)
class Finding:
    line: int
    owner: str | None  # the top-level function or class it is in (None: module level)
    api: str  # what was used, as written ("F.conv2d", "getattr(F, 'conv' + '2d')")
    via: str | None = None  # for an alias used in a function: "c = torch.nn.functional.conv2d, line 3"

    def describe(self, display: str) -> str:
        where = (_("{display}, line {line}, in {owner}", display=display, line=self.line, owner=self.owner)
                 if self.owner else _("{display}, line {line}", display=display, line=self.line))
        return _("{where}: {api} ({via})", where=where, api=self.api, via=self.via) if self.via \
            else _("{where}: {api}", where=where, api=self.api)


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


# ---------------------------------------------------------------- static analysis

def analyse(tree: ast.Module) -> tuple[list[Finding], dict[str, set[str]]]:
    """All findings in the module, and the call graph between its top-level definitions
    (name -> top-level names its body refers to)."""
    return _Analyser(tree).run()


class _Analyser:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.torch_names: set[str] = set()  # names bound to torch modules/objects
        self.tainted: dict[str, str] = {}  # name -> how it was bound to a forbidden API
        self.strings: dict[str, str] = {}  # module-level string constants
        self.findings: list[Finding] = []

    def run(self) -> tuple[list[Finding], dict[str, set[str]]]:
        top = {n.name for n in self.tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        self._bindings()
        graph: dict[str, set[str]] = {}
        for node in self.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self._scan(node, owner=node.name, local_defs=top)
                graph[node.name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in top}
            else:
                self._scan(node, owner=None, local_defs=top)
        unique = {(f.line, f.owner, f.api, f.via): f for f in self.findings}
        return sorted(unique.values(), key=lambda f: f.line), graph

    # -- module-level bindings: torch aliases, forbidden aliases, string constants
    def _bindings(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] in TORCH_ROOTS:
                        self.torch_names.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                    and node.module.split(".")[0] in TORCH_ROOTS:
                for alias in node.names:
                    bound = alias.asname or alias.name
                    if is_forbidden(alias.name):
                        self.tainted[bound] = _("{bound} = {module}.{name}, line {line}", bound=bound,
                                                module=node.module, name=alias.name, line=node.lineno)
                    else:
                        self.torch_names.add(bound)
        # assignments, to a fixed point: F2 = torch.nn.functional; conv = F2.conv2d; NAME = "conv2d"
        assigns = [n for n in ast.walk(self.tree) if isinstance(n, ast.Assign) and len(n.targets) == 1
                   and isinstance(n.targets[0], ast.Name)]
        for _round in range(3):
            for node in assigns:
                name = node.targets[0].id
                text = self._fold(node.value)
                if text is not None:
                    self.strings.setdefault(name, text)
                if self._forbidden_expr(node.value):
                    self.tainted.setdefault(name, _("{name} = {value}, line {line}", name=name,
                                                    value=_source(node.value), line=node.lineno))
                elif self._torch_rooted(node.value):
                    self.torch_names.add(name)

    # -- expressions
    def _torch_rooted(self, node: ast.expr) -> bool:
        while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
            node = node.func if isinstance(node, ast.Call) else node.value
        return isinstance(node, ast.Name) and node.id in self.torch_names

    def _forbidden_expr(self, node: ast.expr) -> str | None:
        """The API a node names, if it is a forbidden one."""
        if isinstance(node, ast.Attribute) and is_forbidden(node.attr) and self._torch_rooted(node.value):
            return _source(node)
        if isinstance(node, ast.Name) and node.id in self.tainted:
            return node.id
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
                and len(node.args) >= 2:
            text = self._fold(node.args[1])
            if text is not None and is_forbidden(text):
                return f"{_source(node)} (= {text})"
        return None

    def _fold(self, node: ast.expr) -> str | None:
        """The string an expression evaluates to, when it is built from visible constants."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name) and node.id in self.strings:
            return self.strings[node.id]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self._fold(node.left), self._fold(node.right)
            return left + right if left is not None and right is not None else None
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                inner = value.value if isinstance(value, ast.FormattedValue) else value
                text = self._fold(inner) if isinstance(inner, ast.expr) else None
                if text is None:
                    return None
                parts.append(text)
            return "".join(parts)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join" \
                and len(node.args) == 1 and isinstance(node.args[0], (ast.List, ast.Tuple)):
            sep = self._fold(node.func.value)
            items = [self._fold(e) for e in node.args[0].elts]
            return sep.join(items) if sep is not None and None not in items else None
        return None

    # -- scanning one top-level statement
    def _scan(self, root: ast.AST, *, owner: str | None, local_defs: set[str]) -> None:
        docstrings = {id(n.body[0].value) for n in ast.walk(root)
                      if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module))
                      and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(root):
            line = getattr(node, "lineno", None)
            if line is None:
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in TORCH_ROOTS:
                for alias in node.names:
                    if is_forbidden(alias.name):
                        self._add(line, owner, f"from {node.module} import {alias.name}")
            elif isinstance(node, ast.Attribute) and is_forbidden(node.attr) and self._torch_rooted(node.value):
                self._add(line, owner, _source(node))
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in self.tainted \
                    and owner is not None and node.id not in local_defs:
                self._add(line, owner, node.id, via=self.tainted[node.id])
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and owner is not None \
                    and is_forbidden(self.strings.get(node.id, "")) and node.id not in local_defs:
                self._add(line, owner, _("the name {text!r} (held by {name})", text=self.strings[node.id],
                                         name=node.id))
            elif isinstance(node, ast.expr) and id(node) not in docstrings \
                    and isinstance(node, (ast.Constant, ast.BinOp, ast.JoinedStr, ast.Call)):
                text = self._fold(node)
                if text is not None and is_forbidden(text) and not _inside_folded(node, root, self):
                    self._add(line, owner, _("the name {text!r} built from strings ({source})", text=text,
                                             source=_source(node)))

    def _add(self, line: int, owner: str | None, api: str, via: str | None = None) -> None:
        self.findings.append(Finding(line, owner, api, via))


def _inside_folded(node: ast.expr, root: ast.AST, analyser: _Analyser) -> bool:
    """Whether ``node`` is part of a larger foldable string expression (report the outer one only)."""
    for parent in ast.walk(root):
        if parent is node or not isinstance(parent, (ast.BinOp, ast.JoinedStr, ast.Call)):
            continue
        if any(child is node for child in ast.walk(parent)) and analyser._fold(parent) is not None:
            return True
    return False


def _source(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # noqa: BLE001 - unparse of odd trees; the line number still says where
        text = type(node).__name__
    return text if len(text) <= 80 else text[:77] + "..."


def reachable(graph: dict[str, set[str]], entries: Iterable[str]) -> set[str]:
    """Top-level names reachable from ``entries`` through the module's own references."""
    seen: set[str] = set()
    todo = [e for e in entries if e in graph]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += [n for n in graph.get(name, ()) if n not in seen]
    return seen
