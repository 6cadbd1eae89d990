"""exercise5 — max and average pooling, with stride, padding and channels.

100 points.  The oracles are ``F.max_pool2d`` / ``F.avg_pool2d`` (``count_include_pad=True``),
exactly what the student may not call: every call into the student's code goes through
``Guarded`` (static reading of the source, plus the aten ops recorded while it
ran), so a submission that uses a pooling or convolution built-in gets 0 on every check
that reaches it, with the API and the line named.

Input sizes (chosen for loop code: ≈20 µs per output element, ≈70 µs while ops are
recorded): values on inputs up to 8×8 and 3 channels (at most 64 output elements per
call, a few ms); gradients on 6×7 and (2, 6, 6); the device check on inputs ≤ 5×5 and 2
channels, at most 16 output elements per call (fake-device runs cost ≈0.5 ms per
output element of loop code: every op passes through Python twice).  Every check
finishes well under a second for a correct loop implementation.

Value checks use float32 inputs; whether the output keeps the input's dtype (float64) and
device is judged only by ``dtype_follows_input`` and ``device``, so the textbook
``Y = torch.zeros(...)`` version loses exactly those 10 points.
"""
import torch
import torch.nn.functional as F

from autograder.checks import (_, DEVICE_HINT, DTYPE_HINT, Guarded, Mistake, as_tensor, check, check_device,
                               expect, expect_cases, expect_dtype, expect_gradients, expect_inputs_unchanged,
                               note_method, torch_grads)

OFF_BY_ONE_HINT = _("the output has h - ph + 1 rows and w - pw + 1 columns: range(X.shape[0] - ph + 1), "
                    "not one less")
AXES_HINT = _("square windows work but non-square ones do not: p_h, p_w = pool_size gives rows then "
              "columns; take the window X[i:i + p_h, j:j + p_w] with i over rows and j over columns")
SUM_HINT = _("mode='avg' is the *mean* of the window: divide the sum by p_h * p_w (or use .mean())")
SWAPPED_HINT = _("mode='max' takes the maximum and mode='avg' the mean: the two are swapped")
ZERO_PAD_HINT = _("for max pooling pad with -inf, not 0: the padding must never be the maximum "
                  "(X.new_full(shape, float('-inf')), then copy X into the middle)")
NO_PAD_HINT = _("the padding is ignored: pad ph rows above and below and pw columns left and right first")
EXCLUDE_PAD_HINT = _("for avg pooling the padding counts as zeros and every window is divided by p_h * "
                     "p_w (count_include_pad=True), also at the borders")


def torch_pool(X, pool, stride=None, padding=(0, 0), mode="max"):
    """F.max_pool2d / F.avg_pool2d on (h, w) or (c, h, w); stride defaults to the pool size."""
    stride = pool if stride is None else stride
    batch = X[None] if X.dim() == 2 else X
    if mode == "max":
        out = F.max_pool2d(batch, pool, stride=stride, padding=padding)
    else:
        out = F.avg_pool2d(batch, pool, stride=stride, padding=padding, count_include_pad=True)
    return out[0] if X.dim() == 2 else out


def pool_mistakes(X, pool, mode):
    expected = torch_pool(X, pool, (1, 1), mode=mode)
    other = torch_pool(X, pool, (1, 1), mode="avg" if mode == "max" else "max")
    mistakes = [Mistake(SWAPPED_HINT, other)]
    if mode == "avg":
        mistakes.append(Mistake(SUM_HINT, expected * (pool[0] * pool[1])))
    if expected.shape[-2] > 1 and expected.shape[-1] > 1:
        mistakes.append(Mistake(OFF_BY_ONE_HINT, expected[..., :-1, :-1]))
    return mistakes


SHAPES = [((6, 7), (2, 2)), ((5, 6), (3, 3)), ((4, 4), (4, 4)),  # square windows first
          ((6, 8), (2, 3)), ((7, 5), (3, 2)), ((4, 5), (4, 5)), ((5, 7), (1, 3)), ((6, 5), (4, 1))]


def _stride1_cases(rng, mode):
    cases = []
    for xs, ps in SHAPES:
        X = as_tensor(rng.standard_normal(xs))
        cases.append((_("pool2d(X, {ps}, mode={mode!r}) with X {xs}×{xs2}", ps=ps, mode=mode, xs=xs[0],
                        xs2=xs[1]), (X, ps), {"mode": mode},
                      torch_pool(X, ps, (1, 1), mode=mode), pool_mistakes(X, ps, mode), ps[0] == ps[1]))
    X = as_tensor(torch.arange(9.0).reshape(3, 3))  # the notes' example
    cases.insert(3, (_("pool2d(X, (2, 2), mode={mode!r}) on the notes' X = [[0, 1, 2], [3, 4, 5], [6, 7, "
                       "8]]", mode=mode),
                     (X, (2, 2)), {"mode": mode}, torch_pool(X, (2, 2), (1, 1), mode=mode), pool_mistakes(X, (2, 2), mode),
                     True))
    return cases


