"""Finite-difference gradient checks: pass correct gradients, locate wrong ones."""
from __future__ import annotations

import numpy as np

from autograder.checks.gradcheck import check_gradient


def setup(seed=0):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((8, 5)), rng.standard_normal((8, 3))
    w = rng.standard_normal((5, 3))

    def f(params):
        return float(np.sum(np.tanh(x @ params[0]) - y) ** 2)
    g = np.tanh(x @ w)
    grad = 2 * np.sum(g - y) * x.T @ (1 - g ** 2)
    return f, w, grad, rng


def test_correct_gradient_passes():
    f, w, grad, rng = setup()
    assert check_gradient(f, [w], [grad], names=["grad_w"], rng=rng).ok


def test_wrong_gradient_fails_with_a_location():
    f, w, grad, rng = setup()
    wrong = grad.copy()
    wrong[2, 1] += 1.0
    verdict = check_gradient(f, [w], [wrong], names=["grad_w"], rng=rng)
    assert not verdict.ok and "random direction" in verdict.message
    halved = check_gradient(f, [w], [grad / 2], names=["grad_w"], rng=rng)
    assert "for example grad_w[" in halved.message


def test_shape_is_checked_first():
    f, w, grad, rng = setup()
    verdict = check_gradient(f, [w], [grad.T], names=["grad_w"], rng=rng)
    assert "shape (3, 5), expected (5, 3)" in verdict.message
