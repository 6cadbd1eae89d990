"""Backpropagating an upstream gradient without autograd's ``grad_outputs``.

``out.backward(G)`` and ``torch.autograd.grad(out, xs, G)`` validate ``G``'s shape through
torch.fx's symbolic shapes, whose first import (sympy) costs ≈0.5 s in each process: more
than most checks.  ``sum(out * G)`` has exactly the same gradients (``G`` is a constant, and
``1.0 * G`` is ``G``) and needs no such validation.  Used in workers and by the grader's
oracles alike.
"""
from __future__ import annotations

import torch


def weighted_sum(out: torch.Tensor, upstream: torch.Tensor | None = None) -> torch.Tensor:
    """The scalar whose gradient is the vector-Jacobian product of ``out`` with ``upstream``
    (ones when None).  The shapes must match: a broadcast would hide a wrong output shape."""
    if upstream is None:
        return out.sum()
    if tuple(upstream.shape) != tuple(out.shape):
        raise ValueError(f"upstream gradient of shape {tuple(upstream.shape)} for an output of shape {tuple(out.shape)}")
    return (out * upstream.to(out.device, out.dtype)).sum()
