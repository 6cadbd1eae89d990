"""A fake accelerator for machines without one: CPU tensors that pose as ``meta`` tensors.

``posing(X)`` wraps a CPU tensor in ``Posing``, a tensor subclass whose ``.device`` says
``meta`` while every op computes on the real CPU tensor underneath.  Under
``DeviceGuard`` every aten op is checked the way an accelerator checks it: all tensor
arguments on one device, except 0-dim CPU tensors (Python scalars), the index tensors of
indexing ops, and ``copy_``/``to``, which move data across devices.  So student code that
mixes a tensor it created on the CPU with its inputs fails with "Expected all tensors to be
on the same device", and code that fills a fresh CPU tensor (``Y = torch.zeros(...)``;
``Y[i, j] = ...`` is legal on a GPU) returns a CPU tensor, which the parent reports.
Factories asked for the input's device (``torch.zeros(..., device=X.device)``,
``X.new_zeros``, ``.to(X.device)``) pose too.

Why not torch's own ``FakeTensorMode``: creating one
imports torch._dynamo (≈1.3 s), it runs loop code ~250× slower than real, and it has no
values, so ``.item()`` and data-dependent branches could not be followed.  Why not plain
``meta`` tensors: their kernels do not all check devices (``meta @ cpu`` passes), they
have no values either, and their Python kernels import sympy (≈0.5 s) on first use.
Here values are real, so only ``.numpy()``, ``.tolist()`` and the like, which need a real
CPU tensor, stop a run (the caller reports that as inconclusive).

One gap: ``torch.tensor(data, device=X.device)`` builds a data-less meta tensor without
dispatching anything; the guard stands zeros in for its values (its device is right, which
is all the check judges).
"""
from __future__ import annotations

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves, tree_map

DEVICE = torch.device("meta")
aten = torch.ops.aten
_MOVES = {aten.copy_, aten._to_copy}  # may take tensors on two devices
_INDEXING = {aten.index, aten.index_put, aten.index_put_, aten._index_put_impl_}  # indices may stay on the CPU


class Posing(torch.Tensor):
    """A CPU tensor (``.inner``) that reports ``DEVICE`` as its device."""

    __torch_function__ = torch._C._disabled_torch_function_impl  # results are wrapped in __torch_dispatch__

    @staticmethod
    def __new__(cls, real: torch.Tensor):
        return torch.Tensor._make_wrapper_subclass(cls, real.shape, strides=real.stride(), dtype=real.dtype,
                                                   storage_offset=real.storage_offset(), device=DEVICE)

    def __init__(self, real: torch.Tensor) -> None:
        self.inner = real

    def __repr__(self) -> str:
        return f"Posing({self.inner!r}, device={DEVICE})"

    @classmethod
    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
        return run_op(func, args, kwargs or {})


class DeviceGuard(TorchDispatchMode):
    """Every aten op (factories included) goes through ``run_op``."""

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        return False  # no torch._dynamo import (≈1.3 s) for a dispatch mode

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        return run_op(func, args, kwargs or {})


def posing(t: torch.Tensor) -> Posing:
    return Posing(t.detach().clone())


def run_op(func, args: tuple, kwargs: dict):
    packet = func.overloadpacket
    if packet not in _MOVES:
        checked = [args[0], *args[2:3]] if packet in _INDEXING else tree_leaves((args, kwargs))
        _same_device(func, [t for t in checked if isinstance(t, torch.Tensor)])
    posers: dict[int, Posing] = {}
    plain: set[int] = set()

    def unwrap(t):
        if isinstance(t, Posing):
            posers[id(t.inner)] = t
            return t.inner
        if isinstance(t, torch.Tensor):
            if t.device == DEVICE:  # torch.tensor(data, device=meta): no data to pose with
                t = torch.zeros(t.shape, dtype=t.dtype)
                posers[id(t)] = Posing(t)
                return t
            plain.add(id(t))
        return t

    real_args, real_kwargs = tree_map(unwrap, (args, kwargs))
    device = real_kwargs.get("device")
    if device is not None:  # a factory or a move: the result goes where it was asked to
        pose = torch.device(device) == DEVICE
        if pose:
            real_kwargs = dict(real_kwargs, device="cpu")
    else:
        pose = bool(posers)
    out = func(*real_args, **real_kwargs)
    if not pose:
        return out

    def wrap(t):
        if type(t) is not torch.Tensor or id(t) in plain:  # an in-place op on a CPU tensor returns it
            return t
        return posers[id(t)] if id(t) in posers else Posing(t)

    return tree_map(wrap, out)


def _same_device(func, tensors: list) -> None:
    devices = {t.device for t in tensors if not (t.device.type == "cpu" and t.dim() == 0)}
    if len(devices) > 1:
        a, b = sorted(str(d) for d in devices)[:2]
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{a} and {b}! (in {func.name()})")
