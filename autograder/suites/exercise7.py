"""exercise7 — linear regression: synthetic data, Dataset/DataLoader, training, losses,
dropout, device helpers.

100 points.  The Dataset, the DataLoader and the trained model stay in the worker; the
checks drive them through ``Handle`` and get plain data back.

Statistical checks (synthetic_data's X and noise, dropout's fraction and expectation) accept
a statistic when it lies within 6 standard deviations of its expected value (normal
approximation; n ≥ 3,000 everywhere).  A correct implementation fails one such test with
probability ≈ 2.0e-9 (two-sided 6σ); the suite runs 10 of them, so the designed false-fail
probability is about 2e-8 per run (below 1e-7 allowing for the approximation's error in the
tails).  The shuffle check's only false fail, two identical epoch orders of 103 examples, has
probability 1/103! ≈ 1e-164.  The worker seeds torch with the check's seed before every call, so every
verdict is also deterministic given the seed.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

from autograder.checks import (_, CheckFailed, Handle, Mistake, TensorValue, accelerators, as_value, check,
                               check_device, describe_type, diagnose_training, expect, expect_unchanged, note_method,
                               randn, within, with_cuda_count)


def data_of(value, name, *, shape=None, dtype=None):
    if not isinstance(value, TensorValue) or value.data is None:
        raise CheckFailed(_("{name}: returned {value}, expected a tensor", name=name, value=describe_type(value)))
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise CheckFailed(_("{name}: shape {shape}, expected {shape2}", name=name, shape=tuple(value.shape),
                            shape2=tuple(shape)),
                          _("y must be a column: y.reshape((-1, 1))") if tuple(value.shape) == tuple(shape[:1])
                          else None)
    if dtype is not None and value.dtype != str(dtype).removeprefix("torch."):
        raise CheckFailed(_("{name}: dtype torch.{dtype}, expected {dtype2} (follow w's dtype)", name=name,
                            dtype=value.dtype, dtype2=dtype),
                          _("create tensors with dtype=w.dtype, device=w.device"))
    return value.data


def pair(value, name):
    if type(value) not in (tuple, list) or len(value) != 2:
        raise CheckFailed(_("{name} returned {value}, expected a pair (X, y)", name=name,
                            value=describe_type(value)))
    return value


# ---------------------------------------------------------------- synthetic_data

NOISE_HINT = _("y = X @ w + b, then add torch.normal(0, noise_std, y.shape); return X and y.reshape((-1, "
               "1))")


@check(points=8, hint=_("X = torch.normal(0, 1, (num_examples, len(w))); y = X @ w + b + noise, as a "
                        "column (n, 1)"))
def test_synthetic_data_shapes(student):
    w = torch.tensor([2.0, -3.4, 1.5])
    X, y = pair(student.synthetic_data(w, 4.2, 1000), "synthetic_data(w, 4.2, 1000)")
    X = data_of(X, _("X of synthetic_data(w, 4.2, 1000), w of shape (3,)"), shape=(1000, 3), dtype=torch.float32)
    data_of(y, _("y of synthetic_data(w, 4.2, 1000)"), shape=(1000, 1), dtype=torch.float32)
    n = X.numel()
    within(float(X.double().mean()), 0.0, 1 / math.sqrt(n), _("the mean of X's entries"),
           _("X's entries are standard normal: torch.normal(0, 1, ...)"))
    within(float(X.double().var()), 1.0, math.sqrt(2 / (n - 1)), _("the variance of X's entries"),
           _("X's entries are standard normal: torch.normal(0, 1, ...)"))
    w64 = w.double()
    X64, y64 = pair(student.synthetic_data(w64, 4.2, 10), _("synthetic_data(w, 4.2, 10) with float64 w"))
    data_of(X64, _("X of synthetic_data with float64 w"), shape=(10, 3), dtype=torch.float64)
    data_of(y64, _("y of synthetic_data with float64 w"), shape=(10, 1), dtype=torch.float64)


@check(points=8, hint=NOISE_HINT)
def test_synthetic_data_noise(student, rng):
    w = torch.from_numpy(rng.uniform(-3, 3, 4)).float()
    b = float(rng.uniform(-2, 2))
    n = 20000
    for std, kwargs in ((0.5, {"noise_std": 0.5}), (0.01, {})):
        name = f"synthetic_data(w, {b:.3g}, {n}{', noise_std=0.5' if kwargs else ''})"
        X, y = pair(student.synthetic_data(w, b, n, **kwargs), name)
        X = data_of(X, _("X of {name}", name=name), shape=(n, 4)).double()
        y = data_of(y, _("y of {name}", name=name), shape=(n, 1)).double()
        residual = (y[:, 0] - (X @ w.double() + b)).numpy()
        if np.abs(residual).max() == 0 or residual.std() < std / 100:
            raise CheckFailed(_("{name}: y = X @ w + b exactly; the noise is missing", name=name), NOISE_HINT)
        within(float(residual.mean()), 0.0, std / math.sqrt(n), _("{name}: the mean of y - (X @ w + b)",
                                                                  name=name),
               _("y = X @ w + b + noise, with zero-mean noise: check w, b and the noise's mean"))
        within(float(residual.var()) / std ** 2, 1.0, math.sqrt(2 / (n - 1)),
               _("{name}: the variance of the noise y - (X @ w + b), divided by noise_std²", name=name),
               _("the noise's standard deviation is noise_std (default 0.01): torch.normal(0, noise_std, "
                 "y.shape)"))


# ---------------------------------------------------------------- Dataset and DataLoader

@check(points=8, hint=_("subclass torch.utils.data.Dataset: __len__ returns len(self.x), __getitem__(i) "
                        "returns (self.x[i], self.y[i])"))
def test_my_dataset(student, rng):
    x, y = randn(rng, 37, 3), randn(rng, 37, 1)
    ds = Handle.new(student, "MyDataset", x, y, _label="MyDataset(x, y)")
    n = len(ds)
    if n != 37:
        raise CheckFailed(_("len(MyDataset(x, y)) is {n}, expected 37 (len(x))", n=n))
    for i in (0, 5, 36):
        expect(ds[i], (x[i], y[i]), name=f"MyDataset(x, y)[{i}]")
    if ds.kind != "dataset":
        raise CheckFailed(_("MyDataset is a {type}, expected a torch.utils.data.Dataset subclass", type=ds.type),
                          _("class MyDataset(torch.utils.data.Dataset): DataLoader expects one"))


def _indexed(n):
    """Features whose column 0 is the example's index, and labels 2 * index + 1."""
    index = torch.arange(n, dtype=torch.float32)
    features = torch.stack([index, torch.ones(n)], dim=1)
    return features, (2 * index + 1).reshape(-1, 1)


