"""Recorded reference values: how a student release grades without the solutions.

The format: when a release is built (``autograder.release.record``), every call a public
check makes on its ``reference`` fixture is answered by the real solution and written
down as plain data (``autograder.worker.wire`` frames, never pickle)::

    key = sha256(path of the callee + wire encoding of its arguments)  ->  wire-encoded result

In the release, ``load_replay(path)`` gives a ``Replayer`` that answers the same calls from
``autograder/recorded/<exercise>.wire``.  A call that was not recorded (another seed, other
sizes) raises ``NotRecorded``: the check fails and says why, it never passes silently.

Exact keys are the normal case.  Because a suite may compute an argument with operations
whose last bit depends on the machine (``np.linalg.norm`` goes through BLAS), a miss falls
back to a *fingerprint* match: same callee, same argument structure (types, shapes, dtypes,
every non-float value exactly) and float sums that agree to ~1e-10 relative.  Arguments
that differ in a meaningful way (another seed, a finite-difference step of 1e-5) never
match.

Objects a reference returned that are not plain data (an ``nn.Module`` instance) replay
through a ``ReplayProxy``: each attribute read and method call is answered under the
object's path plus a per-object sequence number; arguments the reference changed in place
are written back.
"""
from __future__ import annotations

import hashlib
import inspect
import math
import sys
from pathlib import Path
from typing import Any

from autograder.checks.oracle import oracle_path
from autograder.checks.verdict import Outcome
from autograder.i18n import _
from autograder.worker import wire

FORMAT = "torchgrade-recorded/1"
FINGERPRINT_RTOL = 1e-10
_PROXY_TAG = "\x00torchgrade-proxy"
GETATTR = "\x00getattr"  # the "argument" of a recorded attribute read
CALLABLE = ("\x00torchgrade-callable",)  # the recorded "value" of an attribute that is a method


class RecordError(RuntimeError):
    """A reference call whose arguments or result cannot be recorded as plain data."""


class NotRecorded(Outcome):
    """The release has no recorded expected value for this call."""

    status = "failed"


class Proxy:
    """A reference object seen through a recording or replaying proxy, named by its path."""

    _path: str


# ---------------------------------------------------------------- plain values

def recordable(value: Any, where: str, depth: int = 0) -> Any:
    """``value`` with recording proxies replaced by tags; RecordError if it is not plain data."""
    if depth > wire.MAX_DEPTH:
        raise RecordError(f"{where}: value nested too deeply")
    if isinstance(value, Proxy):
        return (_PROXY_TAG, object.__getattribute__(value, "_path"))
    t = type(value)
    if t is list:
        return [recordable(v, where, depth + 1) for v in value]
    if t is tuple:
        return tuple(recordable(v, where, depth + 1) for v in value)
    if t is dict:
        return {recordable(k, where, depth + 1): recordable(v, where, depth + 1) for k, v in value.items()}
    if not faithful(value):
        raise RecordError(f"{where}: {wire._type_name(value)} is not plain data")
    return value


def faithful(value: Any) -> bool:
    """Whether the wire format gives ``value`` back as the same kind of object."""
    t = type(value)
    if value is None or t in (bool, int, float, str, bytes):
        return True
    np = sys.modules.get("numpy")
    if np is not None:
        if t is np.ndarray:
            return value.dtype.kind in wire._ARRAY_KINDS and not value.dtype.hasobject
        if isinstance(value, np.generic) and t.__module__ == "numpy":
            return value.dtype.kind in wire._ARRAY_KINDS
    torch = sys.modules.get("torch")
    if torch is not None:
        if t is torch.Tensor:
            # a tensor with history replays as a leaf: not the same object for autograd
            return (str(value.dtype).removeprefix("torch.") in wire._TORCH_DTYPES and value.grad_fn is None
                    and value.device.type == "cpu" and not value.is_sparse)
        if t in (torch.dtype, torch.device):
            return True
    return False


def encode(value: Any) -> bytes:
    return wire.encode(value)


def decode(data: bytes) -> Any:
    return _untag(wire.decode(data[8:], tensors="torch"))


