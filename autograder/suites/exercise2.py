"""exercise2 — manual backprop in torch, numerical gradients, the sigmoid net, autograd.

100 points.  Oracles: autograd on the same tensors (run here, in the parent), central finite
differences in float64 (``check_gradient``), the exact gradients of the grader's own test
functions (``autograder.worker.drivers.backprop``) and the reference solution for the training loop.
The ReLU mask convention (``h < 0`` or ``h <= 0``) is never penalised: inputs are continuous
random numbers, where both give the same gradients.
"""
from __future__ import annotations

import re

import numpy as np
import torch
import torch.nn.functional as F

from autograder.checks import (_, TEST_FUNCTIONS, CheckFailed, Mistake, StudentError, TensorValue, as_tensor, check,
                               check_device, check_gradient, compare, describe_type, expect, known_mistake, note_method)

SIZES = (16, 30, 20, 5)  # N, D_in, H, D_out
TOLERANCE = {torch.float32: (1e-5, 1e-4), torch.float64: (1e-7, 1e-7)}  # (rtol, atol) for sums of products

NO_MASK_HINT = _("no gradient flows through inactive ReLUs: zero grad_h where h = x @ w1 is negative")
FACTOR2_HINT = _("your gradients are half the true ones: d/dy_pred of (y_pred - y) ** 2 is 2 * (y_pred - y)")
MEAN_HINT = _("the loss is a sum over every element, not a mean: no division by N")
NO_AUTOGRAD_HINT = _("compute the gradients with tensor operations only (mm, t(), clamp, masks): no "
                     "backward(), no torch.autograd, no requires_grad_()")
FORWARD_DIFF_HINT = _("those are forward differences (f(p + eps) - f(p)) / eps, whose error shrinks only "
                      "like eps: use central differences (f(p + eps) - f(p - eps)) / (2 * eps)")
FIXED_EPS_HINT = _("use the eps argument as the step, not a fixed value of your own")
RESTORE_HINT = _("save each entry before you perturb it and assign the saved value back afterwards (p[i] "
                 "= saved), so every array ends exactly as it started")
NO_GRAD_HINT = _("update the weights inside `with torch.no_grad():` (w -= learning_rate * w.grad): "
                 "outside it, autograd records the update, the weights stop being leaves and their .grad "
                 "is lost")
ZERO_GRAD_HINT = _("zero both gradients after each update (w.grad.zero_()): backward() adds to .grad, so "
                   "your steps use the sum of all the gradients so far")


def net_problem(rng, sizes=SIZES, dtype=torch.float64):
    n, d_in, h, d_out = sizes
    return [as_tensor(rng.standard_normal(shape), dtype) for shape in ((n, d_in), (n, d_out), (d_in, h), (h, d_out))]


def describe(func, args, seed):
    shapes = ", ".join(str(tuple(a.shape)) for a in args)
    return _("{func} on shapes {shapes}, {removeprefix} (seed {seed})", func=func, shapes=shapes,
             removeprefix=str(args[0].dtype).removeprefix('torch.'), seed=seed)


def expect_parts(got, expected, parts, *, name, mistakes=(), rtol=None, atol=None):
    """``expect`` for a returned tuple, naming the part that is wrong (``grad_w1``, not ``[1]``);
    a known mistake is recognised on the whole tuple."""
    if type(got) not in (tuple, list) or len(got) != len(parts):
        expect(got, expected, name=name, rtol=rtol, atol=atol, mistakes=mistakes)
    for part, g, e in zip(parts, got, expected):
        verdict = compare(g, e, name=f"{name}, {part}", rtol=rtol, atol=atol)
        if not verdict.ok:
            raise CheckFailed(verdict.message, known_mistake(got, mistakes, rtol=rtol, atol=atol))


# ---------------------------------------------------------------- 1. forward_backward