def _epochs(student, n, batch_size, is_train, epochs=2):
    features, labels = _indexed(n)
    label = f"load_array((features, labels), {batch_size}, is_train={is_train})"
    loader = Handle.new(student, "load_array", (features, labels), batch_size, is_train=is_train, _label=label)
    orders = []
    for e, batches in enumerate(loader.iterate(epochs)):
        ids, sizes = [], []
        for k, batch in enumerate(batches):
            if type(batch) not in (list, tuple) or len(batch) != 2:
                raise CheckFailed(_("{label}: batch {k} of epoch {e} is {batch}, expected (X, y)", label=label,
                                    k=k, e=e, batch=describe_type(batch)))
            X = data_of(batch[0], _("{label}: X of batch {k}", label=label, k=k))
            y = data_of(batch[1], _("{label}: y of batch {k}", label=label, k=k))
            if X.ndim != 2 or X.shape[1] != 2 or tuple(y.shape) != (X.shape[0], 1):
                raise CheckFailed(_("{label}: batch {k} has X of shape {shape} and y of shape {shape2}, "
                                    "expected (b, 2) and (b, 1)", label=label, k=k, shape=tuple(X.shape),
                                    shape2=tuple(y.shape)))
            if not torch.equal(y[:, 0], 2 * X[:, 0] + 1):
                raise CheckFailed(_("{label}: batch {k} pairs features with the wrong labels", label=label, k=k))
            ids += [int(v) for v in X[:, 0]]
            sizes.append(X.shape[0])
        want = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
        if sizes != want:
            raise CheckFailed(_("{label}: epoch {e} has batch sizes {sizes}, expected {want}", label=label,
                                e=e, sizes=sizes, want=want),
                              _("keep the last, smaller batch (drop_last=False) and pass batch_size on"))
        if sorted(ids) != list(range(n)):
            raise CheckFailed(_("{label}: epoch {e} does not visit each of the {n} examples exactly once",
                                label=label, e=e, n=n))
        orders.append(ids)
    return orders


