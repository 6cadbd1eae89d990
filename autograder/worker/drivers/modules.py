"""Student objects (modules, datasets, data loaders) kept in the worker, driven by handles.

The parent never receives a student object: ``new`` builds one here, keeps it in
``worker.objects`` and returns its id; every later request names that id and gets plain
data back (tensors, names, shapes, type names as strings).  The parent side is
``autograder.checks.modules.Handle``.

Arguments may contain build specs, so that the parent can hand standard layers or other
kept objects to a student constructor without ever holding them::

    {"__build__": "nn", "name": "Linear", "args": [20, 256]}     a torch.nn layer
    {"__build__": "obj", "id": 3}                                 a kept object
    {"__build__": "odict", "items": [["fc1", SPEC], ...]}         a collections.OrderedDict
"""
from __future__ import annotations

import collections
import os
import tempfile
from typing import Any

import torch
from torch import nn
from torch.utils import data

from autograder.worker.drivers.vjp import weighted_sum

# standard layers the parent may ask for by name (nothing else is looked up on torch.nn)
NN_LAYERS = frozenset({"Linear", "ReLU", "Sequential", "LayerNorm", "BatchNorm1d", "Tanh", "Sigmoid", "Identity", "Flatten"})
FILE_LIMIT = 64 * 1024 * 1024  # bytes of a saved parameter file sent back
BATCH_LIMIT = 100_000  # batches per epoch before iteration is declared endless


def _type_name(obj: Any) -> str:
    t = type(obj)
    return f"{str(getattr(t, '__module__', '?'))}.{str(getattr(t, '__qualname__', '?'))}"


def _kind(obj: Any) -> str:
    if isinstance(obj, nn.Module):
        return "module"
    if isinstance(obj, data.DataLoader):
        return "dataloader"
    if isinstance(obj, data.Dataset):
        return "dataset"
    if isinstance(obj, torch.Tensor):
        return "tensor"
    return "object"


def _get(worker, oid: int) -> Any:
    try:
        return worker.objects[oid]
    except (KeyError, TypeError):
        raise LookupError(f"object #{oid} no longer exists (the process was restarted after a crash "
                          "or a timeout in an earlier call)") from None


def _module(worker, oid: int) -> nn.Module:
    obj = _get(worker, oid)
    if not isinstance(obj, nn.Module):
        raise TypeError(f"expected an nn.Module, got {_type_name(obj)}")
    return obj


def _build(worker, value: Any) -> Any:
    if type(value) is list:
        return [_build(worker, v) for v in value]
    if type(value) is tuple:
        return tuple(_build(worker, v) for v in value)
    if type(value) is dict:
        kind = value.get("__build__")
        if kind == "nn":
            name = value["name"]
            if name not in NN_LAYERS:
                raise ValueError(f"layer {name!r} is not available to build specs")
            return getattr(nn, name)(*_build(worker, value.get("args", [])))
        if kind == "obj":
            return _get(worker, value["id"])
        if kind == "odict":
            return collections.OrderedDict((k, _build(worker, v)) for k, v in value["items"])
        return {k: _build(worker, v) for k, v in value.items()}
    return value


def _keep(worker, obj: Any) -> dict:
    oid = max(worker.objects, default=0) + 1
    worker.objects[oid] = obj
    return {"id": oid, "type": _type_name(obj), "kind": _kind(obj)}


def _out(value: Any) -> Any:
    """A result made sendable: tensors detached (the wire describes anything else)."""
    if type(value) in (torch.Tensor, nn.Parameter):
        return value.detach()
    if type(value) in (list, tuple):
        return type(value)(_out(v) for v in value)
    return value


# ---------------------------------------------------------------- life cycle

def new(worker, name: str, args: list = (), kwargs: dict | None = None) -> dict:
    """Call the student's ``name`` (a class or a factory function) and keep what it returns."""
    target = worker.lookup(name, "class or function")
    obj = target(*_build(worker, list(args)), **_build(worker, dict(kwargs or {})))
    return _keep(worker, obj)


def build(worker, spec: Any) -> dict:
    """Build standard layers from a spec (no student code) and keep them."""
    return _keep(worker, _build(worker, spec))


