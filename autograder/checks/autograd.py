"""Gradients through a function: the oracle's, computed here, and the student's, judged here.

The parent half of ``autograder.worker.drivers.autograd``: the worker backpropagates an
upstream gradient ``G`` through the student's function (``sum(G * f(...))``, see
``autograder.worker.drivers.vjp``); here the same is done through the oracle, and each
gradient the student's function produced is compared with it.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from autograder.checks.compare import expect
from autograder.checks.verdict import CheckFailed
from autograder.i18n import _
from autograder.worker.drivers.vjp import weighted_sum


def torch_grads(fn: Callable, inputs: Sequence[Any], upstream: Any) -> list:
    """The gradients of ``sum(upstream * fn(*inputs))`` with respect to each input."""
    leaves = [x.clone().requires_grad_(True) for x in inputs]
    weighted_sum(fn(*leaves), upstream).backward()
    return [leaf.grad for leaf in leaves]


def expect_gradients(grads: Sequence[Any], expected: Sequence[Any], *, of: str, wrt: Sequence[str]) -> None:
    """Each of ``grads`` (the student's, from the worker) must have reached its input and
    equal the oracle's; ``of`` names the call, ``wrt`` the inputs."""
    for grad, want, what in zip(grads, expected, wrt):
        if grad is None:
            raise CheckFailed(_("no gradient of {of} reached {what}: the result is not connected to {what} "
                                "in autograd's graph", of=of, what=what))
        expect(grad, want, name=f"d(sum(G * {of}))/d{what}")
