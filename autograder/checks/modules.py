"""Handles: the parent's view of a student object that lives in the worker (the parent half
of ``autograder.worker.drivers.modules``).

``Handle.new(student, "MyLinear", 4, 3)`` asks the worker to build ``MyLinear(4, 3)`` and
keep it; the handle then sends weights, inputs and upstream gradients and receives outputs,
parameter and buffer names/shapes/values/gradients, devices, child structure and
state_dict keys — as plain data decoded by ``autograder.worker.wire``.  The parent never imports,
unpickles or holds a student object.  Every reply is checked for shape before use; a
malformed one raises ``StudentError``.

Layers and other kept objects can be passed as constructor arguments: ``nn_layer("Linear",
20, 256)`` is built from torch.nn in the worker, a ``Handle`` stands for its object, and
``odict([("fc1", spec), ...])`` is an OrderedDict there.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from autograder.checks.verdict import CheckFailed, StudentError
from autograder.i18n import _
from autograder.worker.wire import TensorValue

DRIVER = "modules"


def nn_layer(name: str, *args: Any) -> dict:
    """A standard ``torch.nn`` layer, built in the worker (no student code)."""
    return {"__build__": "nn", "name": name, "args": list(args)}


def odict(items: list) -> dict:
    """An ``OrderedDict`` of specs or handles, built in the worker."""
    return {"__build__": "odict", "items": [[str(k), v] for k, v in items]}


def _as_spec(value: Any) -> Any:
    if isinstance(value, Handle):
        return {"__build__": "obj", "id": value.id}
    if type(value) is list:
        return [_as_spec(v) for v in value]
    if type(value) is tuple:
        return tuple(_as_spec(v) for v in value)
    if type(value) is dict:
        return {k: _as_spec(v) for k, v in value.items()}
    return value


def _malformed(what: str) -> StudentError:
    return StudentError(_("malformed reply from the worker ({what})", what=what))


def _pairs(value: Any, what: str, *, tensors: bool = False, nullable: bool = False) -> list:
    """A list of [str, x] pairs; with ``tensors`` each x must be a TensorValue (or None)."""
    if type(value) is not list:
        raise _malformed(what)
    for pair in value:
        if type(pair) is not list or len(pair) < 2 or type(pair[0]) is not str:
            raise _malformed(what)
        if tensors and not (isinstance(pair[1], TensorValue) or (nullable and pair[1] is None)):
            raise _malformed(f"{what}: {pair[0]} is not a tensor")
    return value


@dataclasses.dataclass(frozen=True)
class ModuleState:
    """What ``describe`` reports about a module (all plain data)."""

    type: str
    parameters: dict  # name -> TensorValue, in registration order (tied parameters once)
    parameter_types: dict  # name -> type name ("torch.nn.parameter.Parameter")
    requires_grad: dict
    grads: dict | None  # name -> TensorValue or None
    parameters_all: list  # [name, first name of the same tensor] with tied parameters repeated
    buffers: dict  # name -> TensorValue
    state_dict: dict  # key -> TensorValue (or a type name for non-tensor extra state)
    children: list  # [name, type, name of the first child that is the same object]
    modules: list  # [qualified name, type] of every sub-module, duplicates included
    tensor_attributes: dict  # plain tensors that are neither parameters nor buffers
    unregistered_modules: dict  # attribute -> "list"/"dict"/"tuple" holding modules unregistered
    training: bool

    @classmethod
    def parse(cls, reply: Any) -> "ModuleState":
        if type(reply) is not dict:
            raise _malformed("describe")
        try:
            grads = reply["grads"]
            return cls(
                type=str(reply["type"]),
                parameters=dict(_pairs(reply["parameters"], "parameters")),
                parameter_types=dict(_pairs(reply["parameter_types"], "parameter types")),
                requires_grad=dict(_pairs(reply["requires_grad"], "requires_grad")),
                grads=None if grads is None else dict(_pairs(grads, "grads", tensors=True, nullable=True)),
                parameters_all=[p[:2] for p in _pairs(reply["parameters_all"], "parameters_all")],
                buffers=dict(_pairs(reply["buffers"], "buffers")),
                state_dict=dict(_pairs(reply["state_dict"], "state_dict")),
                children=[c[:3] for c in _pairs(reply["children"], "children")],
                modules=[m[:2] for m in _pairs(reply["modules"], "modules")],
                tensor_attributes=dict(_pairs(reply["tensor_attributes"], "tensor attributes")),
                unregistered_modules=dict(_pairs(reply["unregistered_modules"], "unregistered modules")),
                training=reply["training"] is True,
            )
        except KeyError as exc:
            raise _malformed(f"describe lacks {exc}") from None

    def shapes(self, which: str = "parameters") -> dict:
        """name -> shape tuple of ``parameters``, ``buffers`` or ``state_dict``."""
        out = {}
        for k, v in getattr(self, which).items():
            if isinstance(v, TensorValue):
                out[k] = tuple(v.shape)
            elif isinstance(v, dict) and type(v.get("shape")) is list:  # described with values=False
                out[k] = tuple(v["shape"])
        return out


@dataclasses.dataclass(frozen=True)
class Backward:
    output: Any
    connected: bool  # the output required grad (the graph reached something)
    grads: dict  # parameter name -> TensorValue or None
    input_grads: list


class Handle:
    """A student object kept in the worker, named by its id there."""

    def __init__(self, student: Any, info: Any, label: str) -> None:
        if type(info) is not dict or type(info.get("id")) is not int:
            raise _malformed(f"{label}: no object id")
        self._student = student
        self.id = info["id"]
        self.type = str(info.get("type"))
        self.kind = str(info.get("kind"))
        self.label = label  # how messages name it, e.g. "MyLinear(4, 3)"

    @classmethod
    def new(cls, student: Any, name: str, *args: Any, _label: str | None = None, **kwargs: Any) -> "Handle":
        """Build ``name(*args, **kwargs)`` with the student's class or factory, in the worker."""
        info = student.drive(f"{DRIVER}:new", name, _as_spec(list(args)), _as_spec(kwargs))
        return cls(student, info, _label or f"{name}(...)")

    @classmethod
    def build(cls, student: Any, spec: Any, label: str) -> "Handle":
        """Build standard layers from ``spec`` (no student code involved) and keep them."""
        return cls(student, student.drive(f"{DRIVER}:build", _as_spec(spec)), label)

    def _drive(self, func: str, *args: Any, **kwargs: Any) -> Any:
        return self._student.drive(f"{DRIVER}:{func}", self.id, *args, **kwargs)

    def require_module(self) -> None:
        if self.kind != "module":
            raise CheckFailed(_("{label} is a {type}, expected an nn.Module subclass", label=self.label,
                                type=self.type),
                              _("subclass torch.nn.Module and call super().__init__() first in __init__"))

    # -- modules ----------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        reply = self._drive("call", _as_spec(list(args)), _as_spec(kwargs))
        if type(reply) is not dict or "output" not in reply:
            raise _malformed("call")
        return reply["output"]

    def backward(self, *args: Any, grad_output: Any, input_grads: tuple = (), **kwargs: Any) -> Backward:
        """Forward ``args``, then backpropagate ``grad_output`` through the output."""
        reply = self._drive("call", _as_spec(list(args)), _as_spec(kwargs), grad_output=grad_output,
                            input_grads=list(input_grads))
        if type(reply) is not dict or not {"output", "connected", "grads", "input_grads"} <= set(reply):
            raise _malformed("backward")
        grads = dict(_pairs(reply["grads"], "grads", tensors=True, nullable=True))
        if type(reply["input_grads"]) is not list or len(reply["input_grads"]) != len(input_grads):
            raise _malformed("input grads")
        return Backward(reply["output"], reply["connected"] is True, grads, reply["input_grads"])

    def describe(self, *, values: bool = True, grads: bool = False) -> ModuleState:
        self.require_module()
        return ModuleState.parse(self._drive("describe", values=values, grads=grads))

    def load(self, state: dict) -> None:
        """Copy ``{name: tensor}`` into the parameters/buffers of those names; a missing or
        misshaped one fails the check."""
        problems = self._drive("load", [[k, v] for k, v in state.items()])
        if type(problems) is not list:
            raise _malformed("load")
        if problems:
            text = "; ".join(f"{p[0]}: {p[1]}" for p in _pairs(problems, "load") if type(p[1]) is str)
            raise CheckFailed(_("{label}: cannot load the grader's weights ({text}); check the names and "
                                "shapes of your parameters", label=self.label, text=text))

    def method(self, name: str, *args: Any, keep: bool = False, **kwargs: Any) -> Any:
        """``obj.name(*args)``: ``Handle.SAME`` when it returns the object itself, a new
        ``Handle`` with ``keep``, else the plain result."""
        reply = self._drive("method", name, _as_spec(list(args)), _as_spec(kwargs), keep=keep)
        if type(reply) is not dict or type(reply.get("same")) is not bool:
            raise _malformed(name)
        if reply["same"]:
            return Handle.SAME
        if keep:
            return Handle(self._student, reply["result"], f"{self.label}.{name}(...)")
        return reply["result"]

    def apply_init(self, func: str) -> None:
        self._drive("apply_init", func)

    def sgd_step(self, *args: Any, lr: float = 0.1) -> None:
        self._drive("sgd_step", _as_spec(list(args)), lr=lr)

    def save(self) -> dict:
        """The student's ``save_params(obj, path)``: ``{"file": bytes or None, "path"}``."""
        reply = self._drive("save")
        if (type(reply) is not dict or type(reply.get("path")) is not str
                or not (reply.get("file") is None or type(reply.get("file")) is bytes)):
            raise _malformed("save")
        return reply

    def load_saved(self, path: str) -> str:
        """The student's ``load_params(obj, path)``; "same" when it returned the object."""
        returned = self._drive("load_saved", path)
        if type(returned) is not str:
            raise _malformed("load_saved")
        return returned

    # -- datasets and loaders -------------------------------------------------
    def iterate(self, epochs: int = 1) -> list:
        passes = self._drive("iterate", epochs=epochs)
        if type(passes) is not list or len(passes) != epochs or not all(type(p) is list for p in passes):
            raise _malformed("iterate")
        return passes

    def __len__(self) -> int:
        n = self._drive("length")
        if type(n) is not int or n < 0:
            raise CheckFailed(_("len({label}) returned {n!r}, expected a non-negative int", label=self.label, n=n))
        return n

    def __getitem__(self, index: Any) -> Any:
        return self._drive("item", index)

    def release(self) -> None:
        self._drive("release")


Handle.SAME = object()  # a method returned the object itself (``net.double()`` does)


def accelerators(student: Any) -> dict:
    """What the worker's torch can use: ``{"cuda": device count}``."""
    reply = student.drive(f"{DRIVER}:accelerators")
    if type(reply) is not dict or type(reply.get("cuda")) is not int:
        raise _malformed("accelerators")
    return reply


STATE_FILE_LIMIT = 64 * 1024 * 1024


def as_value(tensor: Any) -> TensorValue:
    """A tensor the parent made itself (or read with weights_only) in the form ``compare`` expects."""
    return TensorValue(data=tensor.detach().cpu(), dtype=str(tensor.dtype).removeprefix("torch."),
                       shape=tuple(tensor.shape), device=str(tensor.device))


def read_state_file(content: bytes) -> Any:
    """Read a file a student's code saved, the only way the grader ever reads one:
    ``torch.load(weights_only=True)`` (a restricted unpickler that builds tensors and plain
    containers only and runs no code from the file), from memory, on the CPU."""
    import io

    import torch
    if type(content) is not bytes or len(content) > STATE_FILE_LIMIT:
        raise ValueError("the file is missing or too large")
    return torch.load(io.BytesIO(content), map_location="cpu", weights_only=True)
