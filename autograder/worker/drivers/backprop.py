"""exercise2 in the worker: manual backprop watched for autograd, numerical gradients of the
grader's own test functions.

The test functions are grader code that must run where the student's ``numerical_gradient``
runs (it calls them thousands of times).  The parent imports this module too, for their
analytic gradients (``TEST_FUNCTIONS[name].grad``); nothing here is secret.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np
import torch

# ---------------------------------------------------------------- forward_backward without autograd

# (owner, attribute, label).  ``_engine_run_backward`` is what autograd.grad/backward call
# through their module's globals, so it also sees ``from torch.autograd import grad`` aliases.
_AUTOGRAD_ENTRY_POINTS = tuple(entry for entry in (
    (torch.autograd, "backward", "torch.autograd.backward"),
    (torch.autograd, "grad", "torch.autograd.grad"),
    (torch.Tensor, "backward", "Tensor.backward"),
    (torch.autograd, "_engine_run_backward", "autograd's backward engine"),
) if hasattr(entry[0], entry[1]))


def forward_backward_watched(worker, x, y, w1, w2) -> dict:
    """Call ``forward_backward(x, y, w1, w2)`` and report whether it used autograd.

    For the duration of the call (in this worker only) autograd's entry points are wrapped
    to record that they were called; they still work, so the student's result is returned
    too.  Also reported: inputs whose ``requires_grad`` was switched on or that got a
    ``.grad``, and whether a returned tensor carries a ``grad_fn`` (was computed by autograd).
    """
    inputs = {"x": x, "y": y, "w1": w1, "w2": w2}
    calls: list[str] = []
    saved = [(owner, attr, getattr(owner, attr)) for owner, attr, _ in _AUTOGRAD_ENTRY_POINTS]

    def recorder(label, original):
        def wrapper(*args, **kwargs):
            calls.append(label)
            return original(*args, **kwargs)
        return wrapper

    try:
        for (owner, attr, label), (_, _, original) in zip(_AUTOGRAD_ENTRY_POINTS, saved):
            setattr(owner, attr, recorder(label, original))
        result = worker.module.forward_backward(x, y, w1, w2)
    finally:
        for owner, attr, original in saved:
            setattr(owner, attr, original)
    values = result if isinstance(result, (tuple, list)) else [result]
    tracked = any(isinstance(v, torch.Tensor) and (v.grad_fn is not None or v.requires_grad) for v in values)
    return {"result": result, "autograd_calls": sorted(set(calls)),
            "requires_grad": [name for name, t in inputs.items() if t.requires_grad],
            "grad": [name for name, t in inputs.items() if t.grad is not None],
            "tracked_output": tracked}


# ---------------------------------------------------------------- numerical_gradient

@dataclasses.dataclass(frozen=True)
class TestFunction:
    """A smooth function of a list of float64 arrays, with its exact gradient."""

    f: Callable[[list], float]
    grad: Callable[[list], list]
    shapes: tuple


_X = np.random.default_rng(1234).standard_normal((6, 4))  # a fixed input of the "tanh_layer" function


def _sin_exp(p):
    return float(np.sum(np.sin(2 * p[0])) + np.sum(np.exp(p[1])))


def _sin_exp_grad(p):
    return [2 * np.cos(2 * p[0]), np.exp(p[1])]


def _tanh_layer(p):
    return float(np.sum(np.tanh(_X @ p[0] + p[1]) ** 2))


def _tanh_layer_grad(p):
    t = np.tanh(_X @ p[0] + p[1])
    dz = 2 * t * (1 - t ** 2)
    return [_X.T @ dz, dz.sum(0)]


def _log_sum_exp(p):
    m = p[0].max()
    return float(m + np.log(np.sum(np.exp(p[0] - m))))


def _log_sum_exp_grad(p):
    e = np.exp(p[0] - p[0].max())
    return [e / e.sum()]


def _quadratic(p):
    return float(np.sum(p[0] ** 2) + 3 * np.sum(p[0] * p[1]))


def _quadratic_grad(p):
    return [2 * p[0] + 3 * p[1], 3 * p[0]]


TEST_FUNCTIONS = {
    "quadratic": TestFunction(_quadratic, _quadratic_grad, ((2, 3), (2, 3))),
    "sin_exp": TestFunction(_sin_exp, _sin_exp_grad, ((3, 4), (5,))),
    "tanh_layer": TestFunction(_tanh_layer, _tanh_layer_grad, ((4, 3), (3,))),
    "log_sum_exp": TestFunction(_log_sum_exp, _log_sum_exp_grad, ((7,),)),
}


def numerical_gradient_of(worker, function: str, params: list, eps=None) -> dict:
    """Call ``numerical_gradient(f, params[, eps=eps])`` with the test function ``function``.

    Returns ``{"result", "params_after", "calls"}``: what it returned, the arrays it was given
    as they are after the call (to check that every perturbed entry was restored), and how
    many times it called ``f``.
    """
    test = TEST_FUNCTIONS[function]
    given = list(params)
    calls = [0]

    def f(ps):
        calls[0] += 1
        return test.f(ps)

    kwargs = {} if eps is None else {"eps": eps}
    result = worker.module.numerical_gradient(f, list(given), **kwargs)
    return {"result": result, "params_after": given, "calls": calls[0]}
