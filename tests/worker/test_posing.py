"""The fake accelerator (``autograder.worker.drivers.posing``): CPU tensors posing as ``meta``
ones, checked the way a GPU checks devices, with real values underneath."""
from __future__ import annotations

import itertools

import pytest
import torch

from autograder.worker.drivers.posing import DEVICE, DeviceGuard, Posing, posing


def run(fn, *tensors):
    with torch.no_grad(), DeviceGuard():
        return fn(*[posing(t) for t in tensors])


def values(t):
    return t.inner if isinstance(t, Posing) else t


X, K = torch.randn(4, 5), torch.randn(2, 2)


@pytest.mark.parametrize("fn", [
    lambda X: X @ torch.randn(5, 3),  # plain meta tensors let this one through
    lambda X: X * torch.ones(X.shape),
    lambda X: torch.cat([X, torch.zeros(1, 5)]),
])
def test_mixing_a_cpu_tensor_in_fails_like_on_a_gpu(fn):
    with pytest.raises(RuntimeError, match="same device.*cpu and meta|same device.*meta and cpu"):
        run(fn, X)


@pytest.mark.parametrize("fn", [
    lambda X: X * torch.tensor(2.0),  # 0-dim CPU tensors are scalars
    lambda X: X[torch.arange(2), torch.tensor([0, 3])],  # index tensors may stay on the CPU
    lambda X: torch.zeros(X.shape, device=X.device, dtype=X.dtype) + X,
    lambda X: X.new_zeros(3) + X[0, :3],
    lambda X: torch.ones(5).to(X.device) * X,
    lambda X: X * 2 if X.sum() > 0 else X - 1,  # values are real: branches and .item() work
    lambda X: X * X.max().item(),
])
def test_device_agnostic_code_stays_on_the_fake_device_with_real_values(fn):
    out = run(fn, X)
    assert isinstance(out, Posing) and out.device == DEVICE
    torch.testing.assert_close(out.inner, fn(X))


def test_filling_a_fresh_cpu_tensor_returns_it_on_the_cpu_with_the_values():
    def corr2d(X, K):  # the notes' version: Y lives on the CPU whatever X's device
        (h, w), Y = K.shape, torch.zeros(X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1)
        for i, j in itertools.product(range(Y.shape[0]), range(Y.shape[1])):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
        return Y
    out = run(corr2d, X, K)
    assert type(out) is torch.Tensor and out.device.type == "cpu"
    torch.testing.assert_close(out, corr2d(X, K))


def test_leaving_the_device_explicitly_gives_plain_cpu_tensors():
    out = run(lambda X: X.cpu() + 1, X)
    assert type(out) is torch.Tensor
    with pytest.raises(Exception):  # needs a real CPU tensor: the driver calls the run inconclusive
        run(lambda X: torch.from_numpy(X.numpy()), X)


def test_torch_tensor_on_the_input_device_keeps_the_device():
    out = run(lambda X: X + torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0], device=X.device), X)
    assert isinstance(out, Posing) and out.device == DEVICE  # values: zeros stood in (documented gap)


def test_in_place_ops_return_the_same_tensor_and_write_through_views():
    def fill(X):
        Y = X.new_zeros(X.shape)
        Y[1:3].add_(1)
        return Y
    out = run(fill, X)
    assert isinstance(out, Posing) and out.inner.sum().item() == 2 * X.shape[1]


def test_modules_move_their_parameters_and_buffers_but_not_plain_attributes():
    class Net(torch.nn.Module):
        def __init__(self, plain: bool):
            super().__init__()
            self.linear = torch.nn.Linear(5, 3)
            if plain:
                self.scale = torch.ones(3)
            else:
                self.register_buffer("scale", torch.ones(3))

        def forward(self, x):
            return self.linear(x) * self.scale

    overwrite = torch.__future__.get_overwrite_module_params_on_conversion()
    torch.__future__.set_overwrite_module_params_on_conversion(True)
    try:
        for plain in (False, True):
            net = Net(plain)
            expected = net(X).detach()
            with torch.no_grad(), DeviceGuard():
                net.to(DEVICE)
            assert all(isinstance(p, Posing) for p in net.parameters())
            if plain:
                with pytest.raises(RuntimeError, match="same device"):
                    run(net, X)
            else:
                torch.testing.assert_close(run(net, X).inner, expected)
    finally:
        torch.__future__.set_overwrite_module_params_on_conversion(overwrite)