def autograd_forward_backward(x, y, w1, w2):
    """The oracle: the loss and autograd's gradients on the same tensors."""
    w1, w2 = w1.clone().requires_grad_(True), w2.clone().requires_grad_(True)
    loss = ((x @ w1).clamp(min=0) @ w2 - y).pow(2).sum()
    g1, g2 = torch.autograd.grad(loss, [w1, w2])
    return float(loss), g1, g2


def forward_backward_mistakes(x, y, w1, w2):
    h = x @ w1
    h_relu = h.clamp(min=0)
    g = 2.0 * (h_relu @ w2 - y)
    loss = float((h_relu @ w2 - y).pow(2).sum())
    return [
        Mistake(NO_MASK_HINT, (loss, x.t() @ (g @ w2.t()), h_relu.t() @ g)),
        Mistake(FACTOR2_HINT, (loss, x.t() @ ((g / 2 @ w2.t()) * (h > 0)), h_relu.t() @ g / 2)),
        Mistake(MEAN_HINT, (loss / y.numel(), x.t() @ ((g @ w2.t()) * (h > 0)) / y.numel(), h_relu.t() @ g / y.numel())),
        Mistake(MEAN_HINT, (loss / len(x), x.t() @ ((g @ w2.t()) * (h > 0)) / len(x), h_relu.t() @ g / len(x))),
    ]


@check(points=12, hint=_("grad_y_pred = 2 (y_pred - y); grad_w2 = h_relu.t() @ grad_y_pred; grad_h = "
                         "grad_y_pred @ w2.t(), zero where h < 0; grad_w1 = x.t() @ grad_h"))
def test_forward_backward(student, rng, seed):
    for dtype in (torch.float64, torch.float32):
        args = net_problem(rng, dtype=dtype)
        rtol, atol = TOLERANCE[dtype]
        got = student.drive("backprop:forward_backward_watched", *args)["result"]
        expect_parts(got, autograd_forward_backward(*args), ("loss", "grad_w1", "grad_w2"),
                     name=describe("forward_backward(x, y, w1, w2)", args, seed),
                     rtol=rtol, atol=atol, mistakes=forward_backward_mistakes(*args))


@check(points=5, hint=_("compare your formulas with the chain rule step by step; the message names one "
                        "entry where your gradient is wrong"))
def test_forward_backward_numerical(student, rng, seed):
    """The oracle is calculus: central differences of the loss in float64."""
    args = net_problem(rng, (6, 8, 7, 3))
    got = student.drive("backprop:forward_backward_watched", *args)["result"]
    name = describe("forward_backward(x, y, w1, w2)", args, seed)
    if type(got) not in (tuple, list) or len(got) != 3 or not all(isinstance(g, TensorValue) and g.data is not None
                                                                  for g in got[1:]):
        raise CheckFailed(_("{name}: returned {got}, expected (loss, grad_w1, grad_w2) with tensors",
                            name=name, got=describe_type(got)))
    x, y, w1, w2 = (a.numpy() for a in args)

    def loss(params):
        return float(np.sum((np.maximum(x @ params[0], 0) @ params[1] - y) ** 2))
    verdict = check_gradient(loss, [w1, w2], [np.asarray(g.data.double().numpy()) for g in got[1:]],
                             names=["grad_w1", "grad_w2"], rng=rng)
    if not verdict.ok:
        mistakes = [Mistake(m.hint, m.output[1:]) for m in forward_backward_mistakes(*args)]
        raise CheckFailed(_("{name}: {message}", name=name, message=verdict.message),
                          known_mistake(tuple(got[1:]), mistakes))


@check(points=10, hint=NO_AUTOGRAD_HINT)
def test_forward_backward_no_autograd(student, rng, seed):
    args = net_problem(rng, (8, 10, 6, 3))
    report = student.drive("backprop:forward_backward_watched", *args)
    name = describe("forward_backward(x, y, w1, w2)", args, seed)
    if report["autograd_calls"]:
        raise CheckFailed(_("{name} called {join}: this exercise computes the gradients by hand", name=name,
                            join=', '.join(report['autograd_calls'])))
    if report["requires_grad"] or report["grad"]:
        touched = sorted(set(report["requires_grad"]) | set(report["grad"]))
        raise CheckFailed(_("{name} switched on requires_grad for {touched}: the inputs must not require "
                            "gradients (no requires_grad_(), no autograd)", name=name, touched=', '.join(touched)))
    if report["tracked_output"]:
        raise CheckFailed(_("{name} returned tensors that autograd tracked (they have a grad_fn): compute "
                            "the gradients by hand, without autograd", name=name))


