"""Exercise 0 — warm-up: losses, activations, softmax and cross-entropy in PyTorch.

Write each function with elementary tensor operations (``torch.exp``, ``torch.log``,
``abs``, ``where``, ``max``, ``sum``, ``mean``, indexing...).  The grader compares every
function with PyTorch's own version (``F.l1_loss``, ``F.huber_loss``, ``torch.sigmoid``,
``F.softmax``, ``F.cross_entropy``...) on random inputs, and also compares the gradients
that autograd computes *through your function* with the true ones.

Rules for every function in this file:

* keep the input's dtype (float32 in, float32 out; float64 in, float64 out) and device;
* stay differentiable: no ``.item()``, ``.numpy()``, ``.detach()`` or ``.data`` on the way
  from the inputs to the result, so that autograd can reach the inputs;
* do not modify the inputs (no in-place operations such as ``x -= ...`` on them);
* be numerically stable where a docstring says so: large inputs such as ``x = -1000`` must
  give finite, correct values *and* finite gradients (no ``nan``, no ``inf``).

``reduction`` is one of ``"mean"`` (average over every element: a 0-dim tensor),
``"sum"`` (a 0-dim tensor) or ``"none"`` (the elementwise losses, same shape as the input).

Check your work with ``grade exercise0``.
"""
import torch


def _reduce(losses, reduction):
    """Apply ``reduction`` (``"mean"``, ``"sum"`` or ``"none"``) to elementwise ``losses``."""
    # BEGIN SOLUTION
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    if reduction == "none":
        return losses
    raise ValueError(f"unknown reduction {reduction!r}")
    # END SOLUTION


def l1_loss(y_hat, y, reduction="mean"):
    """L1 loss: ``|y_hat - y|``, then ``reduction``.  Same as ``F.l1_loss``.

    Args:
        y_hat: predictions, a floating-point tensor of any shape.
        y: targets, same shape and dtype.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
    """
    # BEGIN SOLUTION
    return _reduce((y_hat - y).abs(), reduction)
    # END SOLUTION


def l2_loss(y_hat, y, reduction="mean"):
    """Squared loss with the ½ of the notes: ``0.5 * (y_hat - y) ** 2``, then ``reduction``.

    Note the ½: this is ``0.5 * F.mse_loss(y_hat, y, reduction=...)``.
    """
    # BEGIN SOLUTION
    return _reduce(0.5 * (y_hat - y) ** 2, reduction)
    # END SOLUTION


