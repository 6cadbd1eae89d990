"""Plain-data wire format between the trusted parent and the untrusted child.

A frame is ``8-byte big-endian length`` + ``4-byte header length`` + JSON header +
raw buffers.  The header is a tree of JSON values in which anything that JSON cannot say
directly is a tagged object ``{"__t": kind, ...}``; arrays and tensors point into the
buffers by index.  Nothing is ever pickled, and the decoder checks every dtype, shape and
buffer length before it builds an array, so a lying or truncated reply is a ``WireError``,
never a crash or an allocation the sender chose.

torch is imported lazily: the parent grading a numpy-only exercise never pays for it.
"""
from __future__ import annotations

import dataclasses
import json
import math
import struct
import sys
from typing import Any

MAX_FRAME = 512 * 1024 * 1024  # one reply may hold at most this many bytes
MAX_DEPTH = 32
MAX_ITEMS = 1_000_000
REPR_LIMIT = 200

_ARRAY_KINDS = "biufc"
# torch dtype name -> (numpy dtype used on the wire, whether to view back from an int)
_TORCH_DTYPES = {
    "float64": "<f8", "float32": "<f4", "float16": "<f2", "bfloat16": "<i2",
    "int64": "<i8", "int32": "<i4", "int16": "<i2", "int8": "|i1", "uint8": "|u1",
    "bool": "|b1", "complex64": "<c8", "complex128": "<c16",
}


class WireError(ValueError):
    """A frame that is malformed, oversized or describes impossible data."""


@dataclasses.dataclass(frozen=True)
class Foreign:
    """Something the child returned that is not plain data: only its description crosses."""

    type: str
    repr: str
    base: str | None = None  # e.g. "numpy.ndarray" for an ndarray subclass

    def __str__(self) -> str:
        extra = f", a subclass of {self.base}" if self.base else ""
        return f"<{self.type}{extra}>"


@dataclasses.dataclass(frozen=True)
class TensorValue:
    """A tensor as the parent sees it: CPU data plus where and how it lived in the child."""

    data: Any  # torch.Tensor on the CPU, or None when the child's tensor had no data (meta)
    dtype: str
    shape: tuple
    device: str
    requires_grad: bool = False
    grad_fn: str | None = None


def _type_name(obj: Any) -> str:
    t = type(obj)
    return f"{t.__module__}.{t.__qualname__}"


def _safe_repr(obj: Any) -> str:
    try:
        text = repr(obj)
    except BaseException as exc:  # the child describes what it can; this is student code
        text = f"<repr failed: {type(exc).__name__}>"
    return text if len(text) <= REPR_LIMIT else text[:REPR_LIMIT] + "..."


# ---------------------------------------------------------------- encoding

class _Encoder:
    def __init__(self) -> None:
        self.buffers: list[bytes] = []
        self.items = 0

    def _buf(self, data: bytes) -> int:
        self.buffers.append(data)
        return len(self.buffers) - 1

    def encode(self, obj: Any, depth: int = 0) -> Any:
        self.items += 1
        if depth > MAX_DEPTH or self.items > MAX_ITEMS:
            raise WireError("value too deeply nested or too large to send")
        t = type(obj)
        if obj is None or t is bool or t is str:
            return obj
        if t is int:
            return obj if abs(obj) < 2**63 else {"__t": "bigint", "v": str(obj)}
        if t is float:
            return obj if math.isfinite(obj) else {"__t": "float", "v": repr(obj)}
        if t is list:
            return [self.encode(x, depth + 1) for x in obj]
        if t is tuple:
            return {"__t": "tuple", "items": [self.encode(x, depth + 1) for x in obj]}
        if t is dict:
            return {"__t": "dict", "items": [[self.encode(k, depth + 1), self.encode(v, depth + 1)]
                                             for k, v in obj.items()]}
        if t is bytes:
            return {"__t": "bytes", "buf": self._buf(obj)}
        if isinstance(obj, TensorValue):
            return self._tensor_value(obj)
        np = sys.modules.get("numpy")
        if np is not None:
            if t is np.ndarray:
                return self._ndarray(obj)
            if isinstance(obj, np.generic) and t.__module__ == "numpy" and obj.dtype.kind in _ARRAY_KINDS:
                return {"__t": "npscalar", "dtype": obj.dtype.str, "buf": self._buf(obj.tobytes())}
            if isinstance(obj, np.ndarray):
                return {"__t": "foreign", "type": _type_name(obj), "repr": _safe_repr(obj),
                        "base": "numpy.ndarray"}
        torch = sys.modules.get("torch")
        if torch is not None:
            if isinstance(obj, torch.Tensor):
                if t is not torch.Tensor and t is not torch.nn.Parameter:
                    return {"__t": "foreign", "type": _type_name(obj), "repr": _safe_repr(obj),
                            "base": "torch.Tensor"}
                return self._tensor(obj, torch)
            if t is torch.dtype:
                return {"__t": "torch_dtype", "name": str(obj).removeprefix("torch.")}
            if t is torch.device:
                return {"__t": "device", "name": str(obj)}
        if isinstance(obj, Foreign):
            return {"__t": "foreign", "type": obj.type, "repr": obj.repr, "base": obj.base}
        return {"__t": "foreign", "type": _type_name(obj), "repr": _safe_repr(obj), "base": None}

    def _ndarray(self, arr: Any) -> Any:
        if arr.dtype.kind not in _ARRAY_KINDS or arr.dtype.hasobject:
            return {"__t": "foreign", "type": f"numpy.ndarray[dtype={arr.dtype}]",
                    "repr": _safe_repr(arr), "base": None}
        import numpy as np
        data = np.ascontiguousarray(arr).tobytes()
        return {"__t": "ndarray", "dtype": arr.dtype.str, "shape": list(arr.shape), "buf": self._buf(data)}

    def _tensor(self, tensor: Any, torch: Any) -> Any:
        name = str(tensor.dtype).removeprefix("torch.")
        head = {"__t": "tensor", "dtype": name, "shape": list(tensor.shape), "device": str(tensor.device),
                "requires_grad": bool(tensor.requires_grad),
                "grad_fn": type(tensor.grad_fn).__name__ if tensor.grad_fn is not None else None,
                "buf": None}
        if name not in _TORCH_DTYPES or tensor.device.type == "meta" or _is_fake(tensor):
            return head
        data = tensor.detach().to("cpu").contiguous()
        if name == "bfloat16":
            data = data.view(torch.int16)
        head["buf"] = self._buf(data.numpy().tobytes())
        return head

    def _tensor_value(self, value: TensorValue) -> Any:
        torch = sys.modules["torch"]
        head = self._tensor(value.data, torch)
        head.update(device=value.device, requires_grad=value.requires_grad)
        return head