@check(points=10, hint=_("return data.DataLoader(data.TensorDataset(*data_arrays), batch_size, "
                         "shuffle=is_train)"))
def test_load_array_epoch(student):
    _epochs(student, 103, 10, True)
    _epochs(student, 64, 16, False)


@check(points=8, hint=_("shuffle=is_train: shuffle the training data, keep the order otherwise"))
def test_load_array_shuffle(student):
    n = 103
    first, second = _epochs(student, n, 10, True)
    if first == list(range(n)):
        raise CheckFailed(_("load_array(..., is_train=True) does not shuffle: the first epoch is in the "
                            "original order"),
                          _("pass shuffle=is_train to the DataLoader"))
    if first == second:
        raise CheckFailed(_("load_array(..., is_train=True) visits the examples in the same order every "
                            "epoch"),
                          _("let the DataLoader shuffle (shuffle=True) instead of shuffling once"))
    for e, order in enumerate(_epochs(student, n, 10, False)):
        if order != list(range(n)):
            raise CheckFailed(_("load_array(..., is_train=False) shuffles (epoch {e} is not in the "
                                "original order)", e=e),
                              _("shuffle only when is_train: shuffle=is_train"))


# ---------------------------------------------------------------- training

@check(points=13, timeout=60, hint=_("an nn.Linear(d, 1) trained with torch.optim.SGD(net.parameters(), "
                                     "lr=lr) on nn.MSELoss() over load_array((features, labels), "
                                     "batch_size) for `epochs` epochs"))
def test_train_linear_regression(student, rng):
    d, n = 3, 1000
    w = rng.uniform(-3, 3, d)
    b = float(rng.uniform(-2, 2))
    X = rng.standard_normal((n, d))
    y = X @ w + b + 0.01 * rng.standard_normal(n)
    features, labels = torch.from_numpy(X).float(), torch.from_numpy(y).float().reshape(-1, 1)
    label = "train_linear_regression(features, labels)"
    net = Handle.new(student, "train_linear_regression", features, labels, _label=label)
    net.require_module()
    probes = torch.cat([torch.zeros(1, d), torch.eye(d), randn(rng, 5, d)])
    out = data_of(net(probes), _("the model returned by {label}, on a batch of shape {shape}", label=label,
                                 shape=tuple(probes.shape)),
                  shape=(len(probes), 1)).double()[:, 0]
    b_hat = float(out[0])
    w_hat = (out[1:d + 1] - b_hat).numpy()
    tol = 0.05
    if not (np.all(np.abs(w_hat - w) <= tol) and abs(b_hat - b) <= tol):
        raise CheckFailed(_("{label}: the model computes w ≈ {tolist}, b ≈ {b_hat:.3f}; the data came from w = "
                            "{tolist2}, b = {b:.3f} (tolerance {tol:g})", label=label,
                            tolist=np.round(w_hat, 3).tolist(), b_hat=b_hat, tolist2=np.round(w, 3).tolist(),
                            b=b, tol=tol),
                          diagnose_training(student, "train_linear_regression", [features, labels]))
    predicted = probes[d + 1:].double().numpy() @ w + b
    err = np.abs(out[d + 1:].numpy() - predicted).max()
    if err > 3 * tol:
        raise CheckFailed(_("{label}: the model is not linear: on random inputs it is off by up to "
                            "{err:.3g}", label=label, err=err))


# ---------------------------------------------------------------- losses

def _with_grad(student, func, args, wrt, name):
    reply = student.drive("autograd:call_with_grad", func, list(args), wrt=list(wrt))
    if type(reply) is not dict or type(reply.get("grads")) is not list or len(reply["grads"]) != len(wrt):
        raise CheckFailed(_("{name}: malformed reply from the worker", name=name))
    return reply["result"], reply["grads"]


