"""Autograd through the student's function, computed in the worker."""
from __future__ import annotations

import warnings

import torch

from autograder.worker.drivers.vjp import weighted_sum


def call_with_grad(worker, func: str, args: list, kwargs: dict | None = None, *, wrt: list[int],
                   grad_output=None) -> dict:
    """Call ``func(*args)``, then backpropagate ``grad_output`` (default: ones) from its result
    to the positional arguments ``wrt`` (made leaves with ``requires_grad``).

    Returns ``{"result", "grads"}``; a grad is None when the result does not depend on that
    argument (or the graph was cut, e.g. by ``.data`` or ``.detach()``), and every grad is
    None when the result's shape differs from ``grad_output``'s (the comparison of the
    result reports that).
    """
    args = list(args)
    for i in wrt:
        args[i] = args[i].detach().requires_grad_(True)
    result = worker.lookup(func)(*args, **(kwargs or {}))
    grads = [None] * len(wrt)
    if isinstance(result, torch.Tensor) and result.requires_grad and (
            grad_output is None or tuple(result.shape) == tuple(grad_output.shape)):
        grads = list(torch.autograd.grad(weighted_sum(result, grad_output), [args[i] for i in wrt], allow_unused=True))
    return {"result": result.detach() if isinstance(result, torch.Tensor) else result, "grads": grads}


def call_with_grad_watched(worker, func: str, args: list, kwargs: dict | None = None, *, wrt: list[int],
                           grad_output=None) -> dict:
    """``call_with_grad``, plus ``"warnings"``: the text of every warning raised during the
    call or the backward pass (an overflow in ``np.exp``, a deprecation...), at most 10."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reply = call_with_grad(worker, func, args, kwargs, wrt=wrt, grad_output=grad_output)
    reply["warnings"] = [f"{w.category.__name__}: {w.message}"[:300] for w in caught[:10]]
    return reply
