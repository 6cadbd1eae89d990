"""Device consistency of the student's code, run in the worker.

``run`` calls a function (or a module's forward) twice: once on the CPU, then with every
input on another device.  Which device depends on what this machine has:

* ``cuda`` / ``mps`` when torch sees one: real tensors, real results (the parent compares
  them with the CPU run);
* otherwise a *fake* device (``autograder.worker.drivers.posing``): the inputs and the module's
  tensors pose as ``meta`` tensors while computing on the CPU, and every op is checked the
  way an accelerator checks devices.  Code that creates a tensor on the CPU and mixes it
  in fails ("Expected all tensors to be on the same device"); code that fills a fresh CPU
  tensor returns a tensor on ``cpu``.

The fake run happens under ``no_grad``.  Code that needs a real CPU tensor (``.numpy()``,
``.tolist()``) cannot be followed: that is reported as ``inconclusive``, never as a failure.
"""
from __future__ import annotations

import traceback
from typing import Any

import torch

from autograder.worker.drivers import posing
from autograder.worker.drivers.forbidden import OpRecorder

FAKE_DEVICE = str(posing.DEVICE)


def _accelerator() -> str | None:
    if torch.cuda.is_available():
        return "cuda:0"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return None


def _map(value: Any, fn) -> Any:
    if isinstance(value, torch.Tensor):
        return fn(value)
    if type(value) in (list, tuple):
        return type(value)(_map(v, fn) for v in value)
    if type(value) is dict:
        return {k: _map(v, fn) for k, v in value.items()}
    return value


def _build(worker: Any, func: str | None, cls: str | None, init: list, state: dict | None):
    """The callable to test: a module function, or a freshly built module with ``state`` loaded."""
    if cls is None:
        return worker.lookup(func), None
    factory = worker.lookup(cls, "class")
    net = factory(*init)
    if not isinstance(net, torch.nn.Module):
        raise TypeError(f"{cls}(...) is a {type(net).__name__}, not an nn.Module")
    params = dict(net.named_parameters())
    with torch.no_grad():
        for name, value in (state or {}).items():
            if name in params and tuple(params[name].shape) == tuple(value.shape):
                params[name].copy_(value)
    return net, net


def _where(worker: Any, exc: BaseException) -> str | None:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == worker.path]
    if not frames:
        return None
    f = frames[-1]
    return f"{worker.display}, line {f.lineno}, in {f.name}: {(f.line or '').strip()}"


def _describe(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        shape = [int(d) for d in value.shape]
        return {"device": str(value.device), "dtype": str(value.dtype).removeprefix("torch."), "shape": shape}
    if type(value) in (list, tuple):  # several results, e.g. (X, y): each must stay on the device
        return {"items": [_describe(v) for v in value]}
    return {"type": f"{type(value).__module__}.{type(value).__qualname__}"}


def _is_mismatch(exc: BaseException) -> bool:
    text = str(exc)
    return "same device" in text or "found at least two devices" in text or "not on the expected device" in text


def run(worker: Any, func: str | None, args: list, kwargs: dict | None = None, *, cls: str | None = None,
        init: list | tuple = (), state: dict | None = None) -> dict:
    """Run on the CPU, then on an accelerator or a fake device.

    Returns ``{"method": "cuda"|"mps"|"fake", "device", "status": "ok"|"mismatch"|
    "inconclusive", "result", "cpu_result", "message", "where", "forbidden"}``; with a real
    accelerator ``result`` is the tensor itself, with the fake device a description
    (``device``, ``dtype``, ``shape``).
    """
    kwargs = kwargs or {}
    target, net = _build(worker, func, cls, list(init), state)
    recorder = OpRecorder(worker.path, worker.display)
    with torch.no_grad(), recorder:  # on copies: an in-place bug must not change the second run's inputs
        cpu_result = target(*_map(args, torch.Tensor.clone), **_map(kwargs, torch.Tensor.clone))
    reply = {"cpu_result": _map(cpu_result, torch.Tensor.detach), "forbidden": recorder.report(),
             "message": "", "where": None}
    if reply["forbidden"]:
        return dict(reply, method="fake", device=FAKE_DEVICE, status="ok", result=None)
    device = _accelerator()
    if device is not None:
        device = str(torch.empty(0, device=device).device)  # canonical: "cuda:0", "mps:0"
        if net is not None:
            net.to(device)
        reply.update(method=device.split(":")[0], device=device, status="ok", result=None)
        try:
            with torch.no_grad():
                result = target(*_map(args, lambda t: t.to(device)), **_map(kwargs, lambda t: t.to(device)))
        except Exception as exc:  # noqa: BLE001 - a device mix-up is a verdict; anything else the student's error
            if not _is_mismatch(exc):
                raise
            reply.update(status="mismatch", message=f"{type(exc).__name__}: {str(exc).strip()[:500]}",
                         where=_where(worker, exc))
            return reply
        reply.update(result=_map(result, torch.Tensor.detach))
        return reply
    reply.update(method="fake", device=FAKE_DEVICE, result=None)
    try:
        reply.update(status="ok", result=_describe(_fake_run(target, net, args, kwargs)))
    except Exception as exc:  # noqa: BLE001 - classified below, the parent decides
        reply.update(status="mismatch" if _is_mismatch(exc) else "inconclusive",
                     message=f"{type(exc).__name__}: {str(exc).strip()[:500]}", where=_where(worker, exc))
    return reply


def _fake_run(target, net, args: list, kwargs: dict) -> Any:
    if net is not None:
        overwrite = torch.__future__.get_overwrite_module_params_on_conversion()
        torch.__future__.set_overwrite_module_params_on_conversion(True)  # parameters become Posing ones
        try:
            with torch.no_grad(), posing.DeviceGuard():
                net.to(FAKE_DEVICE)
        finally:
            torch.__future__.set_overwrite_module_params_on_conversion(overwrite)
    fake_args, fake_kwargs = _map(args, posing.posing), _map(kwargs, posing.posing)
    with torch.no_grad(), posing.DeviceGuard():
        return target(*fake_args, **fake_kwargs)



def faked_cuda(worker: Any, func: str, args: list, count: int) -> Any:
    """``func(*args)`` while torch reports ``count`` CUDA devices (``torch.cuda.device_count``
    and ``is_available``), restored afterwards: both branches of a device helper such as
    ``try_gpu`` are graded on any machine.  Only the count is faked; no tensor is made."""
    saved = torch.cuda.device_count, torch.cuda.is_available
    torch.cuda.device_count, torch.cuda.is_available = (lambda: count), (lambda: count > 0)
    try:
        return worker.lookup(func)(*args)
    finally:
        torch.cuda.device_count, torch.cuda.is_available = saved