# ---------------------------------------------------------------- 2. numerical_gradient

def finite_differences(f, params, eps, central, restore=True):
    grads = []
    params = [p.copy() for p in params]
    for p in params:
        grad = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            saved = p[i]
            p[i] = saved + eps
            plus = f(params)
            p[i] = saved - eps if central else saved
            other = f(params)
            if restore:
                p[i] = saved
            grad[i] = (plus - other) / (2 * eps if central else eps)
        grads.append(grad)
    return grads


def numerical_gradient_mistakes(f, params, eps):
    mistakes = [Mistake(FORWARD_DIFF_HINT, finite_differences(f, params, eps, central=False)),
                Mistake(RESTORE_HINT, finite_differences(f, params, eps, central=True, restore=False))]
    for own in (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7):
        if own != eps:
            mistakes.append(Mistake(FIXED_EPS_HINT, finite_differences(f, params, own, central=True)))
            mistakes.append(Mistake(FORWARD_DIFF_HINT, finite_differences(f, params, own, central=False)))
    return mistakes


def numerical_gradient_cases(rng):
    for name, test in TEST_FUNCTIONS.items():
        params = [rng.standard_normal(shape) for shape in test.shapes]
        for eps in (None, 1e-4):
            yield name, test, params, eps


def _call_text(name, params, eps, seed):
    shapes = ", ".join(str(p.shape) for p in params)
    step = "" if eps is None else f", eps={eps:g}"
    return _("numerical_gradient(f, params{step}) with the test function {name!r}, params of shapes "
             "{shapes} (seed {seed})", step=step, name=name, shapes=shapes, seed=seed)


@check(points=15, hint=_("for each entry: (f(params with p[i] + eps) - f(params with p[i] - eps)) / (2 * "
                         "eps)"))
def test_numerical_gradient(student, rng, seed):
    for name, test, params, eps in numerical_gradient_cases(rng):
        step = 1e-6 if eps is None else eps
        atol = max(1e-7, 100 * step ** 2)  # central differences err by ~eps**2; forward ones by ~eps
        reply = student.drive("backprop:numerical_gradient_of", name, params, eps)
        expect_parts(reply["result"], test.grad(params), [
                _("gradient of params[{i}]", i=i) for i in range(len(params))],
                     name=_call_text(name, params, eps, seed), rtol=0.0, atol=atol,
                     mistakes=numerical_gradient_mistakes(test.f, params, step))


@check(points=5, hint=RESTORE_HINT)
def test_numerical_gradient_restores_params(student, rng, seed):
    for name, test, params, eps in numerical_gradient_cases(rng):
        reply = student.drive("backprop:numerical_gradient_of", name, params, eps)
        after = reply["params_after"]
        for i, (before, now) in enumerate(zip(params, after)):
            verdict = compare(now, before, name=f"params[{i}]", rtol=1e-12, atol=1e-15)
            if not verdict.ok:
                raise CheckFailed(_("{name} left its argument changed: {message}",
                                    name=_call_text(name, params, eps, seed), message=verdict.message))


# ---------------------------------------------------------------- 3. the sigmoid net

# The notes' worked example: 2 inputs, 2 sigmoid hidden units, 2 (here linear) outputs.
NOTES_CASE = (np.array([[0.05, 0.10]]), np.array([[0.01, 0.99]]),
              [np.array([[0.15, 0.25], [0.20, 0.30]]), np.array([0.35, 0.35]),
               np.array([[0.40, 0.50], [0.45, 0.55]]), np.array([0.60, 0.60])])