# ---------------------------------------------------------------- pool2d (stride 1)

@check(points=12, hint=_("Y[i, j] = X[i:i + p_h, j:j + p_w].max() for every i, j of the (h - p_h + 1, w - "
                         "p_w + 1) output"))
def test_pool2d_max(student, rng):
    expect_cases(_stride1_cases(rng, "max"), Guarded(student).pool2d, square_first_hint=AXES_HINT)


@check(points=12, hint=_("Y[i, j] = X[i:i + p_h, j:j + p_w].mean() for every i, j of the (h - p_h + 1, w - "
                         "p_w + 1) output"))
def test_pool2d_avg(student, rng):
    expect_cases(_stride1_cases(rng, "avg"), Guarded(student).pool2d, square_first_hint=AXES_HINT)


def _expect_grad(reply, X, G, want_out, make_oracle, *, name, mistakes=()):
    expect(reply["result"], want_out, name=name, mistakes=mistakes)
    grad = reply["grads"][0] if type(reply["grads"]) is list and reply["grads"] else None
    expect_gradients([grad], torch_grads(make_oracle, [X], G), of=name, wrt=["X"])


@check(points=12, hint=_("build Y from differentiable tensor ops (X[...].max(), .mean(), no .item() or "
                         "torch.tensor([...]) of values): max sends the gradient to the window's maximum, "
                         "avg spreads it evenly over the window"))
def test_pool2d_gradients(student, rng):
    g = Guarded(student)
    for mode, pool in (("max", (2, 3)), ("avg", (3, 2))):
        X = as_tensor(rng.standard_normal((6, 7)))
        G = as_tensor(rng.standard_normal((7 - pool[0], 8 - pool[1])))
        reply = g.call("pool2d", X, pool, mode=mode, wrt=(0,), grad_output=G)
        _expect_grad(reply, X, G, torch_pool(X, pool, (1, 1), mode=mode),
                     lambda Xg, pool=pool, mode=mode: torch_pool(Xg, pool, (1, 1), mode=mode),
                     name=_("pool2d(X, {pool}, mode={mode!r}) with X 6×7", pool=pool, mode=mode),
                     mistakes=pool_mistakes(X, pool, mode))


# ---------------------------------------------------------------- pool2d_strided

def strided_mistakes(X, pool, stride, padding, mode):
    mistakes = [Mistake(NO_PAD_HINT, torch_pool(X, pool, stride, (0, 0), mode))]
    if mode == "max" and padding != (0, 0):
        Xp = F.pad(X, (padding[1], padding[1], padding[0], padding[0]), value=0.0)
        mistakes.append(Mistake(ZERO_PAD_HINT, torch_pool(Xp, pool, stride, (0, 0), mode)))
    if mode == "avg" and padding != (0, 0):
        batch = X[None] if X.dim() == 2 else X
        excl = F.avg_pool2d(batch, pool, stride=stride or pool, padding=padding, count_include_pad=False)
        mistakes.append(Mistake(EXCLUDE_PAD_HINT, excl[0] if X.dim() == 2 else excl))
        mistakes.append(Mistake(SUM_HINT, torch_pool(X, pool, stride, padding, mode) * (pool[0] * pool[1])))
    mistakes.append(Mistake(_("the stride is ignored: step the window by sh rows and sw columns"),
                            torch_pool(X, pool, (1, 1), padding, mode)))
    return mistakes


@check(points=10, hint=_("stride=None means stride = pool_size: windows that do not overlap, starting at "
                         "rows 0, p_h, 2 p_h, ... and columns 0, p_w, 2 p_w, ..."))
def test_pool2d_strided_default_stride(student, rng):
    g = Guarded(student)
    for xs, pool, mode in (((6, 8), (2, 2), "max"), ((7, 7), (3, 3), "avg"), ((6, 7), (2, 3), "max"),
                           ((8, 6), (3, 2), "avg")):
        X = as_tensor(rng.standard_normal(xs))
        expect(g.pool2d_strided(X, pool, mode=mode), torch_pool(X, pool, None, (0, 0), mode),
               name=_("pool2d_strided(X, {pool}, mode={mode!r}) with X {xs}×{xs2}", pool=pool, mode=mode,
                      xs=xs[0], xs2=xs[1]),
               mistakes=strided_mistakes(X, pool, None, (0, 0), mode))


