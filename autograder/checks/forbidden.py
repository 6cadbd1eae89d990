"""Built-ins an exercise may not use: the parent half of ``autograder.worker.drivers.forbidden``.

Exercises 4 and 5 ask for convolution and pooling written by hand, so ``F.conv2d``,
``nn.Conv2d``, ``F.max_pool2d`` & co. are forbidden there.  Detection has two halves:

* here, in the trusted parent: the AST of the student's module (``autograder.checks.source``
  finds what the functions a check calls reach);
* in the worker: the aten ops that actually ran inside the student's call
  (``autograder.worker.drivers.forbidden``), which catches what no static reading can.

``Rules`` says what one exercise forbids; ``Guarded`` calls the student's module with both
detections on, and a finding fails the check, naming the API and where it was found.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Iterable

from autograder.checks.source import Finding, analyse, reachable
from autograder.checks.verdict import CheckFailed, StudentError
from autograder.i18n import _, join


@dataclasses.dataclass(frozen=True)
class Rules:
    """What one exercise forbids, and how to say so."""

    what: str  # "convolution and pooling built-ins"
    advice: str  # what to do instead


CONV_POOL = Rules(
    what=_("convolution and pooling built-ins (F.conv2d, nn.Conv2d, F.max_pool2d, F.avg_pool2d, ...)"),
    advice=_("write the sliding window yourself: loops over the output with slicing and sum/max/mean, "
             "or vectorised with Tensor.unfold / F.unfold / as_strided"))


def static_findings(student: Any, funcs: Iterable[str]) -> list[Finding]:
    """Findings in the functions/classes ``funcs`` of the student's module, or in anything
    of the module they reach.  An unreadable or unparsable source gives no findings here:
    the calls themselves report it."""
    try:
        findings, graph = student.memo("forbidden_analysis", lambda: analyse(student.source_tree()))
    except StudentError:
        return []
    owners = reachable(graph, funcs)
    return [f for f in findings if f.owner in owners]


def guard_static(student: Any, rules: Rules, funcs: Iterable[str]) -> None:
    """Raise ``CheckFailed`` when the source of ``funcs`` uses a forbidden API."""
    funcs = list(funcs)
    found = static_findings(student, funcs)
    if found:
        lines = join("\n", (_("  {finding}", finding=f.describe(student.display)) for f in found[:5]))
        raise CheckFailed(_("{join} must not use {what}; found:\n{lines}",
                            join=', '.join((f + '()' for f in funcs)), what=rules.what, lines=lines),
                          rules.advice)


def runtime_failure(rules: Rules, func: str, found: list, display: str) -> CheckFailed:
    """The failure for forbidden aten ops recorded in the worker."""
    lines = []
    for entry in found[:5]:
        op = str(entry.get("op", "?")) if isinstance(entry, dict) else "?"
        where = entry.get("where") if isinstance(entry, dict) else None
        api = OP_APIS.get(op.split("::")[-1].split(".")[0], _("a convolution or pooling built-in"))
        lines.append(_("  {op} ({api}) ran at {where}", op=op, api=api, where=where) if isinstance(where, str) and where
                     else _("  {op} ({api}) ran", op=op, api=api))
    return CheckFailed(_("{func}() must not use {what}; while it ran:\n{lines}", func=func, what=rules.what,
                         lines=join("\n", lines)), rules.advice)


OP_APIS = {
    "convolution": "F.conv2d / torch.conv2d / nn.Conv2d", "_convolution": _("a convolution built-in"),
    "max_pool2d_with_indices": "F.max_pool2d / nn.MaxPool2d", "max_pool2d": "F.max_pool2d / nn.MaxPool2d",
    "avg_pool2d": "F.avg_pool2d / nn.AvgPool2d", "_adaptive_avg_pool2d": "F.adaptive_avg_pool2d",
    "adaptive_max_pool2d": "F.adaptive_max_pool2d", "fractional_max_pool2d": "F.fractional_max_pool2d",
}


# ---------------------------------------------------------------- calls through the recorder

class Guarded:
    """The student's module, called through the worker's op recorder with both detections on.

    ``g.corr2d(X, K)`` first reads the source of ``corr2d`` and what it reaches (static),
    then runs it recording aten ops (runtime); either finding fails the check.
    ``g.call(func, *args, wrt=(0, 1), grad_output=G)`` also returns gradients and the
    arguments as they were after the call; ``g.module(cls, init, x, state=...)`` drives an
    ``nn.Module`` class.
    """

    def __init__(self, student: Any, rules: Rules = CONV_POOL) -> None:
        self.student = student
        self.rules = rules

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)

        def remote(*args: Any, **kwargs: Any) -> Any:
            return self.call(name, *args, **kwargs)["result"]
        return remote

    def call(self, func: str, *args: Any, wrt: tuple = (), grad_output: Any = None, **kwargs: Any) -> dict:
        guard_static(self.student, self.rules, [func])
        reply = self.student.drive("forbidden:call", func, list(args), kwargs, wrt=list(wrt), grad_output=grad_output)
        return self._checked(reply, func, keys=("result", "args", "grads"))

    def args_after(self, func: str, *args: Any, **kwargs: Any) -> list:
        """The positional arguments of ``func(*args, **kwargs)`` as they were after the call."""
        return self.call(func, *args, **kwargs)["args"]

    def module(self, cls: str, init: list, x: Any, *, state: dict | None = None, grad_output: Any = None) -> dict:
        guard_static(self.student, self.rules, [cls])
        reply = self.student.drive("forbidden:module", cls, list(init), x, state=state, grad_output=grad_output)
        return self._checked(reply, cls, keys=("params", "missing", "output", "grads"))

    def _checked(self, reply: Any, func: str, *, keys: tuple) -> dict:
        if type(reply) is not dict or any(k not in reply for k in keys) or type(reply.get("forbidden")) is not list:
            raise CheckFailed(_("{func}(): malformed reply from the worker", func=func))
        if reply["forbidden"]:
            raise runtime_failure(self.rules, func, reply["forbidden"], self.student.display)
        return reply
