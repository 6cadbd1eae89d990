"""exercise4 — cross-correlation, Conv2D, learning a kernel, channels, padding and stride.

100 points.  The oracle is PyTorch itself (``F.conv2d``), exactly what the student may not
call: every call into the student's code goes through ``Guarded`` (static reading
of the source, plus the aten ops recorded while it ran), so a submission that uses a
convolution or pooling built-in gets 0 on every check that reaches it, with the API and the
line named.

Input sizes (chosen for loop code: ≈20 µs per output element, ≈70 µs while ops are
recorded): values on inputs up to 8×8 (at most 64 output elements per call, a few ms);
gradients on 6×7; ``learn_kernel`` on the notes' 6×8 image (10 epochs) and, hidden, a
random 6×8 image with a 2×2 kernel (at most 200 epochs, < 1 s); the device check on inputs
≤ 5×5, at most 32 output elements per call (fake-device runs cost ≈0.5 ms per
output element of loop code: every op passes through Python twice).  Every check finishes in well
under a second for a correct loop implementation.

Value checks use float32 inputs; whether the output keeps the input's dtype (float64,
int64) and device is judged only by ``dtype_follows_input`` and ``device``, so the
textbook ``Y = torch.zeros(...)`` version loses exactly those 10 points.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

from autograder.checks import (_, DEVICE_HINT, DTYPE_HINT, CheckFailed, Guarded, Handle, Mistake, Partial, TensorValue,
                               as_tensor, check, check_device, expect, expect_cases, expect_dtype, expect_gradients,
                               expect_inputs_unchanged, note_method, torch_grads)

OFF_BY_ONE_HINT = _("the output has h - kh + 1 rows and w - kw + 1 columns: range(X.shape[0] - kh + 1), "
                    "not one less")
FLIP_HINT = _("you flipped the kernel: that is a true convolution; deep-learning 'convolution' is a "
              "cross-correlation, Y[i, j] = (X[i:i + kh, j:j + kw] * K).sum() with K as it is")
AXES_HINT = _("square kernels work but non-square ones do not: kh, kw = K.shape gives rows then columns; "
              "slide the window X[i:i + kh, j:j + kw] with i over rows and j over columns")
CHANNEL_SUM_HINT = _("correlate channel c of X with channel c of K, then add the per-channel results: sum "
                     "over the channel dimension (dim 0)")


def torch_corr2d(X, K, padding=(0, 0), stride=(1, 1)):
    return F.conv2d(X[None, None], K[None, None], padding=padding, stride=stride)[0, 0]


def band_image():
    """The notes' example: a 6×8 image, white with a dark vertical band (columns 2..5)."""
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    return X


def corr2d_mistakes(X, K):
    expected = torch_corr2d(X, K)
    mistakes = [Mistake(FLIP_HINT, torch_corr2d(X, K.flip((0, 1))))]
    if expected.shape[0] > 1 and expected.shape[1] > 1:
        mistakes.append(Mistake(OFF_BY_ONE_HINT, expected[:-1, :-1]))
    return mistakes


# ---------------------------------------------------------------- corr2d

@check(points=12, hint=_("Y[i, j] = (X[i:i + kh, j:j + kw] * K).sum() for every i, j of the (h - kh + 1, w "
                         "- kw + 1) output"))
def test_corr2d_values(student, rng):
    g = Guarded(student)
    square = [((6, 7), (3, 3)), ((7, 6), (2, 2)), ((4, 4), (4, 4))]
    other = [((6, 8), (2, 3)), ((5, 6), (3, 2)), ((4, 5), (4, 5)), ((5, 7), (1, 3)), ((6, 5), (4, 1))]
    cases = []
    for xs, ks in square + other:
        X, K = as_tensor(rng.standard_normal(xs)), as_tensor(rng.standard_normal(ks))
        cases.append((_("corr2d(X, K) with X {xs}×{xs2}, K {ks}×{ks2}", xs=xs[0], xs2=xs[1], ks=ks[0],
                        ks2=ks[1]), (X, K), {}, torch_corr2d(X, K),
                      corr2d_mistakes(X, K), ks[0] == ks[1]))
    X, K = band_image(), as_tensor([[1.0, -1.0]])  # the notes' example, right after the square kernels
    cases.insert(len(square), (_("corr2d(X, K) on the notes' 6×8 image with K = [[1, -1]]"), (X, K), {},
                               torch_corr2d(X, K), corr2d_mistakes(X, K), False))
    expect_cases(cases, g.corr2d, square_first_hint=AXES_HINT)