def _untag(value: Any) -> Any:
    t = type(value)
    if t is tuple and len(value) == 2 and type(value[0]) is str and value[0] == _PROXY_TAG:
        return ReplayProxy.placeholder(value[1])
    if t is list:
        return [_untag(v) for v in value]
    if t is tuple:
        return tuple(_untag(v) for v in value)
    if t is dict:
        return {k: _untag(v) for k, v in value.items()}
    return value


def call_key(path: str, args: tuple, kwargs: dict) -> str:
    payload = wire.encode((list(args), dict(sorted(kwargs.items()))))
    return hashlib.sha256(path.encode() + b"\x00" + payload).hexdigest()


def fingerprint(args: tuple, kwargs: dict) -> tuple[str, list]:
    """(structure, numbers): the structure holds every type, shape, dtype and non-float value
    exactly; numbers are per float leaf [sum, weighted sum, sum of squares, sum of |x|]."""
    structure: list[str] = []
    numbers: list[list[float]] = []

    def walk(v: Any) -> None:
        t = type(v)
        if t in (list, tuple):
            structure.append(f"{t.__name__}[{len(v)}]")
            for x in v:
                walk(x)
            return
        if t is dict:
            structure.append(f"dict[{len(v)}]")
            for k in sorted(v, key=repr):
                structure.append(repr(k))
                walk(v[k])
            return
        if t is float:
            structure.append("float")
            numbers.append(_sums([v]))
            return
        np = sys.modules.get("numpy")
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(v, torch.Tensor):
            structure.append(f"tensor{tuple(v.shape)}{v.dtype}{v.requires_grad}")
            v = v.detach().cpu()
            if v.is_floating_point() or v.is_complex():
                numbers.append(_sums(v.double().numpy() if not v.is_complex() else v.numpy()))
            else:
                structure.append(hashlib.sha256(v.contiguous().numpy().tobytes()).hexdigest())
            return
        if np is not None and isinstance(v, (np.ndarray, np.generic)):
            structure.append(f"ndarray{np.shape(v)}{np.asarray(v).dtype.str}")
            a = np.asarray(v)
            if a.dtype.kind in "fc":
                numbers.append(_sums(a))
            else:
                structure.append(hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest())
            return
        structure.append(repr(v))

    walk(list(args))
    walk(dict(kwargs))
    return hashlib.sha256("\n".join(structure).encode()).hexdigest(), numbers


def _sums(values: Any) -> list[float]:
    import numpy as np
    a = np.asarray(values).astype(np.complex128 if np.iscomplexobj(values) else np.float64).ravel()
    if np.iscomplexobj(a):
        a = np.concatenate([a.real, a.imag])
    if not np.all(np.isfinite(a)):
        return [float("nan")] * 4
    w = np.linspace(1.0, 2.0, num=a.size) if a.size else a
    return [float(a.sum()), float((a * w).sum()), float((a * a).sum()), float(np.abs(a).sum())]


def _numbers_close(a: list, b: list) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        scale = abs(x[3]) + abs(y[3])
        if any(math.isnan(p) or math.isnan(q) for p, q in zip(x, y)):
            return False
        for p, q in zip(x[:3], y[:3]):
            if abs(p - q) > FINGERPRINT_RTOL * max(scale, abs(p) + abs(q), 1e-300):
                return False
    return True



# ---------------------------------------------------------------- replaying

class _RecordedSignature(inspect.Signature):
    """A signature known only as text (what ``str(inspect.signature(f))`` gave at release time)."""

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def __str__(self) -> str:
        return self._text


