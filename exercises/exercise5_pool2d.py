"""Exercise 5 — pooling: maximum and average over sliding windows.

A pooling layer slides a window of ``pool_size`` (ph, pw) over its input and outputs the
maximum (``mode="max"``) or the mean (``mode="avg"``) of each window.  It has no
parameters.

Rules for this file:

* no pooling or convolution built-ins (``F.max_pool2d``, ``F.avg_pool2d``, ``nn.MaxPool2d``,
  ``F.conv2d``, ...): the grader detects them, statically and while your code runs.  Loops,
  slicing, ``max``/``amax``, ``mean``, ``Tensor.unfold``/``F.unfold``, ``F.pad`` and
  ``as_strided`` are all fine — vectorised solutions are welcome;
* inputs are floating point; outputs keep the input's device and dtype (create new tensors
  with ``X.new_zeros(...)`` or ``torch.zeros(..., device=X.device, dtype=X.dtype)``);
* results must be differentiable (max routes the gradient to the window's maximum, avg
  spreads it evenly), and inputs must not be modified.

Check your work with ``grade exercise5``.
"""
import torch


def pool2d(X, pool_size, mode="max"):
    """Max or average pooling of ``X`` (h, w) with window ``pool_size`` (ph, pw) and stride 1.

    Returns:
        a tensor of shape (h - ph + 1, w - pw + 1), on ``X``'s device with ``X``'s dtype.
    """
    raise NotImplementedError("pool2d: write your solution here")


def pool2d_strided(X, pool_size, stride=None, padding=(0, 0), mode="max"):
    """Pooling with a stride and padding, on ``X`` of shape (h, w) or (c, h, w).

    ``stride`` (sh, sw) defaults to ``pool_size`` (windows that do not overlap).
    ``padding`` (ph, pw) adds ph rows above *and* below and pw columns left *and* right:
    for ``"max"`` the padding never wins (pad with -inf); for ``"avg"`` it counts as zeros
    and every window is divided by ph·pw (``count_include_pad=True``).  Each channel is
    pooled separately.  The result equals ``F.max_pool2d`` / ``F.avg_pool2d`` with the same
    arguments (which you may not call here).

    Returns:
        a tensor of shape ([c,] (h + 2 ph - kh) // sh + 1, (w + 2 pw - kw) // sw + 1).
    """
    raise NotImplementedError("pool2d_strided: write your solution here")