def sigmoid_net_problem(rng, sizes=(5, 3, 4, 2)):
    n, d_in, h, d_out = sizes
    weights = [rng.standard_normal(s) for s in ((d_in, h), (h,), (h, d_out), (d_out,))]
    return rng.standard_normal((n, d_in)), rng.standard_normal((n, d_out)), weights


def sigmoid_net_cases(rng):
    """(label, x, y, weights) in numpy float64 and torch float32."""
    yield _("the notes' example"), *NOTES_CASE
    x, y, weights = sigmoid_net_problem(rng)
    yield "random (seeded)", x, y, weights
    x, y, weights = sigmoid_net_problem(rng, (7, 4, 3, 2))
    yield "random torch float32", as_tensor(x), as_tensor(y), [as_tensor(w) for w in weights]


def _torch_net(x, y, weights):
    """The oracle in torch: returns (loss, gradients) by autograd, in the inputs' kind."""
    as_numpy = isinstance(x, np.ndarray)
    x, y = (as_tensor(x, torch.float64), as_tensor(y, torch.float64)) if as_numpy else (x, y)
    leaves = [(as_tensor(w, torch.float64) if as_numpy else w).clone().requires_grad_(True) for w in weights]
    W0, b0, W1, b1 = leaves
    loss = F.mse_loss(torch.sigmoid(x @ W0 + b0) @ W1 + b1, y)
    grads = torch.autograd.grad(loss, leaves)
    if as_numpy:
        return float(loss), [g.numpy() for g in grads]
    return float(loss), list(grads)


def _mistake_net(x, y, weights, *, out_sigmoid=False, scale="mean", no_sigmoid_grad=False, no_factor2=False):
    """A wrong version of the net, written in numpy (for recognising mistakes)."""
    as_numpy = isinstance(x, np.ndarray)
    x, y = (x, y) if as_numpy else (x.double().numpy(), y.double().numpy())
    W0, b0, W1, b1 = (w if as_numpy else w.double().numpy() for w in weights)
    hidden = 1 / (1 + np.exp(-(x @ W0 + b0)))
    output = hidden @ W1 + b1
    if out_sigmoid:
        output = 1 / (1 + np.exp(-output))
    divisor = {"mean": y.size, "sum": 1, "batch": len(y)}[scale]
    loss = float(np.sum((output - y) ** 2) / divisor)
    g_out = (1 if no_factor2 else 2) * (output - y) / divisor
    if out_sigmoid:
        g_out = g_out * output * (1 - output)
    g_hidden = g_out @ W1.T
    g_z = g_hidden if no_sigmoid_grad else g_hidden * hidden * (1 - hidden)
    grads = [x.T @ g_z, g_z.sum(0), hidden.T @ g_out, g_out.sum(0)]
    if not as_numpy:
        grads = [as_tensor(g, weights[0].dtype) for g in grads]
    return loss, grads


SIGMOID_NET_MISTAKES = (
    (_("the output layer is linear: output = hidden @ W1 + b1, no sigmoid on it"), {"out_sigmoid": True}),
    (_("the loss is the mean over all N * d_out entries, not their sum"), {"scale": "sum"}),
    (_("the loss is the mean over all N * d_out entries: divide by y.size (N * d_out), not by N"), {"scale": "batch"}),
    (_("chain rule through the sigmoid: multiply by its derivative hidden * (1 - hidden)"), {"no_sigmoid_grad": True}),
    (_("d/d output of (output - y) ** 2 is 2 (output - y): your gradients miss the factor 2"), {"no_factor2": True}),
)


def sigmoid_net_mistakes(x, y, weights, part):
    return [Mistake(hint, _mistake_net(x, y, weights, **kw)[part]) for hint, kw in SIGMOID_NET_MISTAKES]


def _tolerance(x):
    return (1e-5, 1e-6) if isinstance(x, torch.Tensor) and x.dtype == torch.float32 else (1e-7, 1e-9)