class Replayer:
    """The ``reference`` fixture in a student release: answers from the recorded data."""

    def __init__(self, data: dict) -> None:
        if type(data) is not dict or data.get("format") != FORMAT:
            raise RuntimeError(f"recorded data in an unknown format (expected {FORMAT})")
        self._exercise = data["exercise"]
        self._signatures = data.get("signatures", {})
        self._attributes = data.get("attributes", {})
        self._seed = data.get("seed", 0)
        self._calls = {c["key"]: c for c in data["calls"]}
        self._by_path: dict[str, list] = {}
        for c in data["calls"]:
            self._by_path.setdefault(c["path"], []).append(c)
        self._check = "?"
        self._objects: dict[str, Any] = {}

    def bind_check(self, check: str) -> "Replayer":
        self._check = check
        return self

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._attributes:
            return _untag(self._attributes[name])
        if name not in self._signatures and name not in self._by_path:
            raise AttributeError(f"the recorded reference has no {name!r}")

        def replayed(*args: Any, **kwargs: Any) -> Any:
            return self._answer(name, args, kwargs)
        replayed.__name__ = name
        if name in self._signatures:
            replayed.__signature__ = _RecordedSignature(self._signatures[name])
        return replayed

    def _oracle(self, func: Any, args: tuple, kwargs: dict) -> Any:
        return self._answer(oracle_path(func), args, kwargs)

    def _answer(self, path: str, args: tuple, kwargs: dict) -> Any:
        plain_args, plain_kwargs = recordable(args, path), recordable(kwargs, path)
        record = self._calls.get(call_key(path, plain_args, plain_kwargs))
        if record is None:
            structure, numbers = fingerprint(plain_args, plain_kwargs)
            for candidate in self._by_path.get(path, ()):
                if candidate["structure"] == structure and _numbers_close(candidate["numbers"], numbers):
                    record = candidate
                    break
        if record is None:
            shown = path.split("#")[0].lstrip("@")
            shown = shown.removeprefix("oracle:") if shown.startswith("oracle:") else f"reference.{shown}"
            seed = (_("the public seed ({seed})", seed=self._seed) if self._seed == 0
                    else _("its seed ({seed})", seed=self._seed))
            raise NotRecorded(
                _("this copy of the grader has no recorded expected value for {call}() with these inputs: it "
                  "only has the values for {seed} and its checks' inputs", call=shown, seed=seed),
                _("run the check without --seed (or with --seed {seed}); other seeds run at final grading",
                  seed=self._seed))
        for where, value in record.get("mutated", {}).items():
            target = args[int(where)] if where.isdigit() else kwargs.get(where)
            write_back(target, _untag(value))
        return self._objects_for(_untag(record["result"]))

    def _objects_for(self, value: Any) -> Any:
        if isinstance(value, ReplayProxy):
            path = object.__getattribute__(value, "_path")
            return ReplayProxy(self, path)
        t = type(value)
        if t in (list, tuple):
            return t(self._objects_for(v) for v in value)
        if t is dict:
            return {k: self._objects_for(v) for k, v in value.items()}
        return value


def write_back(target: Any, value: Any) -> None:
    """Give ``target`` (an argument a call changed in place) the recorded ``value``."""
    np = sys.modules.get("numpy")
    torch = sys.modules.get("torch")
    if np is not None and isinstance(target, np.ndarray):
        np.copyto(target, value)
    elif torch is not None and isinstance(target, torch.Tensor):
        with torch.no_grad():
            target.copy_(value)
    elif type(target) is list:
        target[:] = value
    elif type(target) is dict:
        target.clear()
        target.update(value)


class ReplayProxy(Proxy):
    """A recorded non-plain object: its attribute reads and method calls are replayed."""

    def __init__(self, replayer: Replayer | None, path: str) -> None:
        object.__setattr__(self, "_replayer", replayer)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_seq", 0)

    @classmethod
    def placeholder(cls, path: str) -> "ReplayProxy":
        return cls(None, path)

    def _next(self) -> int:
        seq = object.__getattribute__(self, "_seq")
        object.__setattr__(self, "_seq", seq + 1)
        return seq

    def _ask(self, path: str, args: tuple, kwargs: dict) -> Any:
        replayer = object.__getattribute__(self, "_replayer")
        return replayer._answer(f"{path}#{self._next()}", args, kwargs)

    def __getattr__(self, name: str) -> Any:
        path = f"{object.__getattribute__(self, '_path')}.{name}"
        value = self._ask(path, (GETATTR,), {})
        if type(value) is tuple and value == CALLABLE:
            def replayed(*args: Any, **kwargs: Any) -> Any:
                return self._ask(path, args, kwargs)
            return replayed
        return value

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._ask(f"{object.__getattribute__(self, '_path')}()", args, kwargs)



def load_replay(path: Path) -> Replayer:
    """The recorded values of one exercise (``Kit.references`` in a student release)."""
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: this release has no recorded values for it")
    return Replayer(decode(path.read_bytes()))
