"""exercise0 — warm-up: losses, activations, softmax, cross-entropy, flatten.

100 points.  The oracles are PyTorch's own functions, run here in the parent: every value
and every gradient that autograd computes *through the student's function* (in the worker,
``autograd:call_with_grad_watched``) is compared with them, in float32 and float64, for
several shapes and all three reductions.  Two checks grade numerical stability at |x| of
100 and 1000 (finite values, finite gradients, no warnings); one that outputs stay on the
inputs' device (``check_device``: a real GPU when there is one, else a fake device).
Known wrong implementations
are recognised by their outputs (values or gradients), computed here from their formulas.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from autograder.checks import (_, CheckFailed, Mistake, check, check_device, expect, expect_inputs_unchanged,
                               note_method, randn, weighted_sum)

REDUCTIONS = ("mean", "sum", "none")
ARGS = {  # positional argument names, for messages
    "l1_loss": ("y_hat", "y"), "l2_loss": ("y_hat", "y"), "huber_loss": ("y_hat", "y"),
    "sigmoid": ("x",), "tanh": ("x",), "relu": ("x",), "softmax": ("x",),
    "cross_entropy": ("logits", "target"), "binary_cross_entropy": ("p", "y"), "flatten": ("X",),
}
# (shape, dtype) cases for the elementwise functions
CASES = (((4, 5), torch.float32), ((2, 3, 4), torch.float64), ((7,), torch.float32))

SIGMOID_NAIVE_HINT = _("1 / (1 + exp(-x)) overflows for large negative x: exp(1000) is inf and the "
                       "gradient becomes nan. Take exp of non-positive numbers only: 1 / (1 + exp(-x)) "
                       "where x >= 0, exp(x) / (1 + exp(x)) where x < 0, each branch fed a clamped x (see "
                       "the docstring)")
TANH_NAIVE_HINT = _("(exp(x) - exp(-x)) / (exp(x) + exp(-x)) is inf / inf = nan for large |x|: use "
                    "tanh(x) = 2 * sigmoid(2x) - 1 with a stable sigmoid")
SOFTMAX_NAIVE_HINT = _("subtract the maximum along dim before exp: exp(x - x.max(dim, "
                       "keepdim=True).values); exp(1000) overflows to inf and inf / inf is nan")
CE_NAIVE_HINT = _("log(softmax(logits)) breaks for large logits (exp overflows, or log(0) = -inf for an "
                  "unlikely class): compute logsumexp(logits) - logits[target], with the row maximum "
                  "subtracted inside the logsumexp")
WARNING_HINT = _("stay in torch (no numpy, no math) and take exp of non-positive numbers only")


# ---------------------------------------------------------------- helpers

def describe(func, args, kwargs, seed):
    shown = ", ".join(ARGS[func][: len(args)]) + "".join(f", {k}={v!r}" for k, v in kwargs.items())
    shape = tuple(args[0].shape)
    return _("{func}({shown}) with {value} of shape {shape} {removeprefix} (seed {seed})", func=func,
             shown=shown, value=ARGS[func][0], shape=shape,
             removeprefix=str(args[0].dtype).removeprefix('torch.'), seed=seed)


def _leaves(args, wrt):
    return [a.clone().requires_grad_(True) if i in wrt else a.clone() for i, a in enumerate(args)]


def _value_and_grads(fn, args, kwargs, wrt, upstream):
    """``fn(*args)`` and the gradients of ``<fn(*args), upstream>`` w.r.t. ``args[wrt]``, in the parent."""
    leaves = _leaves(args, wrt)
    out = fn(*leaves, **kwargs)
    grads = None
    if out.requires_grad and out.shape == upstream.shape:
        found = torch.autograd.grad(weighted_sum(out, upstream), [leaves[i] for i in wrt], allow_unused=True)
        grads = None if any(g is None for g in found) else tuple(g.detach() for g in found)
    return out.detach(), grads


def graded_call(student, seed, rng, func, args, kwargs=None, *, truth, wrt=(0,), wrong=()):
    """Call the student's ``func`` through autograd in the worker; compare its value, then the
    gradients of ``<result, upstream>`` (random upstream), with those of ``truth`` (torch's own).

    ``wrong`` is a list of ``(hint, fn)``: known wrong implementations, recognised by their
    value or, when the values agree, by their gradients.
    """
    kwargs = dict(kwargs or {})
    wrt = list(wrt)
    name = describe(func, args, kwargs, seed)
    shape_of = truth(*args, **kwargs)
    upstream = randn(rng, *shape_of.shape, dtype=shape_of.dtype)
    expected, expected_grads = _value_and_grads(truth, args, kwargs, wrt, upstream)
    value_mistakes, grad_mistakes = [], []
    for hint, fn in wrong:
        try:
            out, grads = _value_and_grads(fn, args, kwargs, wrt, upstream)
        except (RuntimeError, ValueError, IndexError):
            continue
        value_mistakes.append(Mistake(hint, out))
        if grads is not None:
            grad_mistakes.append(Mistake(hint, grads))
    reply = student.drive("autograd:call_with_grad_watched", func, list(args), kwargs, wrt=wrt, grad_output=upstream)
    expect(reply["result"], expected, name=name, mistakes=value_mistakes)
    if reply["warnings"]:
        raise CheckFailed(_("{name}: raised warnings: {warnings}", name=name, warnings="; ".join(reply["warnings"])),
                          WARNING_HINT)
    names = [ARGS[func][i] for i in wrt]
    for arg, grad in zip(names, reply["grads"]):
        if grad is None:
            raise CheckFailed(_("{name}: no gradient reaches {arg}: autograd cannot follow your computation",
                                name=name, arg=arg),
                              _("stay in torch on the way from the inputs to the result: no .item(), "
                                ".numpy(), .detach(), .data or torch.tensor(...) of intermediate values"))
    for k, (arg, grad, want) in enumerate(zip(names, reply["grads"], expected_grads)):
        expect(grad, want, name=_("{name}: its gradient w.r.t. {arg}", name=name, arg=arg),
               mistakes=[Mistake(m.hint, m.output[k]) for m in grad_mistakes])


def other_reductions(truth, reduction):
    """Known mistakes: returning another reduction than the one asked for."""
    return [(_("reduction={reduction!r} was asked for, but you returned the {other!r} reduction: 'mean' "
               "averages every element, 'sum' adds them, 'none' returns them elementwise", reduction=reduction,
               other=other),
             lambda *a, _o=other, **k: truth(*a, **{**k, "reduction": _o}))
            for other in REDUCTIONS if other != reduction]


def loss_cases(rng):
    """(y_hat, y) pairs: three shapes, float32 and float64, differences of both signs."""
    for shape, dtype in CASES:
        yield randn(rng, *shape, dtype=dtype, scale=2.0), randn(rng, *shape, dtype=dtype)


# ---------------------------------------------------------------- losses

@check(points=7, hint=_("|y_hat - y|, then the reduction ('mean', 'sum' or 'none')"))
def test_l1_loss(student, rng, seed):
    for y_hat, y in loss_cases(rng):
        for reduction in REDUCTIONS:
            graded_call(student, seed, rng, "l1_loss", [y_hat, y], {"reduction": reduction}, wrt=(0, 1),
                        truth=F.l1_loss, wrong=other_reductions(F.l1_loss, reduction))


def _half_mse(y_hat, y, reduction="mean"):
    return 0.5 * F.mse_loss(y_hat, y, reduction=reduction)


@check(points=7, hint=_("0.5 * (y_hat - y) ** 2, then the reduction"))
def test_l2_loss(student, rng, seed):
    for y_hat, y in loss_cases(rng):
        for reduction in REDUCTIONS:
            graded_call(student, seed, rng, "l2_loss", [y_hat, y], {"reduction": reduction}, wrt=(0, 1),
                        truth=_half_mse, wrong=[
                            (_("the notes' L2 loss has a ½: 0.5 * (y_hat - y) ** 2 (yours is twice too "
                               "large)"),
                             lambda a, b, reduction: F.mse_loss(a, b, reduction=reduction)),
                            *other_reductions(_half_mse, reduction)])


def _huber(y_hat, y, delta=1.0, reduction="mean"):
    return F.huber_loss(y_hat, y, delta=delta, reduction=reduction)


def _huber_like(small, large):
    """A Huber variant from elementwise formulas of d = |y_hat - y| (known wrong versions)."""
    def fn(y_hat, y, delta=1.0, reduction="mean"):
        d = (y_hat - y).abs()
        losses = torch.where(d <= delta, small(d, delta), large(d, delta))
        return {"mean": losses.mean, "sum": losses.sum, "none": lambda: losses}[reduction]()
    return fn


HUBER_MISTAKES = [
    (_("the branches are swapped: ½ d² is for the small errors (|d| <= delta), delta * (|d| - ½ delta) for "
       "the large ones"), _huber_like(lambda d, t: t * (d - 0.5 * t), lambda d, t: 0.5 * d ** 2)),
    (_("the linear branch is delta * (|d| - 0.5 * delta): the ½ multiplies delta (the notes' |d| - ½ is "
       "the case delta = 1)"), _huber_like(lambda d, t: 0.5 * d ** 2, lambda d, t: t * (d - 0.5))),
    (_("the linear branch is delta * (|d| - 0.5 * delta): you left out the factor delta in front"),
     _huber_like(lambda d, t: 0.5 * d ** 2, lambda d, t: d - 0.5 * t)),
    (_("the linear branch is delta * (|d| - 0.5 * delta), with 0.5 * delta subtracted, not delta"),
     _huber_like(lambda d, t: 0.5 * d ** 2, lambda d, t: t * (d - t))),
    (_("that is the smooth L1 loss (Huber divided by delta): Huber's quadratic branch is 0.5 * d ** 2, and its "
       "linear branch delta * (|d| - 0.5 * delta)"),
     _huber_like(lambda d, t: 0.5 * d ** 2 / t, lambda d, t: d - 0.5 * t)),
]


@check(points=8, hint=_("0.5 * d ** 2 where |d| <= delta, delta * (|d| - 0.5 * delta) elsewhere "
                        "(torch.where), then the reduction"))
def test_huber_loss(student, rng, seed):
    for delta in (1.0, 1.5):
        for y_hat, y in loss_cases(rng):
            for reduction in REDUCTIONS:
                graded_call(student, seed, rng, "huber_loss", [y_hat, y], {"delta": delta, "reduction": reduction},
                            wrt=(0, 1), truth=_huber, wrong=[*HUBER_MISTAKES, *other_reductions(_huber, reduction)])
    # exactly at the kink |d| = delta (dyadic numbers: the difference is exact in float32)
    y = torch.tensor([0.25, -0.5, 1.0, 0.0, -2.0, 0.75], dtype=torch.float32)
    y_hat = y + torch.tensor([1.5, -1.5, 1.5, -1.5, 0.5, 3.0], dtype=torch.float32)
    graded_call(student, seed, rng, "huber_loss", [y_hat, y], {"delta": 1.5, "reduction": "none"}, wrt=(0, 1),
                truth=_huber, wrong=HUBER_MISTAKES)


# ---------------------------------------------------------------- activations

def activation_cases(rng):
    for shape, dtype in CASES:
        yield randn(rng, *shape, dtype=dtype, scale=3.0)


@check(points=8, hint=_("1 / (1 + exp(-x)), written so that exp never overflows (see the docstring)"))
def test_sigmoid(student, rng, seed):
    for x in activation_cases(rng):
        graded_call(student, seed, rng, "sigmoid", [x], truth=torch.sigmoid)


@check(points=8, hint=_("tanh(x) = 2 * sigmoid(2x) - 1 = (1 - exp(-2x)) / (1 + exp(-2x))"))
def test_tanh(student, rng, seed):
    for x in activation_cases(rng):
        graded_call(student, seed, rng, "tanh", [x], truth=torch.tanh, wrong=[
            (_("that is the sigmoid, not tanh: tanh(x) = 2 * sigmoid(2x) - 1"), torch.sigmoid)])


@check(points=5, hint=_("max(x, 0) elementwise: x.clamp(min=0)"))
def test_relu(student, rng, seed):
    for x in activation_cases(rng):
        graded_call(student, seed, rng, "relu", [x], truth=torch.relu, wrong=[
            (_("ReLU keeps positive values and zeroes the negative ones (you kept the negative ones)"),
             lambda x: x.clamp(max=0))])


# ---------------------------------------------------------------- softmax and cross-entropy

def softmax_mistakes(x, dim):
    own = dim % x.dim()
    wrong = [(_("softmax over the wrong dimension: normalise along dim={dim} (each slice along dim sums to 1), "
                "not along dim={other}; use the dim argument in max, exp-sum and keepdim=True", dim=dim,
                other=other),
              lambda x, _d=other, **k: F.softmax(x, dim=_d)) for other in range(x.dim()) if other != own]
    wrong.append((_("you normalised over every element at once: sum along dim only, with keepdim=True"),
                  lambda x, **k: torch.exp(x - x.max()) / torch.exp(x - x.max()).sum()))
    return wrong


@check(points=9, hint=_("e = exp(x - max along dim); e / e.sum(dim, keepdim=True)"))
def test_softmax(student, rng, seed):
    for shape, dtype, dim in (((4, 5), torch.float32, None), ((3, 4, 5), torch.float64, 1),
                              ((3, 4, 5), torch.float32, 0), ((2, 6), torch.float64, 0)):
        x = randn(rng, *shape, dtype=dtype, scale=2.0)
        kwargs = {} if dim is None else {"dim": dim}
        graded_call(student, seed, rng, "softmax", [x], kwargs, truth=F.softmax if dim is not None else
                    (lambda x: F.softmax(x, dim=-1)), wrong=softmax_mistakes(x, -1 if dim is None else dim))


def _ce(logits, target, reduction="mean"):
    return F.cross_entropy(logits, target, reduction=reduction)


CE_SUM_HINT = _("cross_entropy averages over the N samples when reduction='mean': take .mean() of the "
                "per-sample losses (you summed them)")


def ce_mistakes(reduction):
    wrong = [(CE_SUM_HINT, lambda lg, t, reduction: _ce(lg, t, "sum"))] if reduction == "mean" else []
    wrong.append((_("that is logsumexp(logits) + logits[target]: the loss is logsumexp(logits) - "
                    "logits[target]"),
                  lambda lg, t, reduction: _ce(lg, t, reduction) + 2 * _pick(lg, t, reduction)))
    return wrong + other_reductions(_ce, reduction)


def _pick(logits, target, reduction):
    picked = logits.gather(1, target.unsqueeze(1)).squeeze(1)
    return {"mean": picked.mean, "sum": picked.sum, "none": lambda: picked}[reduction]()


@check(points=9, hint=_("per sample: logsumexp(logits) - logits[target] (max subtracted inside the "
                        "logsumexp); then the reduction over the N samples"))
def test_cross_entropy(student, rng, seed):
    for (n, c), dtype in (((6, 4), torch.float32), ((5, 3), torch.float64), ((1, 10), torch.float32)):
        logits = randn(rng, n, c, dtype=dtype, scale=2.0)
        target = torch.from_numpy(rng.integers(0, c, size=n)).to(torch.int64)
        for reduction in REDUCTIONS:
            graded_call(student, seed, rng, "cross_entropy", [logits, target], {"reduction": reduction},
                        truth=_ce, wrong=ce_mistakes(reduction))


def _bce(p, y, reduction="mean"):
    return F.binary_cross_entropy(p, y, reduction=reduction)


@check(points=8, hint=_("-(y * log(p) + (1 - y) * log(1 - p)), each log clamped at -100, then the reduction"))
def test_binary_cross_entropy(student, rng, seed):
    for shape, dtype in CASES:
        p = torch.from_numpy(rng.uniform(0.05, 0.95, size=shape)).to(dtype)
        y = torch.from_numpy(rng.integers(0, 2, size=shape).astype(np.float64)).to(dtype)
        if shape == (7,):
            y = torch.from_numpy(rng.uniform(0, 1, size=shape)).to(dtype)  # soft targets
        for reduction in REDUCTIONS:
            graded_call(student, seed, rng, "binary_cross_entropy", [p, y], {"reduction": reduction}, truth=_bce,
                        wrong=[(_("the loss is the *negative* log-likelihood: -(y log p + (1 - y) log(1 - "
                                  "p))"),
                                lambda p, y, reduction: -_bce(p, y, reduction)),
                               *other_reductions(_bce, reduction)])
    # the documented edge: p = 0 or 1 stays finite because each log is clamped at -100 (as PyTorch)
    p = torch.tensor([0.0, 1.0, 0.5, 1.0, 0.0])
    y = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0])
    expect(student.binary_cross_entropy(p, y, reduction="none"), _bce(p, y, "none"),
           name=_("binary_cross_entropy(p, y, reduction='none') with p = [0, 1, 0.5, 1, 0], y = [0, 1, 1, "
                  "0, 1] (each log clamped at -100, so p = 0 or 1 costs at most 100)"), rtol=1e-6, atol=1e-5)


@check(points=6, hint=_("keep the batch dimension: X.reshape(X.shape[0], -1)"))
def test_flatten(student, rng, seed):
    for x in (randn(rng, 2, 3, 4), randn(rng, 3, 2, 2, 5, dtype=torch.float64),
              randn(rng, 4, 3, 2).transpose(0, 2), randn(rng, 5, 3, dtype=torch.float64)):
        graded_call(student, seed, rng, "flatten", [x], truth=lambda X: torch.flatten(X, start_dim=1), wrong=[
            (_("flatten keeps dimension 0 (the batch): (N, d1, d2, ...) -> (N, d1*d2*...); you flattened "
               "everything into one dimension"), lambda X: X.reshape(-1)),
            (_("flatten keeps dimension 0 (the batch) and merges all the others: reshape(X.shape[0], -1)"),
             lambda X: X.reshape(-1, X.shape[-1]))])


# ---------------------------------------------------------------- numerical stability

def extreme_inputs(dtype):
    values = [-1000.0, -700.0, -100.0, -40.0, -0.5, 0.25, 40.0, 100.0, 700.0, 1000.0]
    return torch.tensor(values, dtype=dtype).reshape(2, 5)


def _naive_sigmoid(x):
    return 1 / (1 + torch.exp(-x))


def _naive_tanh(x):
    return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))


@check(points=8, hint=_("large |x| must give finite values and gradients: take exp of non-positive numbers "
                        "only"))
def test_stable_sigmoid_tanh(student, rng, seed):
    for dtype in (torch.float32, torch.float64):
        x = extreme_inputs(dtype)
        graded_call(student, seed, rng, "sigmoid", [x], truth=torch.sigmoid,
                    wrong=[(SIGMOID_NAIVE_HINT, _naive_sigmoid)])
        graded_call(student, seed, rng, "tanh", [x], truth=torch.tanh, wrong=[
            (TANH_NAIVE_HINT, _naive_tanh),
            (_("tanh from a sigmoid that overflows: {hint}", hint=SIGMOID_NAIVE_HINT),
             lambda x: 2 * _naive_sigmoid(2 * x) - 1)])


def _naive_softmax(x, dim=-1):
    return torch.exp(x) / torch.exp(x).sum(dim=dim, keepdim=True)


@check(points=8, hint=_("subtract the maximum along the softmax dimension before exp (also inside "
                        "cross_entropy's logsumexp): logits of ±1000 must work"))
def test_stable_softmax_cross_entropy(student, rng, seed):
    for dtype in (torch.float32, torch.float64):
        for scale in (100.0, 1000.0):
            logits = randn(rng, 4, 5, dtype=dtype, scale=scale)
            graded_call(student, seed, rng, "softmax", [logits], truth=lambda x: F.softmax(x, dim=-1),
                        wrong=[(SOFTMAX_NAIVE_HINT, _naive_softmax), *softmax_mistakes(logits, -1)])
            target = torch.from_numpy(rng.integers(0, 5, size=4)).to(torch.int64)
            for reduction in ("none", "sum"):  # the choice of reduction is test_cross_entropy's business
                graded_call(student, seed, rng, "cross_entropy", [logits, target], {"reduction": reduction},
                            truth=_ce, wrong=[
                                (CE_NAIVE_HINT, lambda lg, t, reduction: F.nll_loss(torch.log(_naive_softmax(lg)), t,
                                                                                     reduction=reduction)),
                                (CE_NAIVE_HINT, lambda lg, t, reduction: F.nll_loss(torch.log(F.softmax(lg, -1)), t,
                                                                                     reduction=reduction)),
                                *ce_mistakes(reduction)])


# ---------------------------------------------------------------- contract

@check(points=4, hint=_("compute new tensors; never write into the inputs (no x -= ..., x[...] = ..., "
                        "x.clamp_())"))
def test_inputs_unchanged(student, rng):
    y_hat, y = randn(rng, 4, 5, dtype=torch.float64, scale=2.0), randn(rng, 4, 5, dtype=torch.float64)
    x = randn(rng, 3, 4, scale=3.0)
    p = torch.from_numpy(rng.uniform(0.05, 0.95, size=(4, 5)))
    target = torch.tensor([0, 2, 1], dtype=torch.int64)
    calls = [("l1_loss", (y_hat, y)), ("l2_loss", (y_hat, y)), ("huber_loss", (y_hat, y)), ("sigmoid", (x,)),
             ("tanh", (x,)), ("relu", (x,)), ("softmax", (x,)), ("cross_entropy", (x, target)),
             ("binary_cross_entropy", (p, y.abs().clamp(max=1))), ("flatten", (x,))]
    for func, args in calls:
        expect_inputs_unchanged(student.args_after, func, args, names=list(ARGS[func]))


@check(points=5, timeout=60, hint=_("create no tensors of your own, or create them on the input's device "
                                    "(torch.zeros_like(x), x.new_zeros(...), torch.arange(n, "
                                    "device=x.device))"))
def test_device(student, rng, seed, note):
    x = randn(rng, 3, 4)
    y = randn(rng, 3, 4)
    p = torch.from_numpy(rng.uniform(0.05, 0.95, size=(3, 4))).to(torch.float32)
    target = torch.tensor([0, 3, 1], dtype=torch.int64)
    calls = [("l1_loss", (x, y)), ("l2_loss", (x, y)), ("huber_loss", (x, y)), ("sigmoid", (x,)), ("tanh", (x,)),
             ("relu", (x,)), ("softmax", (x,)), ("cross_entropy", (x, target)), ("binary_cross_entropy", (p, y.abs().clamp(max=1))),
             ("flatten", (x.reshape(3, 2, 2),))]
    method = None
    for func, args in calls:
        method = check_device(student, func, list(args), name=describe(func, args, {}, seed), note=note)
    note_method(note, method)
