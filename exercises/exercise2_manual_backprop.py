"""Exercise 2 — backpropagation by hand, numerical gradients, and autograd.

Part 1 is the two-layer ReLU network of exercise 1 (no biases), now with torch tensors::

    h      = x @ w1                 (N, H)
    h_relu = h.clamp(min=0)         (N, H)
    y_pred = h_relu @ w2            (N, D_out)
    loss   = ((y_pred - y) ** 2).sum()

Part 2 checks gradients numerically with central differences.  Part 3 is the small net of
the notes with biases and a sigmoid hidden layer, differentiated by hand.  Part 4 lets
autograd do the work.

Rules for this file: return exactly what each docstring says (types, shapes and dtypes are
graded); do not modify the tensors and arrays you are given unless a docstring allows it;
results stay on the inputs' device and keep their dtype.

Check your work with ``grade exercise2``.
"""
import numpy as np
import torch


# ---------------------------------------------------------------- 1. manual backprop in torch

def forward_backward(x, y, w1, w2):
    """Loss of the two-layer ReLU net and its gradients, computed by hand: **no autograd**.

    Use tensor operations only (``mm``/``@``, ``clamp``, ``t()``, ``sum``...): do not call
    ``backward()``, ``torch.autograd.grad`` or ``requires_grad_()``.  The inputs do not
    require gradients and must not when you return.

    Args:
        x: input, shape (N, D_in).
        y: targets, shape (N, D_out).
        w1: first-layer weights, shape (D_in, H).
        w2: second-layer weights, shape (H, D_out).
        All four are floating-point tensors of one dtype, on one device (CPU or GPU).

    Returns:
        ``(loss, grad_w1, grad_w2)``: the loss ``((y_pred - y) ** 2).sum()`` as a Python
        float or a 0-dim tensor, and the gradients of the loss with respect to ``w1`` and
        ``w2``, tensors with the shapes, dtype and device of ``w1`` and ``w2``.  Remember the
        factor 2 of the square and that no gradient flows where the ReLU was inactive
        (``h < 0``).
    """
    raise NotImplementedError("forward_backward: write your solution here")


# ---------------------------------------------------------------- 2. numerical gradients

def numerical_gradient(f, params, eps=1e-6):
    """Gradient of ``f`` at ``params`` by central differences.

    Args:
        f: a function that takes the list ``params`` and returns a float; it reads the
            arrays' current values each time it is called.
        params: a list of float64 numpy arrays (any shapes).
        eps: the step.

    For every entry ``p[i]`` of every array ``p`` in ``params``::

        grad_p[i] = (f(params with p[i] + eps) - f(params with p[i] - eps)) / (2 * eps)

    (central differences: their error shrinks like eps**2; forward differences
    ``(f(p + eps) - f(p)) / eps`` only like eps, and are not accepted).  Perturb one entry at
    a time, in place, and put back the value you saved before the next entry: when you return,
    every array in ``params`` must hold exactly what it held before.

    Returns:
        A list with one float64 array per parameter, of that parameter's shape.
    """
    raise NotImplementedError("numerical_gradient: write your solution here")


# ---------------------------------------------------------------- 3. the sigmoid net with biases

def sigmoid_net_loss(x, y, weights):
    """Loss of the notes' net with biases, a sigmoid hidden layer and a linear output::

        hidden = sigmoid(x @ W0 + b0)        (N, h)
        output = hidden @ W1 + b1            (N, d_out)   no activation here
        loss   = mean((output - y) ** 2)     mean over all N * d_out entries

    Args:
        x: inputs (N, d_in); y: targets (N, d_out).
        weights: ``[W0 (d_in, h), b0 (h,), W1 (h, d_out), b1 (d_out,)]``.
        Either all numpy float64 arrays or all torch tensors (one dtype).

    Returns:
        The loss: a Python float for numpy inputs; a 0-dim tensor (or a float) for torch
        inputs.
    """
    raise NotImplementedError("sigmoid_net_loss: write your solution here")


def sigmoid_net_grads(x, y, weights):
    """Gradients of ``sigmoid_net_loss(x, y, weights)`` by the chain rule, by hand (no autograd).

    Hints: d loss / d output = 2 (output - y) / (N * d_out); the sigmoid's derivative is
    ``hidden * (1 - hidden)``; a bias's gradient sums the gradients over the batch.

    Returns:
        ``[grad_W0, grad_b0, grad_W1, grad_b1]``, same order, shapes and kind as ``weights``:
        numpy float64 arrays for numpy inputs, tensors of the inputs' dtype and device for
        torch inputs.
    """
    raise NotImplementedError("sigmoid_net_grads: write your solution here")


# ---------------------------------------------------------------- 4. autograd

def autograd_train(x, y, w1, w2, learning_rate, steps):
    """Train the two-layer ReLU net of part 1 with autograd and plain gradient descent.

    Start from copies of ``w1`` and ``w2`` that require gradients
    (``w1.detach().clone().requires_grad_(True)``).  Each of the ``steps`` steps: forward pass,
    ``loss = ((y_pred - y) ** 2).sum()``, record ``loss.item()``, ``loss.backward()``, then
    update ``w -= learning_rate * w.grad`` for both weights **inside** ``with torch.no_grad():``
    (the update must not be recorded by autograd) and zero both gradients
    (``w.grad.zero_()``: ``backward`` adds to ``.grad``, it does not overwrite it).

    Returns:
        ``(w1, w2, losses)``: the trained weights (tensors of the inputs' shapes, dtype and
        device) and the list of ``steps`` floats, ``losses[t]`` the loss of step ``t`` before
        its update.
    """
    raise NotImplementedError("autograd_train: write your solution here")


def partial_no_grad_grad(x):
    """The gradient that autograd gives when part of a computation runs under ``no_grad``.

    With ``xg = x.detach().clone().requires_grad_(True)``, compute
    ``y1 = xg ** 2``, then ``y2 = xg ** 3`` **inside** ``with torch.no_grad():``, then
    ``y3 = y1 + y2`` and call ``y3.sum().backward()``.  Return ``xg.grad``: autograd did not
    record ``y2``, so this is ``2 * x``, not ``2 * x + 3 * x ** 2``.

    Args:
        x: a floating-point tensor of any shape (left unchanged).

    Returns:
        A tensor of ``x``'s shape, dtype and device.
    """
    raise NotImplementedError("partial_no_grad_grad: write your solution here")