@check(points=8, hint=_("hidden = sigmoid(x @ W0 + b0); output = hidden @ W1 + b1 (linear); mean((output - "
                        "y) ** 2)"))
def test_sigmoid_net_loss(student, rng, seed):
    for label, x, y, weights in sigmoid_net_cases(rng):
        rtol, atol = _tolerance(x)
        expect(student.sigmoid_net_loss(x, y, weights), _torch_net(x, y, weights)[0],
               name=_("sigmoid_net_loss(x, y, weights) on {label} with x of shape {shape} (seed {seed})",
                      label=label, shape=tuple(x.shape), seed=seed),
               rtol=rtol, atol=atol, mistakes=sigmoid_net_mistakes(x, y, weights, 0))


@check(points=12, hint=_("grad_output = 2 (output - y) / (N * d_out); grad_W1 = hidden.T @ grad_output; "
                         "grad_b1 = its sum over the batch; grad_z = (grad_output @ W1.T) * hidden * (1 - "
                         "hidden); grad_W0 = x.T @ grad_z; grad_b0 = grad_z summed over the batch"))
def test_sigmoid_net_grads(student, rng, seed):
    for label, x, y, weights in sigmoid_net_cases(rng):
        rtol, atol = _tolerance(x)
        expect_parts(student.sigmoid_net_grads(x, y, weights), _torch_net(x, y, weights)[1],
                     ("grad_W0", "grad_b0", "grad_W1", "grad_b1"),
                     name=_("sigmoid_net_grads(x, y, weights) on {label} with x of shape {shape} (seed "
                            "{seed})", label=label, shape=tuple(x.shape), seed=seed),
                     rtol=rtol, atol=atol, mistakes=sigmoid_net_mistakes(x, y, weights, 1))


@check(points=5, hint=_("compare your formulas with the chain rule step by step; the message names one "
                        "entry where your gradient is wrong"))
def test_sigmoid_net_grads_numerical(student, rng, seed):
    x, y, weights = sigmoid_net_problem(rng, (9, 5, 6, 3))
    grads = student.sigmoid_net_grads(x, y, weights)
    name = _("sigmoid_net_grads(x, y, weights) with x of shape {shape} (seed {seed})", shape=x.shape, seed=seed)
    if type(grads) not in (tuple, list) or len(grads) != 4:
        raise CheckFailed(_("{name}: returned {grads}, expected [grad_W0, grad_b0, grad_W1, grad_b1]",
                            name=name, grads=describe_type(grads)))

    def loss(params):
        hidden = 1 / (1 + np.exp(-(x @ params[0] + params[1])))
        return float(np.mean((hidden @ params[2] + params[3] - y) ** 2))
    verdict = check_gradient(loss, weights, list(grads), names=["grad_W0", "grad_b0", "grad_W1", "grad_b1"], rng=rng)
    if not verdict.ok:
        raise CheckFailed(_("{name}: {message}", name=name, message=verdict.message),
                          known_mistake(list(grads), sigmoid_net_mistakes(x, y, weights, 1)))


# ---------------------------------------------------------------- 4. autograd

def _train(x, y, w1, w2, lr, steps, *, zero=True, lr_factor=1.0, lr_power=1):
    """Gradient descent on the net, optionally wrong (for recognising mistakes): without
    ``zero`` each step uses the sum of all gradients so far, as a forgotten ``grad.zero_()``."""
    step = lr_factor * lr ** lr_power
    total1, total2 = torch.zeros_like(w1), torch.zeros_like(w2)
    losses = []
    for _step in range(steps):
        value, g1, g2 = autograd_forward_backward(x, y, w1, w2)
        losses.append(value)
        total1, total2 = (total1 + g1, total2 + g2) if not zero else (g1, g2)
        w1, w2 = w1 - step * total1, w2 - step * total2
    return w1, w2, losses


@check(points=13, hint=_("each step: loss.backward(); with torch.no_grad(): w -= learning_rate * w.grad "
                         "for both; then w.grad.zero_()"))
