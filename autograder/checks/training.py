"""Rebuild a student's ``nn.Sequential`` in the trusted parent from plain data: the parent
half of ``autograder.worker.drivers.training``.

The worker describes a network (``autograder.worker.drivers.training.describe``): for each module
its class, whether it is the standard ``torch.nn`` class of that name, the constructor
arguments that class declares in ``__constants__``, and its children; plus the
``state_dict`` as tensors.  ``rebuild`` constructs a fresh network from a whitelist of
standard layers with those arguments and loads the weights, so what the parent evaluates
is exactly "these layers with these weights", whatever the student's ``forward`` did.
Anything that cannot be rebuilt raises ``RebuildError`` naming the offending layer.

``accumulated`` and ``diagnose_training`` read what the worker saw during a training run
(``GradientWatch``: optimizer steps on gradients never reset; torch's warning about a loss of
tensors with different shapes) and name the silent mistake, for a check whose trained model
came out wrong.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import torch
from torch import nn

from autograder.i18n import _

MAX_DEPTH = 8
MAX_LAYERS = 256
MAX_FEATURES = 1 << 16  # per dimension of a Linear / normalisation layer
MAX_PARAMETERS = 50_000_000


class RebuildError(ValueError):
    """The described network cannot be rebuilt from standard layers."""


def _int(args: dict, key: str, where: str, *, minimum: int = 1, maximum: int = MAX_FEATURES) -> int:
    value = args.get(key)
    if type(value) is not int or not minimum <= value <= maximum:
        raise RebuildError(_("{where}: {key}={value!r} is not an integer in [{minimum}, {maximum}]",
                             where=where, key=key, value=value, minimum=minimum, maximum=maximum))
    return value


def _float(args: dict, key: str, where: str, default: float | None = None, *, allow_none: bool = False) -> Any:
    value = args.get(key, default)
    if value is None and allow_none:
        return None
    if type(value) not in (int, float) or not math.isfinite(value):
        raise RebuildError(_("{where}: {key}={value!r} is not a finite number", where=where, key=key, value=value))
    return float(value)


def _bool(args: dict, key: str, where: str, default: bool) -> bool:
    value = args.get(key, default)
    if type(value) is not bool:
        raise RebuildError(_("{where}: {key}={value!r} is not True or False", where=where, key=key, value=value))
    return value


def _choice(args: dict, key: str, where: str, options: tuple) -> Any:
    value = args.get(key, options[0])
    if value not in options or type(value) is not type(options[0]):
        raise RebuildError(_("{where}: {key}={value!r} is not one of {options}", where=where, key=key,
                             value=value, options=options))
    return value


def _probability(args: dict, where: str) -> float:
    p = _float(args, "p", where, 0.5)
    if not 0.0 <= p <= 1.0:
        raise RebuildError(_("{where}: p={p!r} is not a probability", where=where, p=p))
    return p


def _dim(args: dict, key: str, where: str, default: int) -> int:
    return _int({key: args.get(key, default)}, key, where, minimum=-8, maximum=8)


# kind -> builder(args, tensors, where).  ``tensors`` is the set of parameter/buffer names the
# student's module held (e.g. whether a Linear had a bias).
LAYERS: dict[str, Callable[[dict, set, str], nn.Module]] = {
    "Linear": lambda a, t, w: nn.Linear(_int(a, "in_features", w), _int(a, "out_features", w), bias="bias" in t),
    "ReLU": lambda a, t, w: nn.ReLU(),
    "ReLU6": lambda a, t, w: nn.ReLU6(),
    "LeakyReLU": lambda a, t, w: nn.LeakyReLU(_float(a, "negative_slope", w, 0.01)),
    "ELU": lambda a, t, w: nn.ELU(_float(a, "alpha", w, 1.0)),
    "CELU": lambda a, t, w: nn.CELU(_float(a, "alpha", w, 1.0)),
    "SELU": lambda a, t, w: nn.SELU(),
    "GELU": lambda a, t, w: nn.GELU(approximate=_choice(a, "approximate", w, ("none", "tanh"))),
    "SiLU": lambda a, t, w: nn.SiLU(),
    "Mish": lambda a, t, w: nn.Mish(),
    "Softplus": lambda a, t, w: nn.Softplus(_float(a, "beta", w, 1.0), _float(a, "threshold", w, 20.0)),
    "PReLU": lambda a, t, w: nn.PReLU(_int(a, "num_parameters", w)),
    "Tanh": lambda a, t, w: nn.Tanh(),
    "Sigmoid": lambda a, t, w: nn.Sigmoid(),
    "Hardtanh": lambda a, t, w: nn.Hardtanh(_float(a, "min_val", w, -1.0), _float(a, "max_val", w, 1.0)),
    "Softsign": lambda a, t, w: nn.Softsign(),
    "Dropout": lambda a, t, w: nn.Dropout(_probability(a, w)),
    "AlphaDropout": lambda a, t, w: nn.AlphaDropout(_probability(a, w)),
    "BatchNorm1d": lambda a, t, w: _batchnorm(a, t, w),
    "LayerNorm": lambda a, t, w: _layernorm(a, t, w),
    "Identity": lambda a, t, w: nn.Identity(),
    "Flatten": lambda a, t, w: nn.Flatten(_dim(a, "start_dim", w, 1), _dim(a, "end_dim", w, -1)),
    "Softmax": lambda a, t, w: nn.Softmax(dim=_dim(a, "dim", w, -1)),
    "LogSoftmax": lambda a, t, w: nn.LogSoftmax(dim=_dim(a, "dim", w, -1)),
}


def _normalized_shape(args: dict, where: str) -> tuple:
    shape = args.get("normalized_shape")
    if type(shape) is not tuple or not 1 <= len(shape) <= 4:
        raise RebuildError(_("{where}: normalized_shape={shape!r} is not a tuple of sizes", where=where,
                             shape=shape))
    return tuple(_int({"d": d}, "d", where) for d in shape)


def _batchnorm(args: dict, tensors: set, where: str) -> nn.Module:
    affine = _bool(args, "affine", where, True)
    extra = {"bias": False} if affine and "bias" not in tensors else {}  # torch >= 2.5 only
    return nn.BatchNorm1d(_int(args, "num_features", where), eps=_float(args, "eps", where, 1e-5),
                          momentum=_float(args, "momentum", where, 0.1, allow_none=True), affine=affine,
                          track_running_stats=_bool(args, "track_running_stats", where, True), **extra)


def _layernorm(args: dict, tensors: set, where: str) -> nn.Module:
    affine = _bool(args, "elementwise_affine", where, True)
    extra = {"bias": False} if affine and "bias" not in tensors else {}
    return nn.LayerNorm(_normalized_shape(args, where), eps=_float(args, "eps", where, 1e-5),
                        elementwise_affine=affine, **extra)


def whitelist() -> str:
    return ", ".join(sorted(LAYERS))


def _describe_class(node: dict) -> str:
    cls = node.get("class") if type(node.get("class")) is str else "?"
    return cls.removeprefix("torch.nn.modules.")[:200]


def rebuild_structure(structure: Any, *, what: str = "the model") -> nn.Sequential:
    """An untrained ``nn.Sequential`` with the described layers; ``RebuildError`` otherwise."""
    if type(structure) is not dict:
        raise RebuildError(_("{what} could not be described (got {name})", what=what,
                             name=type(structure).__name__))
    if structure.get("kind") != "Sequential":
        raise RebuildError(_("{what} is {structure}, not an nn.Sequential: the grader can only rebuild an "
                             "nn.Sequential of standard torch.nn layers ({value})", what=what,
                             structure=_describe_class(structure), value=whitelist()))
    count = [0, 0]  # layers, weights
    return _sequential(structure, "model", 0, count)


def _sequential(node: dict, path: str, depth: int, count: list) -> nn.Sequential:
    if depth > MAX_DEPTH or node.get("truncated"):
        raise RebuildError(_("{path}: nn.Sequential nested more than {MAX_DEPTH} deep", path=path,
                             MAX_DEPTH=MAX_DEPTH))
    children = node.get("children")
    if type(children) is not list:
        raise RebuildError(_("{path}: malformed description", path=path))
    if node.get("tensors"):
        raise RebuildError(_("{path}: an nn.Sequential holding its own parameters {node} (register them in "
                             "a layer instead)", path=path, node=node['tensors']))
    layers: dict[str, nn.Module] = {}
    for child in children:
        count[0] += 1
        if count[0] > MAX_LAYERS:
            raise RebuildError(_("{path}: more than {MAX_LAYERS} layers", path=path, MAX_LAYERS=MAX_LAYERS))
        if type(child) is not dict or type(child.get("name")) is not str:
            raise RebuildError(_("{path}: malformed description", path=path))
        name = child["name"]
        where = f"{path}[{name}]" if name.isdigit() else f"{path}.{name}"
        layers[name] = _layer(child, where, depth, count)
    seq = nn.Sequential()
    for name, layer in layers.items():
        seq.add_module(name, layer)
    return seq


def _layer(node: dict, where: str, depth: int, count: list) -> nn.Module:
    kind = node.get("kind")
    label = _("layer {where} ({kind})", where=where, kind=_describe_class(node))
    if kind == "Sequential":
        return _sequential(node, where, depth + 1, count)
    if kind not in LAYERS:
        raise RebuildError(_("{label} is not a standard torch.nn layer the grader can rebuild; use only "
                             "{value} (a custom nn.Module's forward is not graded)", label=label,
                             value=whitelist()))
    if node.get("children"):
        raise RebuildError(_("{label} has sub-modules added to it; the grader cannot rebuild that", label=label))
    args = node.get("args") if type(node.get("args")) is dict else {}
    tensors = {t for t in node.get("tensors") or [] if type(t) is str}
    if kind == "Linear":  # check the size before allocating it
        size = _int(args, "in_features", label) * _int(args, "out_features", label)
        if count[1] + size > MAX_PARAMETERS:
            raise RebuildError(_("{label} makes the network larger than the {MAX_PARAMETERS:,} weights the "
                                 "grader accepts", label=label, MAX_PARAMETERS=MAX_PARAMETERS))
    try:
        layer = LAYERS[kind](args, tensors, label)
    except RebuildError:
        raise
    except (TypeError, ValueError, RuntimeError) as exc:
        raise RebuildError(_("{label}: cannot construct it with {args}: {exc}", label=label, args=args,
                             exc=exc)) from None
    count[1] += sum(p.numel() for p in layer.parameters())
    own = {k for k, v in list(layer._parameters.items()) + list(layer._buffers.items()) if v is not None}
    if own != tensors:
        raise RebuildError(_("{label} holds tensors {tensors}, but a standard {kind} with these arguments "
                             "holds {own}", label=label, tensors=sorted(tensors), kind=kind, own=sorted(own)))
    return layer


def load_weights(model: nn.Module, state_dict: Any, *, what: str = "the model") -> nn.Module:
    """Load ``state_dict`` (name -> tensor) into ``model`` after checking names, shapes and
    dtypes; converts floating tensors to the model's float32."""
    expected = model.state_dict()
    if type(state_dict) is not dict:
        raise RebuildError(_("the weights of {what} could not be read", what=what))
    missing = sorted(set(expected) - set(state_dict))
    extra = sorted(map(str, set(state_dict) - set(expected)))
    if missing or extra:
        raise RebuildError(_("the weights of {what} do not match its layers: missing {missing}, unexpected "
                             "{extra}", what=what, missing=missing[:5], extra=extra[:5]))
    total = 0
    loaded = {}
    for key, want in expected.items():
        value = state_dict[key]
        data = getattr(value, "data", None)
        if not isinstance(data, torch.Tensor):
            raise RebuildError(_("{what}: weight {key!r} is not a tensor", what=what, key=key))
        if tuple(data.shape) != tuple(want.shape):
            raise RebuildError(_("{what}: weight {key!r} has shape {shape}, but its layer needs {shape2}",
                                 what=what, key=key, shape=tuple(data.shape), shape2=tuple(want.shape)))
        if want.is_floating_point():
            if not data.is_floating_point():
                raise RebuildError(_("{what}: weight {key!r} has dtype {dtype}, expected a floating dtype",
                                     what=what, key=key, dtype=data.dtype))
            if not bool(torch.isfinite(data).all()):
                raise RebuildError(_("{what}: weight {key!r} contains NaN or infinity (training diverged?)",
                                     what=what, key=key))
        total += data.numel()
        loaded[key] = data.to(want.dtype)
    if total > MAX_PARAMETERS:
        raise RebuildError(_("{what} has {total:,} weights; at most {MAX_PARAMETERS:,} are accepted",
                             what=what, total=total, MAX_PARAMETERS=MAX_PARAMETERS))
    model.load_state_dict(loaded, strict=True)
    return model