@check(points=8, hint=_("((y_hat - y.reshape(y_hat.shape)) ** 2).mean(), as nn.MSELoss()"))
def test_my_mse(student, rng):
    y_hat = randn(rng, 50, 1)
    for y, shape in ((randn(rng, 50, 1), "(50, 1)"), (randn(rng, 50), "(50,)")):
        name = _("my_mse(y_hat, y) for y_hat of shape (50, 1), y of shape {shape}", shape=shape)
        leaf = y_hat.clone().requires_grad_(True)
        expected = F.mse_loss(leaf, y.reshape(leaf.shape))
        (grad,) = torch.autograd.grad(expected, [leaf])
        d = y_hat - y.reshape(y_hat.shape)
        result, grads = _with_grad(student, "my_mse", (y_hat, y), [0], name)
        expect(result, expected.detach(), name=name, mistakes=[
            Mistake(_("take the mean of the squared errors, not their sum"), (d ** 2).sum()),
            Mistake(_("this is the mean squared error, without the factor 1/2"), (d ** 2).mean() / 2),
            Mistake(_("reshape y like y_hat first: (50, 1) - (50,) broadcasts to a (50, 50) matrix"),
                    ((y_hat - y) ** 2).mean()),
        ])
        if grads[0] is None:
            raise CheckFailed(_("{name}: no gradient reaches y_hat (is the graph cut by .detach(), .item() "
                                "or numpy?)", name=name))
        expect(grads[0], grad, name=_("the gradient of {name} with respect to y_hat", name=name), rtol=1e-5, atol=1e-7)