@check(points=11, hint=_("pad first (-inf for max, 0 for avg; ph rows above and below, pw columns left and "
                         "right), then take windows every sh rows and sw columns; avg divides by p_h * p_w"))
def test_pool2d_strided_padding(student, rng):
    g = Guarded(student)
    cases = [((6, 6), (3, 3), (2, 2), (1, 1)), ((7, 8), (2, 2), (3, 3), (1, 1)), ((6, 7), (2, 3), (2, 1), (1, 1)),
             ((5, 8), (3, 2), (1, 3), (1, 0)), ((8, 8), (3, 3), (1, 1), (1, 1))]
    for mode in ("max", "avg"):
        for xs, pool, stride, pad in cases:
            X = as_tensor(rng.standard_normal(xs))
            expect(g.pool2d_strided(X, pool, stride=stride, padding=pad, mode=mode), torch_pool(X, pool, stride, pad, mode),
                   name=_("pool2d_strided(X, {pool}, stride={stride}, padding={pad}, mode={mode!r}) with X "
                          "{xs}×{xs2}", pool=pool, stride=stride, pad=pad, mode=mode, xs=xs[0], xs2=xs[1]),
                   mistakes=strided_mistakes(X, pool, stride, pad, mode))
    # all-negative input: a zero padding would win every border window of max pooling
    X = -as_tensor(rng.standard_normal((6, 6))).abs() - 0.5
    expect(g.pool2d_strided(X, (3, 3), stride=(2, 2), padding=(1, 1), mode="max"), torch_pool(X, (3, 3), (2, 2), (1, 1)),
           name=_("pool2d_strided(X, (3, 3), stride=(2, 2), padding=(1, 1), mode='max') with an "
                  "all-negative 6×6 X"),
           mistakes=strided_mistakes(X, (3, 3), (2, 2), (1, 1), "max"))


@check(points=10, hint=_("pool each channel separately: the output has the input's channels, Y[c] = "
                         "pooling of X[c] (index windows as X[:, rows, cols])"))
def test_pool2d_strided_channels(student, rng):
    """Without padding: padding bugs are pool2d_strided_padding's business."""
    g = Guarded(student)
    for xs, pool, stride, pad, mode in (((3, 6, 6), (2, 2), None, (0, 0), "max"), ((3, 6, 6), (2, 2), None, (0, 0), "avg"),
                                        ((2, 7, 5), (3, 2), (2, 1), (0, 0), "max"), ((2, 7, 5), (3, 2), (2, 1), (0, 0), "avg")):
        X = as_tensor(rng.standard_normal(xs))
        want = torch_pool(X, pool, stride, pad, mode)
        expect(g.pool2d_strided(X, pool, stride=stride, padding=pad, mode=mode), want,
               name=_("pool2d_strided(X, {pool}, stride={stride}, padding={pad}, mode={mode!r}) with X {xs}",
                      pool=pool, stride=stride, pad=pad, mode=mode, xs=xs),
               mistakes=strided_mistakes(X, pool, stride, pad, mode) + [
                   Mistake(_("pool each channel on its own: do not mix channels"),
                           (want.amax(0) if mode == "max" else want.mean(0)).expand_as(want))])


@check(points=8, hint=_("build Y from differentiable tensor ops: max sends the gradient to the window's "
                        "maximum, avg spreads it evenly over the window"))
def test_pool2d_strided_gradients(student, rng):
    g = Guarded(student)
    for mode in ("max", "avg"):
        X = as_tensor(rng.standard_normal((2, 6, 6)))
        G = as_tensor(rng.standard_normal((2, 3, 3)))
        reply = g.call("pool2d_strided", X, (2, 2), wrt=(0,), grad_output=G, stride=(2, 2), mode=mode)
        _expect_grad(reply, X, G, torch_pool(X, (2, 2), (2, 2), (0, 0), mode),
                     lambda Xg, mode=mode: torch_pool(Xg, (2, 2), (2, 2), (0, 0), mode),
                     name=_("pool2d_strided(X, (2, 2), stride=(2, 2), mode={mode!r}) with X (2, 6, 6)", mode=mode),
                     mistakes=strided_mistakes(X, (2, 2), (2, 2), (0, 0), mode))


NON_SQUARE = [(2, 3), (3, 2), (2, 4), (4, 2), (3, 4), (4, 3)]


@check(points=10, hidden=True, hint=_("the same pooling at sizes, windows and strides drawn at final "
                                      "grading: nothing may depend on the public checks' inputs"))
