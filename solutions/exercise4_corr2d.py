"""Exercise 4 — cross-correlation, convolutional layers, channels, padding and stride.

What deep-learning libraries call a "convolution" is a *cross-correlation*: the kernel ``K``
(kh, kw) slides over the input ``X`` (h, w) and each output element is the sum of the
elementwise product of ``K`` with the window of ``X`` under it::

    Y[i, j] = sum over a, b of X[i + a, j + b] * K[a, b]

so ``Y`` has shape (h - kh + 1, w - kw + 1).  The kernel is *not* flipped.

Rules for this file:

* no convolution or pooling built-ins (``F.conv2d``, ``torch.conv2d``, ``nn.Conv2d``,
  ``F.max_pool2d``, ...): the grader detects them, statically and while your code runs.
  Loops, slicing, ``sum``, ``max``, matmul, ``Tensor.unfold``/``F.unfold`` and
  ``as_strided`` are all fine — vectorised solutions are welcome;
* outputs keep the input's device and dtype: create new tensors with ``X.new_zeros(...)``
  or ``torch.zeros(..., device=X.device, dtype=X.dtype)``, never a bare ``torch.zeros(...)``;
* results must be differentiable with respect to the inputs, and inputs must not be
  modified.

Check your work with ``grade exercise4``.
"""
import torch
from torch import nn


def corr2d(X, K):
    """2-D cross-correlation of ``X`` (h, w) with the kernel ``K`` (kh, kw).

    Returns:
        a tensor of shape (h - kh + 1, w - kw + 1) on ``X``'s device, with ``X``'s dtype
        (integer inputs give an integer result).
    """
    # BEGIN SOLUTION
    h, w = K.shape
    Y = X.new_zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
    # END SOLUTION


class Conv2D(nn.Module):
    """A convolutional layer built on ``corr2d``.

    ``Conv2D(kernel_size)`` with ``kernel_size`` a pair (kh, kw) has two parameters:
    ``weight`` of shape ``kernel_size`` (random initial values, your choice) and ``bias`` of
    shape (1,) (initially zero).  ``forward(x)`` with ``x`` of shape (h, w) returns
    ``corr2d(x, weight) + bias``.
    """

    def __init__(self, kernel_size):
        super().__init__()
        # BEGIN SOLUTION
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))
        # END SOLUTION

    def forward(self, x):
        # BEGIN SOLUTION
        return corr2d(x, self.weight) + self.bias
        # END SOLUTION


def learn_kernel(X, Y, kernel_size=(1, 2), lr=3e-2, epochs=10):
    """Learn the kernel ``K`` of shape ``kernel_size`` with ``corr2d(X, K) ≈ Y`` by gradient descent.

    ``X`` and ``Y`` are either 2-D (h, w) or shaped (1, 1, h, w).  Each epoch: one forward
    pass over the whole image, loss = summed squared error ``((Y_hat - Y) ** 2).sum()``,
    backward, then ``K -= lr * K.grad`` (without tracking it) and zero the gradient.  The
    starting kernel is your choice (random or zeros).  No bias is learned.

    Returns:
        the learned kernel, a tensor of shape ``kernel_size`` (detached from the graph).
        For the notes' example (an image with a dark vertical band and ``Y = corr2d(X,
        [[1, -1]])``) it ends close to ``[[1, -1]]``.
    """
    # BEGIN SOLUTION
    X = X.reshape(X.shape[-2:])
    Y = Y.reshape(Y.shape[-2:])
    K = torch.rand(kernel_size, dtype=X.dtype, device=X.device, requires_grad=True)
    for _ in range(epochs):
        loss = ((corr2d(X, K) - Y) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            K -= lr * K.grad
        K.grad.zero_()
    return K.detach()
    # END SOLUTION


def conv_output_shape(input_hw, kernel_hw, padding=(0, 0), stride=(1, 1)):
    """The (height, width) of a convolution's output, as nn.Conv2d computes it.

    ``padding`` is added on *each* side (ph rows above and below, pw columns left and
    right); ``stride`` is the step (sh, sw).  All arguments are pairs of ints.

    Returns:
        a tuple of two Python ints.
    """
    # BEGIN SOLUTION
    (h, w), (kh, kw), (ph, pw), (sh, sw) = input_hw, kernel_hw, padding, stride
    return ((h - kh + 2 * ph) // sh + 1, (w - kw + 2 * pw) // sw + 1)
    # END SOLUTION


def corr2d_multi_in(X, K):
    """Cross-correlation with several input channels.

    ``X`` (c_i, h, w), ``K`` (c_i, kh, kw): correlate each channel of ``X`` with the
    matching channel of ``K`` and add the results up.

    Returns:
        a tensor of shape (h - kh + 1, w - kw + 1).
    """
    # BEGIN SOLUTION
    return torch.stack([corr2d(x, k) for x, k in zip(X, K)]).sum(dim=0)
    # END SOLUTION


def corr2d_multi_in_out(X, K):
    """Cross-correlation with several input and output channels.

    ``X`` (c_i, h, w), ``K`` (c_o, c_i, kh, kw): output channel ``o`` is
    ``corr2d_multi_in(X, K[o])``.

    Returns:
        a tensor of shape (c_o, h - kh + 1, w - kw + 1).
    """
    # BEGIN SOLUTION
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)
    # END SOLUTION


def corr2d_multi_in_out_1x1(X, K):
    """A 1×1 convolution as one matrix product.

    ``X`` (c_i, h, w), ``K`` (c_o, c_i, 1, 1): equal to ``corr2d_multi_in_out(X, K)``, but
    computed with a single matmul of the (c_o, c_i) kernel matrix and the (c_i, h * w) input.

    Returns:
        a tensor of shape (c_o, h, w).
    """
    # BEGIN SOLUTION
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    Y = torch.matmul(K, X)
    return Y.reshape((c_o, h, w))
    # END SOLUTION


def corr2d_strided(X, K, padding=(0, 0), stride=(1, 1)):
    """Cross-correlation of ``X`` (h, w) with ``K`` (kh, kw), with zero padding and a stride.

    ``padding`` (ph, pw) adds ph rows of zeros above *and* below, pw columns left *and*
    right; ``stride`` (sh, sw) moves the window sh rows / sw columns at a time.  The result
    equals ``F.conv2d(X[None, None], K[None, None], padding=padding, stride=stride)[0, 0]``
    (which you may not call here).

    Returns:
        a tensor of shape ``conv_output_shape(X.shape, K.shape, padding, stride)``.
    """
    # BEGIN SOLUTION
    (ph, pw), (sh, sw) = padding, stride
    h, w = X.shape
    kh, kw = K.shape
    Xp = X.new_zeros((h + 2 * ph, w + 2 * pw))
    Xp[ph:ph + h, pw:pw + w] = X
    Y = X.new_zeros(((h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (Xp[i * sh:i * sh + kh, j * sw:j * sw + kw] * K).sum()
    return Y
    # END SOLUTION