@check(points=6, hint=_("torch.sum(w ** 2) / 2"))
def test_l2_penalty(student, rng):
    for shape in ((5,), (3, 4)):
        w = randn(rng, *shape)
        name = _("l2_penalty(w) for w of shape {shape}", shape=shape)
        result, grads = _with_grad(student, "l2_penalty", (w,), [0], name)
        expected = (w.double() ** 2).sum() / 2
        expect(result, expected.float(), name=name, mistakes=[
            Mistake(_("divide by 2: the penalty is sum(w ** 2) / 2"), (w ** 2).sum()),
            Mistake(_("the penalty is the squared norm / 2, not the norm"), w.norm() / 2),
            Mistake(_("sum the squares; do not average them"), (w ** 2).mean() / 2)])
        if grads[0] is None:
            raise CheckFailed(_("{name}: no gradient reaches w", name=name))
        expect(grads[0], w, name=_("the gradient of {name} (it is w itself)", name=name), rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------- dropout

@check(points=5, hint=_("p == 1: return torch.zeros_like(X) (1 / (1 - p) divides by zero); p == 0: X's "
                        "values"))
def test_dropout_edge_cases(student, rng):
    X = randn(rng, 64, 32)
    expect(student.dropout_layer(X, 0.0), X, name="dropout_layer(X, 0.0)", rtol=0, atol=0)
    expect(student.dropout_layer(X, 1.0), torch.zeros_like(X), name="dropout_layer(X, 1.0)", rtol=0, atol=0)


@check(points=7, hint=_("mask = (torch.rand(X.shape, device=X.device) > p).to(X.dtype); return mask * X / "
                        "(1.0 - p)"))
def test_dropout_statistics(student, rng):
    n = 200_000
    X = randn(rng, 400, 500)
    for p in (0.3, 0.75):
        name = _("dropout_layer(X, {p}) for X of shape (400, 500)", p=p)
        out = data_of(student.dropout_layer(X, p), name, shape=(400, 500), dtype=torch.float32)
        dropped = out == 0
        fraction = float(dropped.double().mean())
        if abs(fraction - (1 - p)) < abs(fraction - p) and abs(p - 0.5) > 0.1:
            raise CheckFailed(_("{name}: {fraction:.3f} of the elements were zeroed, expected {p}", name=name,
                                fraction=fraction, p=p),
                              _("zero each element with probability p (keep it where torch.rand(...) > p)"))
        within(fraction, p, math.sqrt(p * (1 - p) / n), _("{name}: the fraction of zeroed elements", name=name))
        kept = ~dropped
        survivors = out[kept]
        expect(as_value(survivors), X[kept] / (1 - p),
               name=_("{name}: the surviving elements", name=name), rtol=1e-5, atol=1e-6,
               mistakes=[Mistake(_("scale the survivors by 1 / (1 - p) so that the expectation is unchanged"), X[kept]),
                         Mistake(_("scale the survivors by 1 / (1 - p), not 1 / p"), X[kept] / p)])
        ones = data_of(student.dropout_layer(torch.ones(n), p), f"dropout_layer(torch.ones({n}), {p})", shape=(n,))
        within(float(ones.double().mean()), 1.0, math.sqrt(p / (1 - p) / n),
               _("the mean of dropout_layer(torch.ones({n}), {p}) (the expectation must be preserved)", n=n, p=p))


DROPOUT_INPLACE_HINT = _("build a new tensor (mask * X / (1 - p)); do not write into X (no X *= ..., "
                         "X[mask] = 0)")


@check(points=4, hint=DROPOUT_INPLACE_HINT)
def test_dropout_input_unchanged(student, rng):
    X = randn(rng, 32, 16, dtype=torch.float64)
    call = student.call("dropout_layer", X, 0.5)
    try:
        expect_unchanged(call.args, [X], names=["X"], func="dropout_layer")
    except CheckFailed as exc:
        raise CheckFailed(exc.message, DROPOUT_INPLACE_HINT) from None
    data_of(call.result, _("dropout_layer(X, 0.5) for float64 X"), shape=(32, 16), dtype=torch.float64)


# ---------------------------------------------------------------- devices

def _device(value, name):
    if not isinstance(value, torch.device):
        raise CheckFailed(_("{name} returned {value}, expected a torch.device", name=name,
                            value=describe_type(value)),
                          _("return torch.device('cuda:0') / torch.device('cpu'), not a string"))
    return value


def _machines(student) -> list[tuple[int, str]]:
    """The CUDA device counts a helper is graded on: this machine's, and (faked in the worker)
    none and two, so that both branches run whatever the grader has."""
    real = accelerators(student)["cuda"]
    return [(real, _("this machine has {n} CUDA device(s)", n=real))] + [
        (n, _("with torch reporting {n} CUDA device(s)", n=n)) for n in (0, 2) if n != real]


def _call(student, count: int, real: int, func: str, *args):
    return getattr(student, func)(*args) if count == real else with_cuda_count(student, func, list(args), count)


@check(points=5, hint=_("torch.device(f'cuda:{{i}}') if torch.cuda.device_count() >= i + 1 else "
                        "torch.device('cpu')"))
def test_try_gpu(student):
    machines = _machines(student)
    for count, machine in machines:
        for args, i in (((), 0), ((0,), 0), ((1,), 1), ((3,), 3)):
            name = f"try_gpu({', '.join(map(str, args))})"
            got = _device(_call(student, count, machines[0][0], "try_gpu", *args), name)
            want = torch.device(f"cuda:{i}") if i < count else torch.device("cpu")
            if got != want:
                raise CheckFailed(_("{name} returned {got}, expected {want} ({machine})", name=name, got=got,
                                    want=want, machine=machine))


@check(points=4, hint=_("[torch.device(f'cuda:{{i}}') for i in range(torch.cuda.device_count())] or "
                        "[torch.device('cpu')]"))
def test_try_all_gpus(student):
    machines = _machines(student)
    for count, machine in machines:
        got = _call(student, count, machines[0][0], "try_all_gpus")
        if type(got) not in (list, tuple):
            raise CheckFailed(_("try_all_gpus() returned {got}, expected a list of torch.device",
                                got=describe_type(got)))
        got = [_device(d, "try_all_gpus()") for d in got]
        want = [torch.device(f"cuda:{i}") for i in range(count)] or [torch.device("cpu")]
        if got != want:
            raise CheckFailed(_("try_all_gpus() returned {got}, expected {want} ({machine})", got=got,
                                want=want, machine=machine))


@check(points=6, timeout=60, hint=_("create every tensor on the input's device: torch.normal(..., "
                                    "device=w.device), torch.rand(X.shape, device=X.device) or "
                                    "torch.rand_like(X)"))
def test_device(student, rng, note):
    """Every tensor function keeps its results on its input's device (DESIGN §3)."""
    w, X = randn(rng, 3), randn(rng, 6, 5)
    y_hat, y = randn(rng, 8, 1), randn(rng, 8)
    method = None
    for func, args, random in (("synthetic_data", [w, 4.2, 10], True), ("my_mse", [y_hat, y], False),
                               ("l2_penalty", [w], False), ("dropout_layer", [X, 0.5], True)):
        shown = ", ".join({id(w): "w", id(X): "X", id(y_hat): "y_hat", id(y): "y"}.get(id(a), repr(a)) for a in args)
        method = check_device(student, func, args, name=f"{func}({shown})", note=note, random=random)
    note_method(note, method)