def test_autograd_train(student, reference, rng, seed):
    x, y, w1, w2 = net_problem(rng, (16, 10, 8, 3))
    lr, steps = 1e-3, 6
    name = _("autograd_train(x, y, w1, w2, learning_rate={lr:g}, steps={steps}) on shapes (16, 10), (16, "
             "3) (seed {seed})", lr=lr, steps=steps, seed=seed)
    try:
        got = student.autograd_train(x, y, w1, w2, lr, steps)
    except StudentError as exc:
        if re.search("leaf Variable|in-place operation|NoneType|does not require grad", exc.message):
            raise StudentError(exc.message, NO_GRAD_HINT) from None
        raise
    if type(got) not in (tuple, list) or len(got) != 3:
        raise CheckFailed(_("{name}: returned {got}, expected (w1, w2, losses)", name=name,
                            got=describe_type(got)))
    expected = reference.autograd_train(x, y, w1, w2, lr, steps)
    mistakes = [Mistake(ZERO_GRAD_HINT, _train(x, y, w1, w2, lr, steps, zero=False)),
                Mistake(_("the learning rate is applied twice: w -= learning_rate * w.grad, once per step"),
                        _train(x, y, w1, w2, lr, steps, lr_factor=2.0)),
                Mistake(_("the learning rate is applied twice (learning_rate ** 2): w -= learning_rate * "
                          "w.grad"),
                        _train(x, y, w1, w2, lr, steps, lr_power=2))]
    expect_parts(tuple(got), tuple(expected[:2]) + (list(expected[2]),), ("trained w1", "trained w2", "losses"),
                 name=name, rtol=1e-6, atol=1e-8,
                 mistakes=[Mistake(m.hint, tuple(m.output[:2]) + (list(m.output[2]),)) for m in mistakes])


@check(points=10, hint=_("y2 = x ** 3 is computed under torch.no_grad(), so autograd ignores it: the "
                         "gradient is 2 * x"))
def test_partial_no_grad_grad(student, rng, seed):
    for shape, dtype in (((3, 4), torch.float64), ((5,), torch.float32)):
        x = as_tensor(rng.standard_normal(shape), dtype)
        expect(student.partial_no_grad_grad(x), 2 * x,
               name=_("partial_no_grad_grad(x) with x of shape {shape} {removeprefix} (seed {seed})",
                      shape=shape, removeprefix=str(dtype).removeprefix('torch.'), seed=seed),
               mistakes=[Mistake(_("y2 = x ** 3 must be computed inside `with torch.no_grad():`, so that "
                                   "autograd does not record it: the gradient is 2x, not 2x + 3x²"),
                                 2 * x + 3 * x ** 2)])


# ---------------------------------------------------------------- devices

@check(points=5, timeout=60, hint=_("create every tensor of your own on the inputs' device "
                                    "(x.new_zeros(...), torch.zeros_like(w1), torch.ones(n, "
                                    "device=x.device)); never a bare torch.zeros(...)"))
def test_device(student, rng, note):
    """forward_backward "on any device", and the sigmoid net with torch tensors in, keep their
    results on the inputs' device (DESIGN §3)."""
    x, y, w1, w2 = net_problem(rng, sizes=(6, 5, 4, 3), dtype=torch.float32)
    sx, sy, weights = sigmoid_net_problem(rng)
    sx, sy, weights = as_tensor(sx), as_tensor(sy), [as_tensor(w) for w in weights]
    method = None
    for func, args, shown in (("forward_backward", [x, y, w1, w2], "forward_backward(x, y, w1, w2)"),
                              ("sigmoid_net_loss", [sx, sy, weights], "sigmoid_net_loss(x, y, weights)"),
                              ("sigmoid_net_grads", [sx, sy, weights], "sigmoid_net_grads(x, y, weights)")):
        method = check_device(student, func, args, name=shown, note=note)
    note_method(note, method)
