"""Exercise 1 — a two-layer network in numpy, trained by hand.

The network maps ``x`` (N, D_in) to ``y_pred`` (N, D_out) through a hidden ReLU layer::

    h      = x @ w1            (N, H)
    h_relu = max(h, 0)         (N, H)
    y_pred = h_relu @ w2       (N, D_out)
    loss   = sum((y_pred - y) ** 2)

There are no biases.  The course uses N=64, D_in=1000, H=100, D_out=10, but every function
must work for any sizes.  All arrays are float64 numpy arrays.

Rules for this file:

* numpy only: do not import torch (or any other array library) here;
* do not modify the arrays you are given, except where a docstring says it is allowed;
* return exactly what each docstring says (types and shapes are graded).

Check your work with ``grade exercise1``.
"""
import numpy as np

N, D_in, H, D_out = 64, 1000, 100, 10


def forward(x, w1, w2):
    """Forward pass of the two-layer ReLU network.

    Args:
        x: input, shape (N, D_in).
        w1: first-layer weights, shape (D_in, H).
        w2: second-layer weights, shape (H, D_out).

    Returns:
        ``y_pred``, a numpy array of shape (N, D_out) and the inputs' dtype:
        ``relu(x @ w1) @ w2``.
    """
    raise NotImplementedError("forward: write your solution here")


def loss(y_pred, y):
    """Sum of squared errors (a sum over every element, not a mean).

    Args:
        y_pred: predictions, shape (N, D_out).
        y: targets, same shape.

    Returns:
        The loss as a Python float (a numpy float64 scalar is accepted too).
    """
    raise NotImplementedError("loss: write your solution here")


def backward(x, y, w1, w2):
    """Gradients of ``loss(forward(x, w1, w2), y)`` with respect to ``w1`` and ``w2``.

    Compute them by hand with the chain rule (recompute the forward pass inside).
    Remember the factor 2 of d/dy_pred (y_pred - y)**2 and the ReLU: no gradient flows
    through hidden units whose pre-activation ``h`` is negative.

    Returns:
        ``(grad_w1, grad_w2)`` with the shapes of ``w1`` (D_in, H) and ``w2`` (H, D_out).
    """
    raise NotImplementedError("backward: write your solution here")


def sgd_update(w1, w2, grad_w1, grad_w2, lr):
    """One step of gradient descent: ``w <- w - lr * grad`` for both weights.

    Updating ``w1`` and ``w2`` in place is allowed; either way, return them.

    Returns:
        ``(w1, w2)``, the updated weights.
    """
    raise NotImplementedError("sgd_update: write your solution here")


def train(x, y, w1, w2, learning_rate=1e-6, steps=500):
    """Train the network with ``steps`` steps of full-batch gradient descent.

    Each step: forward pass, record the loss, backward pass, ``sgd_update``.  Updating the
    weights in place is allowed.

    Returns:
        ``(w1, w2, losses)``: the trained weights and a list of ``steps`` floats where
        ``losses[t]`` is the loss of step ``t`` *before* its update.
    """
    raise NotImplementedError("train: write your solution here")
