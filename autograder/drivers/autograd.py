"""Autograd through the student's function, computed in the worker."""
from __future__ import annotations

import torch


def call_with_grad(worker, func: str, args: list, kwargs: dict | None = None, *, wrt: list[int],
                   grad_output=None) -> dict:
    """Call ``func(*args)``, then backpropagate ``grad_output`` (default: ones) from its result
    to the positional arguments ``wrt`` (made leaves with ``requires_grad``).

    Returns ``{"result", "grads"}``; a grad is None when the result does not depend on that
    argument (or the graph was cut, e.g. by ``.data`` or ``.detach()``).
    """
    args = list(args)
    for i in wrt:
        args[i] = args[i].detach().requires_grad_(True)
    result = getattr(worker.module, func)(*args, **(kwargs or {}))
    grads = [None] * len(wrt)
    if isinstance(result, torch.Tensor) and result.requires_grad:
        upstream = torch.ones_like(result) if grad_output is None else grad_output.to(result.device, result.dtype)
        grads = list(torch.autograd.grad(result, [args[i] for i in wrt], upstream, allow_unused=True))
    return {"result": result.detach() if isinstance(result, torch.Tensor) else result, "grads": grads}