def rebuild(structure: Any, state_dict: Any, *, what: str = "the model") -> nn.Sequential:
    """The described network with its weights, in eval mode; ``RebuildError`` if impossible."""
    model = load_weights(rebuild_structure(structure, what=what), state_dict, what=what)
    return model.eval()


def layer_summary(model: nn.Module) -> str:
    """``Linear(10, 1024) → ReLU → Linear(1024, 4)``, for messages."""
    parts = []
    for layer in model.children():
        if isinstance(layer, nn.Linear):
            parts.append(f"Linear({layer.in_features}, {layer.out_features})")
        elif isinstance(layer, nn.Sequential):
            parts.append(f"Sequential({layer_summary(layer)})")
        else:
            parts.append(type(layer).__name__)
    return " → ".join(parts)


# ---------------------------------------------------------------- silent training mistakes

ZERO_GRAD_HINT = _("your gradients accumulate across steps: call optimizer.zero_grad() before each "
                   "loss.backward(), otherwise every step uses the sum of all gradients so far")
MSE_BROADCAST_HINT = _("the loss compared tensors of different shapes, so nn.MSELoss broadcast (b, 1) "
                       "against (b,) to a (b, b) matrix and the model learned the mean: give the outputs "
                       "and the labels one shape (y.reshape(y_hat.shape))")


def accumulated(gradients: Any) -> bool:
    """Whether the worker's ``GradientWatch`` report counted steps on gradients never reset."""
    stale = gradients.get("stale") if type(gradients) is dict else None
    return type(stale) is int and stale > 0


def diagnose_training(student: Any, func: str, args: list) -> str | None:
    """The hint for a trainer ``func(*args)`` whose model came out wrong, when the mistake is
    one that trains without raising: the trainer runs again in the worker, watched
    (``training:diagnose``).  None when nothing recognisable was seen."""
    from autograder.checks.verdict import StudentError, StudentTimeout
    try:
        found = student.drive("training:diagnose", func, args)
    except (StudentError, StudentTimeout):  # it ran once already; the failure stands as it is
        return None
    if type(found) is not dict:
        return None
    if isinstance(found.get("broadcast"), str):
        return _("{hint} (torch warned: {warning})", hint=MSE_BROADCAST_HINT, warning=found["broadcast"])
    return ZERO_GRAD_HINT if accumulated(found.get("gradients")) else None