def release(worker, oid: int) -> None:
    worker.objects.pop(oid, None)


# ---------------------------------------------------------------- modules

def describe(worker, oid: int, values: bool = True, grads: bool = False) -> dict:
    """Everything the grader may check about a module's structure, as plain data."""
    m = _module(worker, oid)

    def tensor(t):
        if not values:
            return {"shape": list(t.shape), "dtype": str(t.dtype).removeprefix("torch."), "device": str(t.device)}
        return t.detach() if isinstance(t, torch.Tensor) else t

    params = list(m.named_parameters())
    first = {}
    all_params = []
    for name, p in m.named_parameters(remove_duplicate=False):
        first.setdefault(id(p), name)
        all_params.append([name, first[id(p)]])
    registered = set(m._parameters) | set(m._buffers)
    attributes = [[k, tensor(v)] for k, v in vars(m).items()
                  if isinstance(v, torch.Tensor) and k not in registered and not k.startswith("_")]
    children, seen = [], {}
    for name, child in m._modules.items():
        seen.setdefault(id(child), name)
        children.append([name, _type_name(child), seen[id(child)]])
    hidden = []  # modules kept in plain lists/dicts/tuples: parameters() and .to() miss them
    for k, v in vars(m).items():
        if isinstance(v, (list, tuple, dict)) and not k.startswith("_"):
            items = v.values() if isinstance(v, dict) else v
            if any(isinstance(x, nn.Module) for x in list(items)[:1000]):
                hidden.append([k, type(v).__name__])
    state = m.state_dict()
    return {
        "type": _type_name(m),
        "parameters": [[n, tensor(p)] for n, p in params],
        "parameter_types": [[n, _type_name(p)] for n, p in params],
        "requires_grad": [[n, bool(p.requires_grad)] for n, p in params],
        "grads": [[n, p.grad.detach() if p.grad is not None else None] for n, p in params] if grads else None,
        "parameters_all": all_params,  # [name, name of the first occurrence] with tied ones repeated
        "buffers": [[n, tensor(b)] for n, b in m.named_buffers()],
        "state_dict": [[str(k), tensor(v) if isinstance(v, torch.Tensor) else _type_name(v)] for k, v in state.items()],
        "children": children,  # [name, type, name of the first child that is the same object]
        "modules": [[n, _type_name(c)] for n, c in m.named_modules(remove_duplicate=False)],
        "tensor_attributes": attributes,  # plain tensors that .to() does not move
        "unregistered_modules": hidden,
        "training": bool(m.training),
    }


def load(worker, oid: int, state: list) -> list:
    """Copy ``[[name, tensor], ...]`` into parameters, buffers or tensor attributes of that
    name (without autograd); returns the names that could not be loaded, with the reason."""
    m = _module(worker, oid)
    targets = dict(m.named_parameters())
    targets.update(m.named_buffers())
    problems = []
    for name, value in state:
        target = targets.get(name)
        if target is None:
            owner, _, attr = name.rpartition(".")
            try:
                holder = m.get_submodule(owner) if owner else m
            except AttributeError:
                holder = None
            candidate = vars(holder).get(attr) if holder is not None else None
            target = candidate if isinstance(candidate, torch.Tensor) else None
        if target is None:
            problems.append([name, "missing"])
        elif tuple(target.shape) != tuple(value.shape):
            problems.append([name, f"shape {tuple(target.shape)}"])
        else:
            with torch.no_grad():
                target.copy_(value)
    return problems


