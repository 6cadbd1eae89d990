"""exercise4: each known wrong implementation and each forbidden-API variant loses exactly
the intended checks with the intended message; a vectorised solution earns full marks;
the static detector's rules on small sources."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from autograder.checks.device import DEVICE_HINT
from autograder.checks.source import analyse, is_forbidden
from autograder.suites.exercise4 import AXES_HINT, CHANNEL_SUM_HINT, DTYPE_HINT, FLIP_HINT, OFF_BY_ONE_HINT
from conftest import assert_lost_with_hints, lost, show, start_gradings, write_mutant

VECTORISED = Path(__file__).parent / "vectorised"

NEW_ZEROS = "Y = X.new_zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))"
WINDOW = "(X[i:i + h, j:j + w] * K).sum()"
CORR2D_BODY = NEW_ZEROS + """
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = """ + WINDOW + """
    return Y"""
# every check that calls corr2d, directly or through corr2d_multi_in(_out), Conv2D, learn_kernel
USES_CORR2D = {"corr2d_values", "corr2d_gradients", "conv2d_module", "learn_kernel", "learn_kernel_other",
               "corr2d_multi_in", "corr2d_multi_in_out", "dtype_follows_input", "device", "inputs_unchanged"}
VALUES_OF_CORR2D = {"corr2d_values", "corr2d_gradients", "conv2d_module", "learn_kernel", "learn_kernel_other",
                    "corr2d_multi_in", "corr2d_multi_in_out"}


TORCH_ZEROS = (NEW_ZEROS, NEW_ZEROS.replace("X.new_zeros", "torch.zeros"))
MULTI_IN_WRONG_DIM = (".sum(dim=0)", ".sum(dim=1)")
IN_PLACE_RESIZE = ("X = X.reshape((c_i, h * w))", "X.resize_((c_i, h * w))")

# Each case: replacements in the reference, and the checks it must lose -> a hint they show
# (None: the check's own).  Mistakes whose checks are disjoint share one grading run.
MUTANTS = {
    # the notes' textbook `Y = torch.zeros(...)`: right values, float32 on the CPU whatever the
    # input; channel results summed over the wrong dimension; resize_ instead of reshape (same
    # output, but the caller's X changes shape)
    "torch_zeros+multi_in_wrong_dim+in_place": (
        [TORCH_ZEROS, MULTI_IN_WRONG_DIM, IN_PLACE_RESIZE],
        {"dtype_follows_input": DTYPE_HINT, "device": DEVICE_HINT, "corr2d_multi_in": CHANNEL_SUM_HINT,
         "corr2d_multi_in_out": CHANNEL_SUM_HINT, "inputs_unchanged": "must leave its inputs as they were"}),
    "off_by_one": ([(NEW_ZEROS, "Y = X.new_zeros((X.shape[0] - h, X.shape[1] - w))")],
                   dict.fromkeys(VALUES_OF_CORR2D) | {"corr2d_values": OFF_BY_ONE_HINT}),
    "flipped_kernel": ([(WINDOW, "(X[i:i + h, j:j + w] * K.flip((0, 1))).sum()")],
                       dict.fromkeys(VALUES_OF_CORR2D) | {"corr2d_values": FLIP_HINT}),
    # rows and columns of the window swapped: square kernels still work
    "wrong_axes": ([(WINDOW, "(X[i:i + w, j:j + h] * K).sum()")],
                   dict.fromkeys(VALUES_OF_CORR2D - {"learn_kernel_other"}) | {"corr2d_values": AXES_HINT}),
}


@pytest.mark.parametrize("name", MUTANTS)
def test_known_wrong_implementation(gradings, name):
    _replacements, expected = MUTANTS[name]
    assert_lost_with_hints(gradings[name].result(), expected)


IMPORT = ("import torch\n", "import torch\nimport torch.nn.functional as F\n")


def _variant(body: str) -> list:
    return [IMPORT, (CORR2D_BODY, body)]


FORBIDDEN_IN_CORR2D = [
    ("direct", _variant("return F.conv2d(X[None, None], K[None, None])[0, 0]"), "F.conv2d"),
    # invisible to the static reading: caught by the aten ops recorded while it runs
    ("getattr_runtime", _variant("return getattr(F, 'd2vnoc'[::-1])(X[None, None], K[None, None])[0, 0]"),
     "aten::convolution"),
]


@pytest.mark.parametrize("variant, replacements, named", FORBIDDEN_IN_CORR2D)
def test_forbidden_api_in_corr2d(gradings, variant, replacements, named):
    checks = gradings[variant].result()
    assert lost(checks) == USES_CORR2D, show(checks)
    for cid in USES_CORR2D:
        c = checks[cid]
        assert c["score"] == 0 and named in c["message"], (cid, c["message"])
        assert "exercise4_corr2d.py, line" in c["message"] and "in corr2d" in c["message"], c["message"]
        assert "not use convolution and pooling built-ins" in c["message"], c["message"]


LEARN_BODY = """    X = X.reshape(X.shape[-2:])
    Y = Y.reshape(Y.shape[-2:])
    K = torch.rand(kernel_size, dtype=X.dtype, device=X.device, requires_grad=True)
    for _ in range(epochs):
        loss = ((corr2d(X, K) - Y) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            K -= lr * K.grad
        K.grad.zero_()
    return K.detach()"""
NOTES_LEARN_BODY = """    conv2d = nn.Conv2d(1, 1, kernel_size=kernel_size, bias=False)
    X, Y = X.reshape((1, 1) + tuple(X.shape[-2:])), Y.reshape((1, 1) + tuple(Y.shape[-2:]))
    for _ in range(epochs):
        loss = ((conv2d(X) - Y) ** 2).sum()
        conv2d.zero_grad()
        loss.backward()
        conv2d.weight.data[:] -= lr * conv2d.weight.grad
    return conv2d.weight.data.reshape(kernel_size)"""
SHAPE_BODY = "return ((h - kh + 2 * ph) // sh + 1, (w - kw + 2 * pw) // sw + 1)"


OTHER_FUNCTIONS = [
    IMPORT, (LEARN_BODY, NOTES_LEARN_BODY),
    ("from torch import nn\n", "from torch import nn\nfrom torch.nn.functional import conv2d as cc\n"),
    ("    Y = torch.matmul(K, X)\n", "    Y = cc(X.reshape(1, c_i, h, w), K.reshape(c_o, c_i, 1, 1)).reshape(c_o, h * w)\n"),
    (SHAPE_BODY, "return tuple(getattr(F, 'conv' + '2d')(torch.zeros(1, 1, h, w), torch.zeros(1, 1, kh, kw), "
                 "padding=padding, stride=stride).shape[-2:])"),
]


def test_forbidden_api_variants_in_other_functions(gradings):
    """Three variants, each in a function of its own, so each loses exactly its checks:
    the notes' learn_kernel with nn.Conv2d; an aliased import in corr2d_multi_in_out_1x1;
    a getattr-built name in conv_output_shape."""
    checks = gradings["other_functions"].result()
    expected = {"learn_kernel": "nn.Conv2d", "learn_kernel_other": "nn.Conv2d",
                "corr2d_multi_in_out_1x1": "cc = torch.nn.functional.conv2d", "device": "cc = torch.nn.functional.conv2d",
                "inputs_unchanged": "cc = torch.nn.functional.conv2d", "conv_output_shape": "'conv2d' built from strings"}
    assert lost(checks) == set(expected), show(checks)
    for cid, named in expected.items():
        assert checks[cid]["score"] == 0 and named in checks[cid]["message"], (cid, checks[cid]["message"])
        assert "exercise4_corr2d.py, line" in checks[cid]["message"], checks[cid]["message"]


def test_vectorised_solution_earns_full_marks(gradings):
    checks = gradings["vectorised"].result()
    assert not lost(checks), show(checks)
    assert sum(c["score"] for c in checks.values()) == 100


@pytest.fixture(scope="module")
def gradings(tmp_path_factory):
    roots = {name: write_mutant(tmp_path_factory.mktemp(name.replace("+", "_")), "exercise4", replacements)
             for name, (replacements, _) in MUTANTS.items()}
    for variant, replacements, _ in FORBIDDEN_IN_CORR2D:
        roots[variant] = write_mutant(tmp_path_factory.mktemp(variant), "exercise4", replacements)
    roots["other_functions"] = write_mutant(tmp_path_factory.mktemp("other"), "exercise4", OTHER_FUNCTIONS)
    roots["vectorised"] = VECTORISED
    return start_gradings("exercise4", roots)


# ---------------------------------------------------------------- the static detector alone

def findings(source: str) -> list[tuple[str | None, str]]:
    found, _graph = analyse(ast.parse(source))
    return [(f.owner, f.api) for f in found]


def test_exact_torch_names_only():
    assert is_forbidden("conv2d") and is_forbidden("Conv2d") and is_forbidden("max_pool2d")
    assert is_forbidden("MaxPool2d") and is_forbidden("avg_pool2d") and is_forbidden("adaptive_avg_pool2d")
    assert is_forbidden("convolution") and is_forbidden("max_pool2d_with_indices")
    assert not is_forbidden("Conv2D") and not is_forbidden("corr2d") and not is_forbidden("pool2d")
    assert not is_forbidden("unfold") and not is_forbidden("as_strided") and not is_forbidden("conv2D")


def test_static_detector_sees_aliases_and_built_names():
    source = '''
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.functional import max_pool2d as mp
G = torch.nn.functional
NAME = "avg" + "_pool2d"
fn = G.conv2d

def direct(X, K): return F.conv2d(X, K)
def full_path(X): return torch.nn.functional.avg_pool2d(X, 2)
def module(X): return nn.MaxPool2d(2)(X)
def alias(X): return mp(X, 2)
def assigned(X, K): return fn(X, K)
def built(X): return getattr(F, f"{'max'}_pool2d")(X, 2)
def joined(X): return getattr(G, "".join(["conv", "2d"]))(X)
def via_constant(X): return getattr(F, NAME)(X, 2)
def fine(X, K):
    """Not F.conv2d: windows with unfold."""
    return (X.unfold(0, 2, 1) * K).sum()
'''
    owners = {owner for owner, _ in findings(source)}
    assert {"direct", "full_path", "module", "alias", "assigned", "built", "joined", "via_constant"} <= owners
    assert "fine" not in owners


def test_static_detector_ignores_the_students_own_names():
    source = '''
import torch
from torch import nn

class Conv2D(nn.Module):
    def forward(self, x): return self.conv2d(x)
    def conv2d(self, x): return x

def conv2d(X, K): return X * K
def corr2d(X, K): return conv2d(X, K)
def pool(X, mode="max"): return X.max() if mode == "max" else X.mean()
'''
    assert findings(source) == []


def test_findings_reach_callers_through_the_module():
    source = '''
import torch.nn.functional as F
def helper(X, K): return F.conv2d(X, K)
def corr2d(X, K): return helper(X, K)
def unrelated(X): return X
'''
    from autograder.checks.source import reachable
    found, graph = analyse(ast.parse(source))
    assert [f.owner for f in found] == ["helper"]
    assert "helper" in reachable(graph, ["corr2d"]) and "helper" not in reachable(graph, ["unrelated"])


# ---------------------------------------------------------------- the device check's two halves, in-process

def _worker(tmp_path, source: str):
    """A worker (in this process: the probes are the test's own code) with ``source`` loaded."""
    from autograder.worker.child import Worker
    path = tmp_path / "exercise4_corr2d.py"
    path.write_text(source, encoding="utf-8")
    worker = Worker()
    assert worker.load(str(path), "device_probe", "exercises/exercise4_corr2d.py")["ok"]
    return worker


DEVICE_PROBES = '''
import torch
def good(X, K):
    Y = X.new_zeros((X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + K.shape[0], j:j + K.shape[1]] * K).sum()
    return Y
def zeros(X, K):
    Y = torch.zeros((X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + K.shape[0], j:j + K.shape[1]] * K).sum()
    return Y
def mixes(X, K):
    return X * torch.ones(X.shape)
def branches(X, K):
    return X * 2 if X.sum() > 0 else X
def uses_item(X, K):
    return X * K.sum().item()
def to_numpy(X, K):
    return torch.from_numpy(X.numpy() * 2)
'''


@pytest.mark.parametrize("func, status, device", [("good", "ok", "meta"), ("zeros", "ok", "cpu"),
                                                   ("mixes", "mismatch", None), ("branches", "ok", "meta"),
                                                   ("uses_item", "ok", "meta"), ("to_numpy", "inconclusive", None)])
def test_fake_device_driver(tmp_path, func, status, device):
    import torch
    from autograder.worker.drivers import device as fakedevice
    if fakedevice._accelerator() is not None:
        pytest.skip("an accelerator is present: the real-device path runs instead")
    reply = fakedevice.run(_worker(tmp_path, DEVICE_PROBES), func, [torch.randn(4, 5), torch.randn(2, 2)])
    assert reply["method"] == "fake" and reply["status"] == status, reply
    if device is not None:
        assert reply["result"]["device"] == device
    if status == "mismatch":
        assert "line" in reply["where"] and "mixes" in reply["where"]


def test_judging_a_real_accelerator_run():
    """What the parent says about a cuda run (simulated: no GPU needed to judge the reply)."""
    import torch
    from autograder.checks.device import _judge_real
    from autograder.checks.verdict import CheckFailed
    from autograder.worker.wire import TensorValue
    cpu = torch.arange(6.0).reshape(2, 3)
    on = lambda data, device: TensorValue(data, "float32", (2, 3), device)  # noqa: E731
    _judge_real({"device": "cuda:0", "result": on(cpu, "cuda:0"), "cpu_result": on(cpu, "cpu")}, name="f", rtol=1e-5, atol=1e-5)
    with pytest.raises(CheckFailed, match="returned a tensor on cpu"):
        _judge_real({"device": "cuda:0", "result": on(cpu, "cpu"), "cpu_result": on(cpu, "cpu")}, name="f", rtol=1e-5, atol=1e-5)
    with pytest.raises(CheckFailed, match="must agree"):
        _judge_real({"device": "cuda:0", "result": on(cpu + 1, "cuda:0"), "cpu_result": on(cpu, "cpu")}, name="f",
                    rtol=1e-5, atol=1e-5)


def test_real_accelerator_path_of_the_driver(tmp_path, monkeypatch):
    """The path a GPU machine takes, exercised on any machine by letting ``meta`` stand in
    for the accelerator: inputs and modules move there, mix-ups become ``mismatch``."""
    import torch
    from autograder.worker.drivers import device as fakedevice
    monkeypatch.setattr(fakedevice, "_accelerator", lambda: "meta")
    source = DEVICE_PROBES + "\nclass Net(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n" \
                             "        self.w = torch.nn.Parameter(torch.ones(2))\n    def forward(self, x):\n" \
                             "        return x * self.w\n"
    worker = _worker(tmp_path, source)
    X, K = torch.randn(4, 5), torch.randn(2, 2)
    reply = fakedevice.run(worker, "good", [X, K])
    assert (reply["method"], reply["device"], reply["status"], str(reply["result"].device)) == ("meta", "meta", "ok", "meta")
    # (the torch.zeros version cannot be simulated here: real meta tensors hold no data to copy)
    assert fakedevice.run(worker, "mixes", [X, K])["status"] == "mismatch"
    assert fakedevice.run(worker, None, [torch.randn(3, 2)], cls="Net")["result"].device.type == "meta"


def test_a_conv2d_bias_that_is_not_initially_zero_costs_a_fifth_of_the_module(grade_mutant):
    checks = grade_mutant("exercise4", [("self.bias = nn.Parameter(torch.zeros(1))",
                                         "self.bias = nn.Parameter(torch.rand(1))")], pattern="conv2d_module")
    check = checks["conv2d_module"]
    assert check["status"] == "failed" and check["score"] == 8 and "initially zero" in check["message"]