def _is_fake(tensor: Any) -> bool:
    return type(tensor).__name__ == "FakeTensor" or getattr(tensor, "fake_mode", None) is not None


def encode(obj: Any) -> bytes:
    """Serialise ``obj`` (plain data, arrays, tensors) into one frame, length prefix included."""
    enc = _Encoder()
    head = enc.encode(obj)
    offsets, pos = [], 0
    for b in enc.buffers:
        offsets.append([pos, len(b)])
        pos += len(b)
    header = json.dumps({"v": head, "bufs": offsets}, separators=(",", ":")).encode()
    total = 4 + len(header) + pos
    if total > MAX_FRAME:
        raise WireError(f"value of {total} bytes exceeds the {MAX_FRAME}-byte limit")
    return b"".join([struct.pack(">QI", total, len(header)), header, *enc.buffers])


# ---------------------------------------------------------------- decoding

def decode(payload: bytes, *, tensors: str = "value") -> Any:
    """Rebuild a value from a frame's payload (without its 8-byte length prefix).

    ``tensors="value"`` (the parent) gives ``TensorValue`` descriptions; ``tensors="torch"``
    (the child) gives real tensors on the device and with the ``requires_grad`` that was sent.
    """
    if len(payload) < 4:
        raise WireError("truncated frame")
    (hlen,) = struct.unpack(">I", payload[:4])
    if 4 + hlen > len(payload):
        raise WireError("header longer than the frame")
    try:
        header = json.loads(payload[4:4 + hlen].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError(f"header is not valid JSON: {exc}") from None
    if not isinstance(header, dict) or not isinstance(header.get("bufs"), list):
        raise WireError("header lacks its buffer table")
    body = memoryview(payload)[4 + hlen:]
    bufs = []
    for entry in header["bufs"]:
        if (not isinstance(entry, list) or len(entry) != 2 or not all(type(x) is int for x in entry)
                or entry[0] < 0 or entry[1] < 0 or entry[0] + entry[1] > len(body)):
            raise WireError(f"buffer entry {entry!r} out of bounds")
        bufs.append(body[entry[0]:entry[0] + entry[1]])
    return _Decoder(bufs, tensors).decode(header.get("v"), 0)


class _Decoder:
    def __init__(self, bufs: list, tensors: str) -> None:
        self.bufs = bufs
        self.tensors = tensors

    def buf(self, node: dict) -> memoryview:
        i = node.get("buf")
        if type(i) is not int or not 0 <= i < len(self.bufs):
            raise WireError(f"bad buffer index {i!r}")
        return self.bufs[i]

    def decode(self, node: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise WireError("value too deeply nested")
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is list:
            return [self.decode(x, depth + 1) for x in node]
        if type(node) is not dict:
            raise WireError(f"unexpected JSON node {type(node).__name__}")
        kind = node.get("__t")
        if kind == "tuple":
            return tuple(self.decode(x, depth + 1) for x in self._list(node, "items"))
        if kind == "dict":
            out = {}
            for pair in self._list(node, "items"):
                if type(pair) is not list or len(pair) != 2:
                    raise WireError("bad dict item")
                key = self.decode(pair[0], depth + 1)
                if type(key) not in (str, int, float, bool, tuple) and key is not None:
                    raise WireError("unhashable dict key")
                out[key] = self.decode(pair[1], depth + 1)
            return out
        if kind == "bigint":
            return int(self._str(node, "v"))
        if kind == "float":
            text = self._str(node, "v")
            if text not in ("nan", "inf", "-inf"):
                raise WireError(f"bad float {text!r}")
            return float(text)
        if kind == "bytes":
            return bytes(self.buf(node))
        if kind == "ndarray":
            return self._array(node["dtype"], node.get("shape"), self.buf(node))
        if kind == "npscalar":
            return self._array(node["dtype"], [], self.buf(node))[()]
        if kind == "tensor":
            return self._tensor(node)
        if kind == "torch_dtype":
            import torch
            return _torch_dtype(torch, self._str(node, "name"))
        if kind == "device":
            import torch
            return torch.device(self._str(node, "name"))
        if kind == "foreign":
            base = node.get("base")
            return Foreign(type=self._str(node, "type"), repr=self._str(node, "repr"),
                           base=base if type(base) is str else None)
        raise WireError(f"unknown tag {kind!r}")

    @staticmethod
    def _list(node: dict, key: str) -> list:
        value = node.get(key)
        if type(value) is not list:
            raise WireError(f"{key!r} must be a list")
        return value

    @staticmethod
    def _str(node: dict, key: str) -> str:
        value = node.get(key)
        if type(value) is not str:
            raise WireError(f"{key!r} must be a string")
        return value

    @staticmethod
    def _shape(shape: Any) -> tuple:
        if type(shape) is not list or len(shape) > 32 or not all(type(d) is int and d >= 0 for d in shape):
            raise WireError(f"bad shape {shape!r}")
        return tuple(shape)

    def _array(self, dtype: Any, shape: Any, data: memoryview) -> Any:
        import numpy as np
        if type(dtype) is not str or len(dtype) > 8:
            raise WireError(f"bad dtype {dtype!r}")
        try:
            dt = np.dtype(dtype)
        except TypeError:
            raise WireError(f"bad dtype {dtype!r}") from None
        if dt.kind not in _ARRAY_KINDS or dt.hasobject or dt.fields is not None:
            raise WireError(f"dtype {dtype!r} is not a plain numeric dtype")
        shape = self._shape(shape)
        if math.prod(shape) * dt.itemsize != len(data):
            raise WireError(f"array header claims {shape} of {dt} but {len(data)} bytes came")
        return np.frombuffer(data, dtype=dt).reshape(shape).copy()

    def _tensor(self, node: dict) -> Any:
        import torch
        name = self._str(node, "dtype")
        if name not in _TORCH_DTYPES:
            raise WireError(f"unsupported tensor dtype {name!r}")
        shape = self._shape(node.get("shape"))
        device = self._str(node, "device")
        requires_grad = node.get("requires_grad") is True
        grad_fn = node.get("grad_fn") if type(node.get("grad_fn")) is str else None
        data = None
        if node.get("buf") is not None:
            arr = self._array(_TORCH_DTYPES[name], list(shape), self.buf(node))
            data = torch.from_numpy(arr)
            if name == "bfloat16":
                data = data.view(torch.bfloat16)
        if self.tensors == "torch":
            if data is None:
                data = torch.empty(shape, dtype=_torch_dtype(torch, name), device="meta")
            else:
                data = data.to(device)
            return data.requires_grad_(requires_grad) if data.is_floating_point() else data
        return TensorValue(data=data, dtype=name, shape=shape, device=device,
                           requires_grad=requires_grad, grad_fn=grad_fn)


def _torch_dtype(torch: Any, name: str) -> Any:
    if name not in _TORCH_DTYPES:
        raise WireError(f"unsupported torch dtype {name!r}")
    return getattr(torch, name)


# ---------------------------------------------------------------- framing over a socket

def send(sock: Any, obj: Any) -> None:
    sock.sendall(encode(obj))


def recv(sock: Any, *, tensors: str = "value", limit: int = MAX_FRAME) -> Any:
    """Read one frame from a blocking socket; ``EOFError`` when the peer has gone."""
    head = _recv_exact(sock, 8)
    (total,) = struct.unpack(">Q", head)
    if total > limit:
        raise WireError(f"reply of {total} bytes exceeds the {limit}-byte limit")
    return decode(_recv_exact(sock, total), tensors=tensors)


def _recv_exact(sock: Any, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("peer closed the connection")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)