@check(points=8, hint=_("build Y from differentiable tensor ops (no .item(), no torch.tensor([...]) of "
                        "values, no .data / .detach()) so that autograd reaches X and K"))
def test_corr2d_gradients(student, rng):
    X, K = as_tensor(rng.standard_normal((6, 7))), as_tensor(rng.standard_normal((3, 2)))
    G = as_tensor(rng.standard_normal((4, 6)))
    reply = Guarded(student).call("corr2d", X, K, wrt=(0, 1), grad_output=G)
    expect(reply["result"], torch_corr2d(X, K), name=_("corr2d(X, K) with X 6×7, K 3×2"),
           mistakes=corr2d_mistakes(X, K), hint=AXES_HINT)
    expect_gradients(reply["grads"], torch_grads(torch_corr2d, [X, K], G), of="corr2d(X, K)", wrt=("X", "K"))


# ---------------------------------------------------------------- shapes

@check(points=8, hint=_("each side gets the padding: (h - kh + 2 * ph) // sh + 1 rows, (w - kw + 2 * pw) "
                        "// sw + 1 columns"))
def test_conv_output_shape(student, rng):
    g = Guarded(student)
    grid = [((8, 8), (3, 3), (1, 1), (2, 2)), ((8, 8), (3, 5), (0, 1), (3, 4)), ((5, 7), (2, 2), (0, 0), (3, 3)),
            ((6, 5), (1, 1), (0, 0), (1, 1)), ((4, 4), (4, 4), (0, 0), (1, 1)), ((7, 9), (2, 4), (2, 1), (1, 2))]
    for _draw in range(10):
        h, w = (int(v) for v in rng.integers(3, 13, size=2))
        kh, kw = int(rng.integers(1, h + 1)), int(rng.integers(1, w + 1))
        grid.append(((h, w), (kh, kw), tuple(int(v) for v in rng.integers(0, 3, size=2)),
                     tuple(int(v) for v in rng.integers(1, 5, size=2))))
    for hw, khw, pad, stride in grid:
        shape = F.conv2d(torch.zeros(1, 1, *hw), torch.zeros(1, 1, *khw), padding=pad, stride=stride).shape[-2:]
        want = (int(shape[0]), int(shape[1]))
        got = g.conv_output_shape(hw, khw, padding=pad, stride=stride)
        (h, w), (kh, kw), (ph, pw), (sh, sw) = hw, khw, pad, stride
        expect(got, want, name=f"conv_output_shape({hw}, {khw}, padding={pad}, stride={stride})", mistakes=[
            Mistake(_("padding is added on *both* sides: h - kh + 2 * ph"),
                    ((h - kh + ph) // sh + 1, (w - kw + pw) // sw + 1)),
            Mistake(_("the stride divides the free room: (h - kh + 2 * ph) // sh + 1"),
                    (h - kh + 2 * ph + 1, w - kw + 2 * pw + 1)),
            Mistake(_("round down: (h - kh + 2 * ph) // sh + 1 (a last window that does not fit is dropped)"),
                    (math.ceil((h - kh + 2 * ph) / sh) + 1, math.ceil((w - kw + 2 * pw) / sw) + 1)),
            Mistake(_("the padding and stride arguments are ignored"), (h - kh + 1, w - kw + 1)),
        ])


# ---------------------------------------------------------------- Conv2D and learning a kernel

@check(points=10, hint=_("self.weight = nn.Parameter(torch.rand(kernel_size)); self.bias = "
                         "nn.Parameter(torch.zeros(1)); forward returns corr2d(x, self.weight) + self.bias"))
def test_conv2d_module(student, rng):
    g = Guarded(student)
    for ks in ((1, 2), (3, 2)):
        x = as_tensor(rng.standard_normal((6, 8)))
        W, b = as_tensor(rng.standard_normal(ks)), as_tensor(rng.standard_normal((1,)))
        G = as_tensor(rng.standard_normal((6 - ks[0] + 1, 8 - ks[1] + 1)))
        name = f"Conv2D({ks})"
        reply = g.module("Conv2D", [ks], x, state={"weight": W, "bias": b}, grad_output=G)
        params = reply["params"]
        want = {"weight": [list(ks), True], "bias": [[1], True]}
        if type(params) is not dict or set(params) != set(want):
            names = sorted(map(str, params)) if type(params) is dict else params
            raise CheckFailed(_("{name} has parameters {names}, expected exactly ['bias', 'weight'] "
                                "(registered as nn.Parameter attributes named weight and bias)", name=name,
                                names=names))
        for pname, (shape, trainable) in want.items():
            if params[pname][0] != shape:
                raise CheckFailed(_("{name}.{pname} has shape {value}, expected {shape}", name=name,
                                    pname=pname, value=tuple(params[pname][0]), shape=tuple(shape)))
            if params[pname][1] is not True:
                raise CheckFailed(_("{name}.{pname} does not require grad: it cannot be trained", name=name,
                                    pname=pname))
        out = torch_corr2d(x, W) + b
        expect(reply["output"], out, name=_("{name}(x) with x 6×8 and given weight and bias", name=name), mistakes=[
            Mistake(_("the bias is missing from forward: return corr2d(x, self.weight) + self.bias"),
                    torch_corr2d(x, W))])
        Wg, bg = W.clone().requires_grad_(True), b.clone().requires_grad_(True)
        ((torch_corr2d(x, Wg) + bg) * G).sum().backward()
        for pname, want_grad in (("weight", Wg.grad), ("bias", bg.grad)):
            grad = reply["grads"].get(pname) if type(reply["grads"]) is dict else None
            if grad is None:
                raise CheckFailed(_("no gradient reached {name}.{pname}: forward must use the parameter "
                                    "itself (not .data, .detach() or a copy)", name=name, pname=pname))
            expect(grad, want_grad, name=_("the gradient of {name}.{pname}", name=name, pname=pname))
    fresh = Handle.new(student, "Conv2D", (3, 2), _label="Conv2D((3, 2))").describe()
    bias = fresh.parameters.get("bias")  # DESIGN: the bias is initially zero (the weight is the student's choice)
    if isinstance(bias, TensorValue) and bias.data is not None and bool(bias.data.ne(0).any()):
        raise Partial(0.8, _("a new Conv2D((3, 2)) has bias {tolist}, expected [0.0] (initially zero); "
                             "everything else of Conv2D is right", tolist=bias.data.tolist()),
                _("self.bias = nn.Parameter(torch.zeros(1))"))


def _expect_kernel(got, want, *, name, atol):
    if isinstance(got, TensorValue) and got.data is not None and tuple(got.shape) != tuple(want.shape) \
            and got.data.numel() == want.numel():
        raise CheckFailed(_("{name}: returned a kernel of shape {shape}, expected {shape2} (the kernel_size)",
                            name=name, shape=tuple(got.shape), shape2=tuple(want.shape)),
                _("return K with the shape kernel_size, e.g. K.reshape(kernel_size)"))
    if isinstance(got, TensorValue) and got.data is not None:
        if not bool(got.data.double().abs().max() < 100):
            raise CheckFailed(_("{name}: the kernel diverged to {tolist}", name=name, tolist=got.data.tolist()),
                              _("gradient descent blew up: subtract lr * K.grad (not add), zero the "
                                "gradient after each step, and learn K only — with the bias of Conv2D the "
                                "notes' lr 3e-2 diverges"))
        got = TensorValue(got.data.to(want.dtype), str(want.dtype).removeprefix("torch."), got.shape, got.device)
    expect(got, want, name=name, atol=atol, rtol=0.0)


LEARN_HINT = _("each epoch: Y_hat = corr2d(X, K); loss = ((Y_hat - Y) ** 2).sum(); loss.backward(); then "
               "under torch.no_grad(): K -= lr * K.grad; K.grad.zero_(); learn K only (no bias) and use "
               "lr and epochs as given")


@check(points=10, hint=LEARN_HINT, timeout=30)
def test_learn_kernel(student):
    """The notes' example.  With lr 3e-2 and 10 epochs the notes' recipe ends within ≈0.11 of
    [1, -1] from a start in [0, 1)² (the slow direction shrinks by 0.8 per epoch), so the
    tolerance is 0.2."""
    g = Guarded(student)
    X = band_image()
    Y = torch_corr2d(X, as_tensor([[1.0, -1.0]]))
    want = as_tensor([[1.0, -1.0]])
    _expect_kernel(g.learn_kernel(X, Y), want, name=_("learn_kernel(X, Y) on the notes' 6×8 image"), atol=0.2)
    _expect_kernel(g.learn_kernel(X.reshape(1, 1, 6, 8), Y.reshape(1, 1, 6, 7), kernel_size=(1, 2), lr=3e-2, epochs=10),
                   want, name=_("learn_kernel(X, Y) with X (1, 1, 6, 8) and Y (1, 1, 6, 7)"), atol=0.2)


@check(points=5, hidden=True, hint=LEARN_HINT, timeout=30)
def test_learn_kernel_other(student, rng):
    """A random 6×8 image and a 2×2 kernel the student never sees; lr and epochs chosen from
    the problem's curvature so that any starting kernel within ±10 converges to 1e-2."""
    X = as_tensor(rng.standard_normal((6, 8)))
    K = as_tensor(np.round(rng.uniform(-1.5, 1.5, (2, 2)), 2))
    Y = torch_corr2d(X, K)
    patches = X.unfold(0, 2, 1).unfold(1, 2, 1).reshape(-1, 4).double()
    eig = torch.linalg.eigvalsh(2 * patches.T @ patches)
    lr = float(1.0 / eig[-1])
    epochs = int(min(200, math.ceil(math.log(1e-4) / math.log(1 - float(eig[0] / eig[-1])))))
    got = Guarded(student).learn_kernel(X, Y, kernel_size=(2, 2), lr=lr, epochs=epochs)
    _expect_kernel(got, K, name=_("learn_kernel(X, Y, kernel_size=(2, 2), lr={lr:.3g}, epochs={epochs}) on "
                                  "a random 6×8 image", lr=lr, epochs=epochs), atol=1e-2)


# ---------------------------------------------------------------- channels

def multi_in_mistakes(X, K):
    per_channel = torch.stack([torch_corr2d(x, k) for x, k in zip(X, K)])
    return [Mistake(CHANNEL_SUM_HINT, per_channel.sum(dim=1)), Mistake(CHANNEL_SUM_HINT, per_channel.sum(dim=-1)),
            Mistake(_("add the per-channel results up (sum), do not average them"), per_channel.mean(dim=0)),
            Mistake(_("return the sum over channels, not the stack of per-channel results"), per_channel)]


@check(points=8, hint=_("sum(corr2d(x, k) for x, k in zip(X, K)): one corr2d per input channel, added up"))
def test_corr2d_multi_in(student, rng):
    g = Guarded(student)
    for xs, ks in (((2, 5, 6), (2, 2, 3)), ((3, 4, 4), (3, 3, 3)), ((1, 5, 5), (1, 2, 2))):
        X, K = as_tensor(rng.standard_normal(xs)), as_tensor(rng.standard_normal(ks))
        expect(g.corr2d_multi_in(X, K), F.conv2d(X[None], K[None])[0, 0],
               name=_("corr2d_multi_in(X, K) with X {xs}, K {ks}", xs=xs, ks=ks), mistakes=multi_in_mistakes(X, K))


@check(points=8, hint=_("torch.stack([corr2d_multi_in(X, k) for k in K], 0): one output channel per kernel "
                        "K[o]"))
def test_corr2d_multi_in_out(student, rng):
    g = Guarded(student)
    for xs, ks in (((2, 5, 5), (3, 2, 2, 2)), ((3, 4, 6), (2, 3, 1, 3))):
        X, K = as_tensor(rng.standard_normal(xs)), as_tensor(rng.standard_normal(ks))
        wrong_sum = [torch.stack([multi_in_mistakes(X, k)[i].output for k in K]) for i in range(2)]
        expect(g.corr2d_multi_in_out(X, K), F.conv2d(X[None], K)[0],
               name=_("corr2d_multi_in_out(X, K) with X {xs}, K {ks}", xs=xs, ks=ks),
               mistakes=[Mistake(CHANNEL_SUM_HINT, w) for w in wrong_sum] + [
                   Mistake(_("stack the output channels along dim 0: torch.stack([...], 0)"),
                           F.conv2d(X[None], K)[0].transpose(0, 1))])


@check(points=6, hint=_("X.reshape(c_i, h * w); K.reshape(c_o, c_i); Y = K @ X; return Y.reshape(c_o, h, w)"))
def test_corr2d_multi_in_out_1x1(student, rng):
    g = Guarded(student)
    for xs, co in (((3, 4, 5), 2), ((2, 3, 3), 4)):
        X, K = as_tensor(rng.standard_normal(xs)), as_tensor(rng.standard_normal((co, xs[0], 1, 1)))
        expect(g.corr2d_multi_in_out_1x1(X, K), F.conv2d(X[None], K)[0],
               name=_("corr2d_multi_in_out_1x1(X, K) with X {xs}, K {shape}", xs=xs, shape=tuple(K.shape)))


# ---------------------------------------------------------------- padding and stride

@check(points=12, hint=_("pad X with ph rows of zeros above and below and pw columns left and right, then "
                         "take windows starting at rows 0, sh, 2 sh, ... and columns 0, sw, 2 sw, ..."))
def test_corr2d_strided(student, rng):
    g = Guarded(student)
    cases = [((8, 8), (3, 3), (1, 1), (1, 1)), ((8, 8), (3, 3), (1, 1), (2, 2)), ((8, 8), (3, 5), (0, 1), (3, 4)),
             ((7, 6), (2, 2), (0, 0), (3, 3)), ((6, 7), (2, 3), (2, 1), (2, 3)), ((5, 5), (1, 1), (1, 0), (1, 1))]
    for xs, ks, pad, stride in cases:
        X, K = as_tensor(rng.standard_normal(xs)), as_tensor(rng.standard_normal(ks))
        want = torch_corr2d(X, K, pad, stride)
        one_side = F.conv2d(F.pad(X, (pad[1], 0, pad[0], 0))[None, None], K[None, None], stride=stride)[0, 0]
        expect(g.corr2d_strided(X, K, padding=pad, stride=stride), want,
               name=_("corr2d_strided(X, K, padding={pad}, stride={stride}) with X {xs}×{xs2}, K {ks}×{ks2}",
                      pad=pad, stride=stride, xs=xs[0], xs2=xs[1], ks=ks[0], ks2=ks[1]),
               mistakes=[Mistake(_("the padding is ignored: pad X with zeros first"),
                                 torch_corr2d(X, K, (0, 0), stride)),
                         Mistake(_("pad on *both* sides: ph rows above and below, pw columns left and right"),
                                 one_side),
                         Mistake(_("the stride is ignored: step the window by sh rows and sw columns"),
                                 torch_corr2d(X, K, pad, (1, 1))),
                         Mistake(FLIP_HINT, torch_corr2d(X, K.flip((0, 1)), pad, stride))])


# ---------------------------------------------------------------- contract: dtype, device, inputs

@check(points=5, hint=DTYPE_HINT)
def test_dtype_follows_input(student, rng):
    """Only the dtype is judged here, with square kernels (values are the other checks' business)."""
    g = Guarded(student)
    X, K = rng.standard_normal((5, 6)), rng.standard_normal((2, 2))
    Xi, Ki = rng.integers(-5, 6, (5, 6)), rng.integers(-3, 4, (3, 3))
    X3, K3, K4 = rng.standard_normal((2, 5, 5)), rng.standard_normal((2, 2, 2)), rng.standard_normal((2, 2, 2, 2))
    f64, i64 = torch.float64, torch.int64
    cases = [(_("corr2d(X, K) with float64 X and K"), "corr2d", (as_tensor(X, f64), as_tensor(K, f64)), {}, "float64"),
             (_("corr2d(X, K) with int64 X and K"), "corr2d", (as_tensor(Xi, i64), as_tensor(Ki, i64)), {}, "int64"),
             (_("corr2d_multi_in(X, K) with float64 X and K"), "corr2d_multi_in",
              (as_tensor(X3, f64), as_tensor(K3, f64)), {}, "float64"),
             (_("corr2d_multi_in_out(X, K) with float64 X and K"), "corr2d_multi_in_out",
              (as_tensor(X3, f64), as_tensor(K4, f64)), {}, "float64"),
             (_("corr2d_strided(X, K, padding=(1, 1), stride=(2, 2)) with float64 X and K"), "corr2d_strided",
              (as_tensor(X, f64), as_tensor(K, f64)), {"padding": (1, 1), "stride": (2, 2)}, "float64")]
    for name, func, args, kwargs, dtype in cases:
        expect_dtype(g.call(func, *args, **kwargs)["result"], dtype, name=name)


@check(points=5, hint=DEVICE_HINT, timeout=30)
def test_device(student, rng, note):
    """On an accelerator when torch sees one, else on a fake device (CPU tensors posing as another
    device, ``autograder.worker.drivers.posing``); small
    inputs and square kernels (non-square bugs are the value checks' business)."""
    X, K = as_tensor(rng.standard_normal((4, 5))), as_tensor(rng.standard_normal((2, 2)))
    X3, K4 = as_tensor(rng.standard_normal((2, 4, 4))), as_tensor(rng.standard_normal((2, 2, 2, 2)))
    K1 = as_tensor(rng.standard_normal((3, 2, 1, 1)))
    method = check_device(student, "corr2d", [X, K], name="corr2d(X, K)", note=note)
    check_device(student, "corr2d_multi_in", [X3, K4[0]], name="corr2d_multi_in(X, K)", note=note)
    check_device(student, "corr2d_multi_in_out", [X3, K4], name="corr2d_multi_in_out(X, K)", note=note)
    check_device(student, "corr2d_multi_in_out_1x1", [X3, K1], name="corr2d_multi_in_out_1x1(X, K)", note=note)
    check_device(student, "corr2d_strided", [X, as_tensor(rng.standard_normal((3, 3)))], {"padding": (1, 1), "stride": (2, 2)},
                 name="corr2d_strided(X, K, padding=(1, 1), stride=(2, 2))", note=note)
    check_device(student, None, [X], cls="Conv2D", init=[(2, 2)], name="Conv2D((2, 2))(x)", note=note)
    note_method(note, method)


@check(points=3, hint=_("compute into new tensors; never write into X or K (no in-place ops such as "
                        "X.resize_, X -= ..., X[...] = ... on the arguments)"))
def test_inputs_unchanged(student, rng):
    g = Guarded(student)
    X, K = as_tensor(rng.standard_normal((5, 6))), as_tensor(rng.standard_normal((2, 2)))
    X3, K3 = as_tensor(rng.standard_normal((2, 4, 5))), as_tensor(rng.standard_normal((2, 2, 2)))
    K4, K1 = as_tensor(rng.standard_normal((3, 2, 2, 2))), as_tensor(rng.standard_normal((3, 2, 1, 1)))
    for func, args, kwargs in (("corr2d", (X, K), {}), ("corr2d_multi_in", (X3, K3), {}),
                               ("corr2d_multi_in_out", (X3, K4), {}), ("corr2d_multi_in_out_1x1", (X3, K1), {}),
                               ("corr2d_strided", (X, K), {"padding": (1, 1), "stride": (2, 1)})):
        expect_inputs_unchanged(g.args_after, func, args, names=["X", "K"], kwargs=kwargs)