def test_pool2d_other_inputs(student, rng):
    """Inputs drawn from the hidden seed, so outputs recorded for the public seed earn nothing.
    Each draw keeps what the public checks catch catchable: a non-square window (swapped
    axes), more than one element per window (avg as a sum), padding 1 (ignored padding) and
    an all-negative input for max (zero padding)."""
    g = Guarded(student)
    for mode in ("max", "avg"):
        h, w = (int(v) for v in rng.integers(5, 9, size=2))
        pool = NON_SQUARE[int(rng.integers(len(NON_SQUARE)))]
        X = as_tensor(rng.standard_normal((h, w)))
        expect(g.pool2d(X, pool, mode=mode), torch_pool(X, pool, (1, 1), mode=mode),
               name=_("pool2d(X, {pool}, mode={mode!r}) with X {h}×{w}", pool=pool, mode=mode, h=h, w=w),
               mistakes=pool_mistakes(X, pool, mode))
        shape = (int(rng.integers(1, 4)), h, w)
        stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        X = as_tensor(rng.standard_normal(shape))
        if mode == "max":
            X = -X.abs() - 0.5
        expect(g.pool2d_strided(X, pool, stride=stride, padding=(1, 1), mode=mode), torch_pool(X, pool, stride, (1, 1), mode),
               name=_("pool2d_strided(X, {pool}, stride={stride}, padding=(1, 1), mode={mode!r}) with X "
                      "{shape}", pool=pool, stride=stride, mode=mode, shape=shape),
               mistakes=strided_mistakes(X, pool, stride, (1, 1), mode))


# ---------------------------------------------------------------- contract: dtype, device, inputs

@check(points=5, hint=DTYPE_HINT)
def test_dtype_follows_input(student, rng):
    """Only the dtype is judged here (values are the other checks' business)."""
    g = Guarded(student)
    X2, X3 = as_tensor(rng.standard_normal((5, 6)), torch.float64), as_tensor(rng.standard_normal((2, 5, 6)), torch.float64)
    cases = [(_("pool2d(X, (2, 2), mode='max') with float64 X"), "pool2d", (X2, (2, 2)), {"mode": "max"}),
             (_("pool2d(X, (2, 2), mode='avg') with float64 X"), "pool2d", (X2, (2, 2)), {"mode": "avg"}),
             (_("pool2d_strided(X, (2, 2), padding=(1, 1), mode='max') with float64 X"), "pool2d_strided", (X2, (2, 2)),
              {"padding": (1, 1), "mode": "max"}),
             (_("pool2d_strided(X, (2, 2), mode='avg') with float64 X (2, 5, 6)"), "pool2d_strided", (X3, (2, 2)),
              {"mode": "avg"})]
    for name, func, args, kwargs in cases:
        expect_dtype(g.call(func, *args, **kwargs)["result"], "float64", name=name)


@check(points=5, hint=DEVICE_HINT, timeout=30)
def test_device(student, rng, note):
    """On an accelerator when torch sees one, else on a fake device (CPU tensors posing as another
    device, ``autograder.worker.drivers.posing``); small inputs."""
    X, X3 = as_tensor(rng.standard_normal((4, 5))), as_tensor(rng.standard_normal((2, 5, 5)))
    method = check_device(student, "pool2d", [X, (2, 2)], {"mode": "max"}, name="pool2d(X, (2, 2), mode='max')",
                          note=note)
    check_device(student, "pool2d", [X, (2, 3)], {"mode": "avg"}, name="pool2d(X, (2, 3), mode='avg')", note=note)
    for mode in ("max", "avg"):
        check_device(student, "pool2d_strided", [X3, (3, 3)], {"stride": (2, 2), "padding": (1, 1), "mode": mode},
                     name=f"pool2d_strided(X, (3, 3), stride=(2, 2), padding=(1, 1), mode={mode!r})", note=note)
    note_method(note, method)


@check(points=5, hint=_("compute into new tensors; never write into X (no in-place ops such as "
                        "X.unsqueeze_(0), X -= ..., X[...] = ... on the argument)"))
def test_inputs_unchanged(student, rng):
    g = Guarded(student)
    X2, X3 = as_tensor(rng.standard_normal((5, 6))), as_tensor(rng.standard_normal((2, 5, 6)))
    for func, X, args, kwargs in (("pool2d", X2, ((2, 2),), {"mode": "max"}), ("pool2d", X2, ((2, 3),), {"mode": "avg"}),
                                  ("pool2d_strided", X2, ((2, 2),), {"padding": (1, 1), "mode": "max"}),
                                  ("pool2d_strided", X3, ((3, 2),), {"stride": (1, 2), "padding": (1, 1), "mode": "avg"})):
        expect_inputs_unchanged(g.args_after, func, (X, *args), names=["X"], kwargs=kwargs)
