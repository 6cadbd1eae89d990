"""Torch set up once in the zygote, for workers: one thread, and no torch._dynamo import.

Workers never compile, yet two eager code paths import torch._dynamo (≈1.3 s, more than a
whole exercise's checks) only to do nothing with it:

* ``torch._disable_dynamo`` wraps many of torch's Python functions (the CPU-fallback
  kernels of ``mul``/``sum``/``copy_``, ``Optimizer.zero_grad``/``add_param_group``...);
  its wrapper imports torch._dynamo on the first call to look up ``fn.__dynamo_disable``,
  which outside ``torch.compile`` behaves as ``fn`` itself.  The zygote stores that answer.
* every built-in optimizer's ``step`` is wrapped by ``_use_grad_for_differentiable``,
  which imports torch._dynamo on each call for two ``graph_break()`` calls (no-ops
  outside ``torch.compile``) around setting grad mode.  The zygote puts back a wrapper that
  sets grad mode the same way, only when torch's wrapper is the one it knows (same names
  used), so a torch that changes it keeps its own.

Both happen only in the zygote (and so in workers), never in the grader's process.  Under
``torch.compile`` the seeded functions would be traced instead of skipped; nothing the
grader runs compiles, and a student's ``torch.compile`` still works.
"""
from __future__ import annotations

import functools
import gc
import types

import torch

# The names torch 2.x's _use_grad_for_differentiable wrapper uses; anything else: leave it be.
_KNOWN_USE_GRAD = {"torch._dynamo", "_dynamo", "graph_break", "cast", "Optimizer", "is_grad_enabled",
                   "set_grad_enabled", "defaults"}


def prepare() -> dict:
    """Run once in the zygote after ``import torch``; returns what was done, for the record."""
    torch.set_num_threads(1)  # after a parallel op, a forked child hangs on its next one
    return {"disable_dynamo_seeded": _seed_disable_dynamo(), "optimizer_steps": _eager_optimizer_steps()}


def _seed_disable_dynamo() -> int:
    disable = getattr(torch, "_disable_dynamo", None)
    if disable is None:  # a torch without the lazy wrapper
        return 0
    probe = disable(lambda: None).__code__
    seeded = 0
    for obj in gc.get_objects():
        if type(obj) is types.FunctionType and obj.__code__ is probe:
            cell = dict(zip(probe.co_freevars, obj.__closure__ or ())).get("fn")
            if cell is not None and callable(cell.cell_contents):
                setattr(cell.cell_contents, "__dynamo_disable", cell.cell_contents)
                seeded += 1
    return seeded


def _eager_optimizer_steps() -> int:
    try:
        from torch.optim.optimizer import Optimizer, _use_grad_for_differentiable
    except ImportError:
        return 0
    probe = _use_grad_for_differentiable(lambda self: None).__code__
    if set(probe.co_names) != _KNOWN_USE_GRAD:
        return 0
    replaced = 0
    for value in vars(torch.optim).values():
        if isinstance(value, type) and issubclass(value, Optimizer):
            step = value.__dict__.get("step")
            if getattr(step, "__code__", None) is probe and callable(getattr(step, "__wrapped__", None)):
                value.step = _use_grad(step.__wrapped__)
                replaced += 1
    return replaced


def _use_grad(func):
    """torch's wrapper without its graph breaks: the step runs with grad mode set to the
    optimizer's ``differentiable`` flag, and the caller's mode is restored."""
    @functools.wraps(func)
    def step(self, *args, **kwargs):
        previous = torch.is_grad_enabled()
        try:
            torch.set_grad_enabled(self.defaults["differentiable"])
            return func(self, *args, **kwargs)
        finally:
            torch.set_grad_enabled(previous)
    return step
