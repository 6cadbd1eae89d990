"""Calls into the student's module that also record the aten ops they ran.

``call`` runs one function (optionally backpropagating to some arguments), ``module``
builds one of the student's ``nn.Module`` classes, loads given parameter values, runs
``forward`` and backpropagates.  Both return plain data plus ``forbidden``: the aten ops
matching ``FORBIDDEN_OP`` that ran inside the student's code, each with the first place in
the student's file where it happened.  The parent turns those into failures
(``autograder.checks.forbidden``, the parent half).

The recorder is a ``TorchDispatchMode``: it sees every aten op after autograd and after
composite ops are decomposed (``F.conv2d`` and ``nn.Conv2d`` arrive as
``aten::convolution``, ``F.max_pool2d`` as ``aten::max_pool2d_with_indices``).  It costs
about 50 µs per op, so suites keep the inputs of recorded calls small.
"""
from __future__ import annotations

import linecache
import re
import sys
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from autograder.worker.drivers.vjp import weighted_sum

FORBIDDEN_OP = re.compile(r"conv(?:olution|[123]d|_transpose|_tbc|_depthwise)|thnn_conv|slow_conv|pool[123]d|max_unpool")


class OpRecorder(TorchDispatchMode):
    """Record forbidden aten ops and where in the student's file they were called."""

    def __init__(self, path: str, display: str) -> None:
        super().__init__()
        self.path = path
        self.display = display
        self.found: dict[str, str | None] = {}
        self.verdicts: dict[Any, bool] = {}  # per op overload: a learn_kernel call runs ~7000 ops

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        return False  # no torch._dynamo import (≈1.4 s) just to record ops

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        forbidden = self.verdicts.get(func)
        if forbidden is None:
            forbidden = self.verdicts[func] = bool(FORBIDDEN_OP.search(func.name()))
        if forbidden and func.name() not in self.found:
            self.found[func.name()] = self._where()
        return func(*args, **(kwargs or {}))

    def _where(self) -> str | None:
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename == self.path:
                line = linecache.getline(self.path, frame.f_lineno).strip()
                return f"{self.display}, line {frame.f_lineno}, in {frame.f_code.co_name}" + (f": {line}" if line else "")
            frame = frame.f_back
        return None

    def report(self) -> list:
        return [{"op": op, "where": where} for op, where in self.found.items()]


def _recorder(worker: Any) -> OpRecorder:
    return OpRecorder(worker.path, worker.display)


def _detach(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, torch.Size):
        return tuple(value)
    if type(value) in (list, tuple):
        return type(value)(_detach(v) for v in value)
    if type(value) is dict:
        return {k: _detach(v) for k, v in value.items()}
    return value


def _weighted_sum(result: torch.Tensor, grad_output: Any) -> torch.Tensor | None:
    """``vjp.weighted_sum``, or None when the shapes differ: the parent reports the wrong
    shape, not an error."""
    if grad_output is not None and tuple(grad_output.shape) != tuple(result.shape):
        return None
    return weighted_sum(result, grad_output)


def call(worker: Any, func: str, args: list, kwargs: dict | None = None, *, wrt: list | tuple = (),
         grad_output: Any = None) -> dict:
    """Call ``func(*args, **kwargs)`` recording aten ops; with ``wrt``, backpropagate
    ``grad_output`` (default ones) from the result to those positional arguments.

    Returns ``{"result", "args" (the arguments after the call), "grads", "forbidden"}``;
    a grad is None when the result does not depend on that argument.
    """
    target = worker.lookup(func)
    args = list(args)
    for i in wrt:
        args[i] = args[i].detach().clone().requires_grad_(True)
    recorder = _recorder(worker)
    grads: list = [None] * len(wrt)
    with recorder:
        result = target(*args, **(kwargs or {}))
        total = _weighted_sum(result, grad_output) if wrt and isinstance(result, torch.Tensor) \
            and result.requires_grad else None
        if total is not None:
            grads = list(torch.autograd.grad(total, [args[i] for i in wrt], allow_unused=True))
    return {"result": _detach(result), "args": [_detach(a) for a in args], "grads": _detach(grads),
            "forbidden": recorder.report()}


def module(worker: Any, cls: str, init: list, x: Any, *, state: dict | None = None,
           grad_output: Any = None) -> dict:
    """Build ``cls(*init)``, copy ``state`` (name -> tensor) into its parameters, run
    ``forward(x)`` and backpropagate ``grad_output`` (default ones) to the parameters.

    Returns ``{"params": {name: [shape, requires_grad]}, "missing": [names of state absent
    or misshapen], "output", "grads": {name: grad or None}, "forbidden"}``.
    """
    factory = worker.lookup(cls, "class")
    recorder = _recorder(worker)
    with recorder:
        net = factory(*init)
    if not isinstance(net, torch.nn.Module):
        raise TypeError(f"{cls}(...) is a {type(net).__name__}, not an nn.Module (subclass nn.Module)")
    params = dict(net.named_parameters())
    missing = []
    with torch.no_grad():
        for name, value in (state or {}).items():
            p = params.get(name)
            if p is None or tuple(p.shape) != tuple(value.shape):
                missing.append(name)
            else:
                p.copy_(value)
    described = {name: [list(p.shape), bool(p.requires_grad)] for name, p in params.items()}
    if missing:
        return {"params": described, "missing": missing, "output": None, "grads": {}, "forbidden": recorder.report()}
    with recorder:
        out = net(x)
        grads = {name: None for name in params}
        trainable = [(n, p) for n, p in params.items() if p.requires_grad]
        total = _weighted_sum(out, grad_output) if isinstance(out, torch.Tensor) and out.requires_grad \
            and trainable else None
        if total is not None:
            got = torch.autograd.grad(total, [p for _, p in trainable], allow_unused=True)
            grads.update({n: g for (n, _), g in zip(trainable, got)})
    return {"params": described, "missing": [], "output": _detach(out), "grads": _detach(grads),
            "forbidden": recorder.report()}

