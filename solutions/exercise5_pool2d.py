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
    # BEGIN SOLUTION
    p_h, p_w = pool_size
    Y = X.new_zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == "max":
                Y[i, j] = X[i:i + p_h, j:j + p_w].max()
            elif mode == "avg":
                Y[i, j] = X[i:i + p_h, j:j + p_w].mean()
    return Y
    # END SOLUTION


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
    # BEGIN SOLUTION
    (kh, kw), (ph, pw) = pool_size, padding
    sh, sw = pool_size if stride is None else stride
    squeeze = X.dim() == 2
    if squeeze:
        X = X.unsqueeze(0)
    c, h, w = X.shape
    fill = float("-inf") if mode == "max" else 0.0
    Xp = X.new_full((c, h + 2 * ph, w + 2 * pw), fill)
    Xp[:, ph:ph + h, pw:pw + w] = X
    Y = X.new_zeros((c, (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1))
    for i in range(Y.shape[1]):
        for j in range(Y.shape[2]):
            window = Xp[:, i * sh:i * sh + kh, j * sw:j * sw + kw].reshape(c, -1)
            Y[:, i, j] = window.amax(dim=1) if mode == "max" else window.mean(dim=1)
    return Y[0] if squeeze else Y
    # END SOLUTION
