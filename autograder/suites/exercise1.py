"""exercise1 — two-layer network in numpy: forward, loss, backward, SGD, training loop.

100 points.  Visible checks use the public seed at the course's sizes (64×1000×100×10);
hidden checks use secret seeds and other sizes, so hard-coded outputs earn nothing there.
"""
import numpy as np

from autograder.checks import (_, CheckFailed, Mistake, check, check_gradient, describe_type, expect,
                               expect_inputs_unchanged, imports, known_mistake, to_numbers)

COURSE_SIZES = (64, 1000, 100, 10)
SMALL_SIZES = (8, 20, 6, 3)
NON_NUMPY = {"torch", "tensorflow", "jax", "cupy", "mxnet"}

RELU_HINT = _("apply the ReLU between the layers: h_relu = np.maximum(x @ w1, 0)")
NO_MASK_HINT = _("the ReLU is missing from backward: zero grad_h where the pre-activation h = x @ w1 is "
                 "negative (grad_h[h < 0] = 0) before computing grad_w1")
FACTOR2_HINT = _("your gradients are half the true ones: d/dy_pred of (y_pred - y)**2 is 2 * (y_pred - y)")
MEAN_GRAD_HINT = _("your gradients are divided by N: the loss is a sum over samples, not a mean")


def problem(rng, sizes=COURSE_SIZES):
    n, d_in, h, d_out = sizes
    return (rng.standard_normal((n, d_in)), rng.standard_normal((n, d_out)),
            rng.standard_normal((d_in, h)), rng.standard_normal((h, d_out)))


def backward_mistakes(x, y, w1, w2):
    h = x @ w1
    h_relu = np.maximum(h, 0)
    g = 2.0 * (h_relu @ w2 - y)
    return [
        Mistake(NO_MASK_HINT, (x.T @ (g @ w2.T), h_relu.T @ g)),
        Mistake(FACTOR2_HINT, (x.T @ ((g / 2 @ w2.T) * (h > 0)), h_relu.T @ g / 2)),
        Mistake(MEAN_GRAD_HINT, (x.T @ ((g @ w2.T) * (h > 0)) / len(x), h_relu.T @ g / len(x))),
    ]


# ---------------------------------------------------------------- forward

@check(points=15, hint=RELU_HINT)
def test_forward(student, reference, rng):
    x, y, w1, w2 = problem(rng)
    relu_missing = (x @ w1) @ w2
    expect(student.forward(x, w1, w2), reference.forward(x, w1, w2), name="forward(x, w1, w2)",
           mistakes=[Mistake(RELU_HINT, relu_missing)])


@check(points=5, hidden=True, hint=RELU_HINT)
def test_forward_other_sizes(student, reference, rng):
    x, y, w1, w2 = problem(rng, SMALL_SIZES)
    expect(student.forward(x, w1, w2), reference.forward(x, w1, w2),
           name=_("forward(x, w1, w2) at sizes 8×20×6×3"))


# ---------------------------------------------------------------- loss

@check(points=10, hint=_("the loss is the sum of squared differences: ((y_pred - y) ** 2).sum()"))
def test_loss(student, reference, rng):
    y_pred, y = rng.standard_normal((64, 10)), rng.standard_normal((64, 10))
    d = y_pred - y
    expect(student.loss(y_pred, y), reference.loss(y_pred, y), name="loss(y_pred, y)", mistakes=[
        Mistake(_("you averaged: the loss is the *sum* of squared errors, not np.mean"), float(np.mean(d ** 2))),
        Mistake(_("you took a square root: the loss is the sum of squared errors, not a norm"),
                float(np.sqrt(np.sum(d ** 2)))),
        Mistake(_("the errors must be squared, not absolute values"), float(np.sum(np.abs(d)))),
        Mistake(_("you summed the errors before squaring: square each error, then sum"), float(np.sum(d) ** 2)),
    ])


# ---------------------------------------------------------------- backward

@check(points=15, hint=_("chain rule: grad_y_pred = 2 (y_pred - y); grad_w2 = h_relu.T @ grad_y_pred; "
                         "grad_h = grad_y_pred @ w2.T, zero where h < 0; grad_w1 = x.T @ grad_h"))
def test_backward(student, reference, rng):
    x, y, w1, w2 = problem(rng)
    expect(student.backward(x, y, w1, w2), reference.backward(x, y, w1, w2),
           name="backward(x, y, w1, w2)", rtol=1e-6, atol=1e-6, mistakes=backward_mistakes(x, y, w1, w2))


@check(points=10, hint=_("compare your formulas with the chain rule step by step; the message names one "
                         "entry where your gradient is wrong"))
def test_backward_numerical(student, reference, rng):
    """The oracle is calculus itself: central differences of the loss, in float64."""
    x, y, w1, w2 = problem(rng, SMALL_SIZES)
    grads = student.backward(x, y, w1, w2)
    if type(grads) not in (tuple, list) or len(grads) != 2:
        raise CheckFailed(_("backward(x, y, w1, w2) returned {grads}, expected (grad_w1, grad_w2)",
                            grads=describe_type(grads)))

    def f(params):
        return reference.loss(reference.forward(x, *params), y)
    verdict = check_gradient(f, [w1, w2], list(grads), names=["grad_w1", "grad_w2"], rng=rng)
    if not verdict.ok:
        raise CheckFailed(verdict.message, known_mistake(grads, backward_mistakes(x, y, w1, w2), rtol=1e-6, atol=1e-6))