def call(worker, oid: int, args: list = (), kwargs: dict | None = None, *, grad_output=None,
         input_grads: list = (), no_grad: bool = False) -> dict:
    """``obj(*args, **kwargs)``; with ``grad_output``, backpropagate it from the output and
    return the parameters' gradients (cleared first) and those of the inputs ``input_grads``."""
    obj = _get(worker, oid)
    args = _build(worker, list(args))
    kwargs = _build(worker, dict(kwargs or {}))
    for i in input_grads:
        args[i] = args[i].detach().requires_grad_(True)
    params = list(obj.named_parameters()) if isinstance(obj, nn.Module) else []
    for _, p in params:
        p.grad = None
    if no_grad:
        with torch.no_grad():
            out = obj(*args, **kwargs)
    else:
        out = obj(*args, **kwargs)
    reply = {"output": _out(out)}
    if grad_output is not None:
        connected = isinstance(out, torch.Tensor) and out.requires_grad
        if connected:
            if tuple(out.shape) != tuple(grad_output.shape):
                raise RuntimeError(f"the output has shape {tuple(out.shape)}, expected {tuple(grad_output.shape)}")
            weighted_sum(out, grad_output).backward()
        reply["connected"] = connected
        reply["grads"] = [[n, p.grad.detach() if p.grad is not None else None] for n, p in params]
        reply["input_grads"] = [args[i].grad for i in input_grads]
    return reply


def method(worker, oid: int, name: str, args: list = (), kwargs: dict | None = None, keep: bool = False) -> dict:
    """``obj.name(*args)``.  A result that is the object itself is reported as ``same``;
    with ``keep`` any other result is kept and its handle info returned."""
    obj = _get(worker, oid)
    result = getattr(obj, name)(*_build(worker, list(args)), **_build(worker, dict(kwargs or {})))
    if result is obj:
        return {"same": True, "result": None}
    if keep:
        return {"same": False, "result": _keep(worker, result)}
    return {"same": False, "result": _out(result)}


def apply_init(worker, oid: int, func: str) -> None:
    """``net.apply(student.func)``."""
    _module(worker, oid).apply(worker.lookup(func))


def sgd_step(worker, oid: int, args: list, lr: float = 0.1) -> None:
    """One plain SGD step on ``sum(obj(*args))`` over ``obj.parameters()``: what
    ``torch.optim.SGD`` does, written out because its ``step()`` imports torch._dynamo
    (≈1.3 s) and this check only asks which tensors an optimizer would update."""
    m = _module(worker, oid)
    params = list(m.parameters())
    for p in params:
        p.grad = None
    out = m(*_build(worker, list(args)))
    out.sum().backward()
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p.add_(p.grad, alpha=-lr)


def save(worker, src: int, func: str = "save_params") -> dict:
    """``func(src, path)`` in the worker's scratch directory; returns the file's bytes (the
    parent reads them with ``torch.load(weights_only=True)`` only) and the path."""
    directory = getattr(worker, "scratch", None) or tempfile.mkdtemp(prefix="torchgrade-")
    path = os.path.join(directory, f"params-{src}.pt")
    worker.lookup(func)(_get(worker, src), path)
    if not os.path.isfile(path):
        return {"file": None, "path": path}
    size = os.path.getsize(path)
    if size > FILE_LIMIT:
        raise ValueError(f"{func}() wrote {size} bytes, more than the {FILE_LIMIT}-byte limit")
    with open(path, "rb") as f:
        return {"file": f.read(FILE_LIMIT), "path": path}


def load_saved(worker, dst: int, path: str, func: str = "load_params") -> str:
    """``func(dst, path)``; says whether it returned ``dst`` itself ("same"), None, or what."""
    target = _get(worker, dst)
    result = worker.lookup(func)(target, path)
    return "same" if result is target else ("none" if result is None else _type_name(result))


# ---------------------------------------------------------------- datasets and loaders

def iterate(worker, oid: int, epochs: int = 1) -> list:
    """The batches of ``epochs`` passes over an iterable (a DataLoader): one list per epoch."""
    obj = _get(worker, oid)
    passes = []
    for _ in range(epochs):
        batches = []
        for batch in obj:
            if len(batches) >= BATCH_LIMIT:
                raise RuntimeError(f"more than {BATCH_LIMIT} batches in one epoch")
            batches.append(_out(batch))
        passes.append(batches)
    return passes


def length(worker, oid: int) -> Any:
    return len(_get(worker, oid))


def item(worker, oid: int, index: Any) -> Any:
    return _out(_get(worker, oid)[index])


# ---------------------------------------------------------------- environment

def accelerators(worker) -> dict:
    """What this worker's torch can use: the number of CUDA devices."""
    return {"cuda": torch.cuda.device_count() if torch.cuda.is_available() else 0}
