"""A correct, vectorised exercise4 (no Python loops over output elements): unfold + einsum.

Used by tests/test_exercise4.py: it must earn 100/100 — the grader forbids convolution
built-ins, not vectorisation.  It also defines a helper named ``conv2d`` of its own (only
exact torch names reached through torch are forbidden).
"""
import torch
import torch.nn.functional as F
from torch import nn


def _windows(X, kh, kw, sh=1, sw=1):
    return X.unfold(-2, kh, sh).unfold(-2, kw, sw)  # (..., oh, ow, kh, kw)


def conv2d(X, K):  # the student's own helper, not torch's
    return torch.einsum("...ijab,ab->...ij", _windows(X, *K.shape), K)


def corr2d(X, K):
    return conv2d(X, K)


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(kernel_size) * 0.1)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def learn_kernel(X, Y, kernel_size=(1, 2), lr=3e-2, epochs=10):
    X, Y = X.reshape(X.shape[-2:]), Y.reshape(Y.shape[-2:])
    K = torch.zeros(kernel_size, dtype=X.dtype, device=X.device, requires_grad=True)
    for _ in range(epochs):
        loss = ((corr2d(X, K) - Y) ** 2).sum()
        (grad,) = torch.autograd.grad(loss, [K])
        with torch.no_grad():
            K -= lr * grad
    return K.detach()


def conv_output_shape(input_hw, kernel_hw, padding=(0, 0), stride=(1, 1)):
    return tuple((n - k + 2 * p) // s + 1 for n, k, p, s in zip(input_hw, kernel_hw, padding, stride))


def corr2d_multi_in(X, K):
    return torch.einsum("cijab,cab->ij", _windows(X, *K.shape[-2:]), K)


def corr2d_multi_in_out(X, K):
    return torch.einsum("cijab,ocab->oij", _windows(X, *K.shape[-2:]), K)


def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    return (K.reshape(K.shape[0], c_i) @ X.reshape(c_i, h * w)).reshape(-1, h, w)


def corr2d_strided(X, K, padding=(0, 0), stride=(1, 1)):
    Xp = F.pad(X, (padding[1], padding[1], padding[0], padding[0]))
    return torch.einsum("ijab,ab->ij", _windows(Xp, *K.shape, *stride), K)