@check(points=5, hidden=True)
def test_backward_other_sizes(student, reference, rng):
    x, y, w1, w2 = problem(rng, SMALL_SIZES)
    expect(student.backward(x, y, w1, w2), reference.backward(x, y, w1, w2),
           name=_("backward(x, y, w1, w2) at sizes 8×20×6×3"), rtol=1e-6, atol=1e-6,
           mistakes=backward_mistakes(x, y, w1, w2))


# ---------------------------------------------------------------- update and training

@check(points=10, hint=_("w1 = w1 - lr * grad_w1, and the same for w2; return (w1, w2)"))
def test_sgd_update(student, reference, rng):
    x, y, w1, w2 = problem(rng, SMALL_SIZES)
    g1, g2 = rng.standard_normal(w1.shape), rng.standard_normal(w2.shape)
    lr = 0.01
    expect(student.sgd_update(w1, w2, g1, g2, lr), reference.sgd_update(w1, w2, g1, g2, lr),
           name="sgd_update(w1, w2, grad_w1, grad_w2, lr=0.01)", mistakes=[
               Mistake(_("you moved *up* the gradient: subtract lr * grad"), (w1 + lr * g1, w2 + lr * g2)),
               Mistake(_("the learning rate is not applied: w - lr * grad"), (w1 - g1, w2 - g2)),
           ])


def _check_train_result(got, *, steps: int, name: str) -> None:
    if type(got) not in (tuple, list) or len(got) != 3:
        raise CheckFailed(_("{name} returned {got}, expected a tuple (w1, w2, losses)", name=name,
                            got=describe_type(got)))
    losses = got[2]
    if not isinstance(losses, (list, tuple, np.ndarray)) or len(losses) != steps:
        count = len(losses) if isinstance(losses, (list, tuple, np.ndarray)) else describe_type(losses)
        raise CheckFailed(_("{name} returned {count} as losses, expected a list of {steps} floats (one per "
                            "step)", name=name, count=count, steps=steps),
                          _("append the loss of every step to a list and return it as the third value"))


@check(points=15, hint=_("each step: losses.append(loss(forward(...), y)), then backward, then sgd_update; "
                         "return (w1, w2, losses)"))
def test_train(student, reference, rng):
    x, y, w1, w2 = problem(rng)
    lr, steps = 2e-6, 20
    name = f"train(x, y, w1, w2, learning_rate={lr:g}, steps={steps})"
    got = student.train(x, y, w1.copy(), w2.copy(), learning_rate=lr, steps=steps)
    _check_train_result(got, steps=steps, name=name)
    w1_ref, w2_ref, losses_ref = reference.train(x, y, w1.copy(), w2.copy(), lr, steps)
    after_update = losses_ref[1:] + [reference.loss(reference.forward(x, w1_ref, w2_ref), y)]
    w1_fixed, w2_fixed, losses_fixed = reference.train(x, y, w1.copy(), w2.copy(), 1e-6, steps)
    ignores_lr = _("your train() ignores its learning_rate argument: pass it on to sgd_update")
    expect(to_numbers(got[2], name=_("{name}: losses", name=name)), np.asarray(losses_ref),
           name=_("{name}: losses", name=name), rtol=1e-6,
           mistakes=[Mistake(_("losses[t] must be the loss *before* step t's update; yours is after it"),
                             np.asarray(after_update)),
                     Mistake(ignores_lr, np.asarray(losses_fixed))])
    expect((got[0], got[1]), (w1_ref, w2_ref), name=_("{name}: trained weights", name=name), rtol=1e-6,
           mistakes=[Mistake(ignores_lr, (w1_fixed, w2_fixed))])


@check(points=5, hint=_("keep the defaults of the signature: train(x, y, w1, w2, learning_rate=1e-6, "
                        "steps=500)"))
def test_train_defaults(student, reference, rng):
    x, y, w1, w2 = problem(rng, SMALL_SIZES)
    name = _("train(x, y, w1, w2) with its default arguments")
    got = student.train(x, y, w1.copy(), w2.copy())
    _check_train_result(got, steps=500, name=name)
    w1_ref, w2_ref, _losses = reference.train(x, y, w1.copy(), w2.copy())
    expect((got[0], got[1]), (w1_ref, w2_ref), name=_("{name}: trained weights", name=name), rtol=1e-6)


# ---------------------------------------------------------------- contract

@check(points=5, hint=_("compute new arrays (or work on a copy) instead of writing into x, y, w1 or w2"))
def test_inputs_unchanged(student, rng):
    x, y, w1, w2 = problem(rng, SMALL_SIZES)
    y_pred = rng.standard_normal(y.shape)
    for func, args, names in (("forward", (x, w1, w2), ["x", "w1", "w2"]),
                              ("loss", (y_pred, y), ["y_pred", "y"]),
                              ("backward", (x, y, w1, w2), ["x", "y", "w1", "w2"])):
        expect_inputs_unchanged(student.args_after, func, args, names=names)


@check(points=5, hint=_("this exercise is about doing the maths yourself: use numpy only, no torch"))
def test_numpy_only(student, rng):
    x, y, w1, w2 = problem(rng, SMALL_SIZES)
    result = student.forward(x, w1, w2)
    if type(result) is not np.ndarray:
        raise CheckFailed(_("forward() returned {result}: this exercise works on numpy arrays only",
                            result=describe_type(result)))
    for module, line in imports(student.source_tree()):
        if module in NON_NUMPY:
            raise CheckFailed(_("{display}, line {line}: imports {module}; this exercise is numpy only",
                                display=student.display, line=line, module=module))
    loaded = student.load_info()
    found = NON_NUMPY & (set(loaded["imported"]) | set(loaded["uses"]))
    if found:
        raise CheckFailed(_("importing {display} loaded {join}; this exercise is numpy only",
                            display=student.display, join=', '.join(sorted(found))))