def huber_loss(y_hat, y, delta=1.0, reduction="mean"):
    """Huber loss, as ``F.huber_loss(y_hat, y, delta=delta, reduction=...)``.

    With ``d = y_hat - y``, elementwise::

        0.5 * d ** 2                 if |d| <= delta
        delta * (|d| - 0.5 * delta)  otherwise

    (for ``delta = 1`` the notes' ``½ d²`` / ``|d| − ½``), then ``reduction``.
    ``delta`` is a positive Python float.
    """
    # BEGIN SOLUTION
    d = (y_hat - y).abs()
    return _reduce(torch.where(d <= delta, 0.5 * d ** 2, delta * (d - 0.5 * delta)), reduction)
    # END SOLUTION


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, elementwise, numerically stable.

    The formula as written overflows for large negative ``x`` (``exp(1000)`` is ``inf``, and
    the gradient becomes ``nan``).  Take ``exp`` of non-positive numbers only:
    ``1 / (1 + exp(-x))`` where ``x >= 0`` and ``exp(x) / (1 + exp(x))`` where ``x < 0``.
    Careful: ``torch.where`` computes both branches, and an ``inf`` in the branch it does not
    pick still makes the gradient ``nan``, so give each branch only safe inputs
    (``x.clamp(min=0)`` for the first, ``x.clamp(max=0)`` for the second).
    Must give finite values and gradients for ``|x|`` up to 1000 and beyond, in float32 too.
    Do not call ``torch.sigmoid`` (that is what you are comparing against).
    """
    # BEGIN SOLUTION
    e_neg = torch.exp(x.clamp(max=0))
    return torch.where(x >= 0, 1 / (1 + torch.exp(-x.clamp(min=0))), e_neg / (1 + e_neg))
    # END SOLUTION


def tanh(x):
    """Hyperbolic tangent, elementwise, built from ``exp`` and numerically stable.

    ``(exp(x) - exp(-x)) / (exp(x) + exp(-x))`` gives ``inf / inf = nan`` at ``|x| = 100``
    in float32.  Use an equivalent form that only takes ``exp`` of non-positive numbers
    (e.g. ``tanh(x) = 2 * sigmoid(2x) - 1`` with your stable sigmoid).  Do not call
    ``torch.tanh``.
    """
    # BEGIN SOLUTION
    return 2 * sigmoid(2 * x) - 1
    # END SOLUTION


def relu(x):
    """Rectified linear unit ``max(x, 0)``, elementwise (``torch.relu``)."""
    # BEGIN SOLUTION
    return x.clamp(min=0)
    # END SOLUTION


def softmax(x, dim=-1):
    """Softmax along dimension ``dim`` (default: the last), numerically stable.

    ``exp(x) / exp(x).sum(dim, keepdim=True)``, but first subtract the maximum along ``dim``
    (``x.max(dim, keepdim=True).values``): the result is the same, and ``exp`` can no
    longer overflow (logits of 1000 must work).  Same shape as ``x``; every slice along
    ``dim`` sums to 1.  Do not call ``torch.softmax`` / ``F.softmax``.
    """
    # BEGIN SOLUTION
    e = torch.exp(x - x.max(dim=dim, keepdim=True).values)
    return e / e.sum(dim=dim, keepdim=True)
    # END SOLUTION


def cross_entropy(logits, target, reduction="mean"):
    """Cross-entropy of raw scores and integer class labels, as ``F.cross_entropy``.

    Args:
        logits: unnormalised scores, shape (N, C), floating point.
        target: class indices, shape (N,), dtype int64, values in ``0..C-1``.
        reduction: ``"mean"`` (average over the N samples), ``"sum"`` or ``"none"``
            (shape (N,)).

    Per sample: ``-log(softmax(logits)[target])`` = ``logsumexp(logits) - logits[target]``.
    Compute the log-sum-exp stably (subtract the row maximum first): logits of ±1000 must
    give finite losses and gradients.  Do not call ``F.cross_entropy`` / ``F.log_softmax``.
    """
    # BEGIN SOLUTION
    m = logits.max(dim=1, keepdim=True).values
    log_z = m.squeeze(1) + torch.log(torch.exp(logits - m).sum(dim=1))
    picked = logits.gather(1, target.unsqueeze(1)).squeeze(1)
    return _reduce(log_z - picked, reduction)
    # END SOLUTION


def binary_cross_entropy(p, y, reduction="mean"):
    """Binary cross-entropy of probabilities, as ``F.binary_cross_entropy``.

    Elementwise ``-(y * log(p) + (1 - y) * log(1 - p))`` for probabilities ``p`` in (0, 1)
    and targets ``y`` in [0, 1] (same shape), then ``reduction``.  Like PyTorch, clamp each
    ``log`` at -100 (``torch.clamp(torch.log(p), min=-100)``) so ``p = 0`` or ``1`` stays finite.
    """
    # BEGIN SOLUTION
    log_p = torch.clamp(torch.log(p), min=-100)
    log_1mp = torch.clamp(torch.log(1 - p), min=-100)
    return _reduce(-(y * log_p + (1 - y) * log_1mp), reduction)
    # END SOLUTION


def flatten(X):
    """Flatten every dimension but the first (the batch): shape (N, d1, d2, ...) -> (N, d1*d2*...).

    As ``torch.flatten(X, start_dim=1)``.  ``X`` may be non-contiguous (e.g. transposed):
    use ``reshape``, not ``view``.  ``X`` has at least two dimensions.
    """
    # BEGIN SOLUTION
    return X.reshape(X.shape[0], -1)
    # END SOLUTION
