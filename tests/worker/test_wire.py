"""The plain-data wire format: round trips, and every malformed frame is a WireError."""
from __future__ import annotations

import json
import struct

import numpy as np
import pytest
import torch

from autograder.worker import wire


def roundtrip(value, tensors="value"):
    frame = wire.encode(value)
    return wire.decode(frame[8:], tensors=tensors)


def test_plain_values_roundtrip():
    value = {"a": [1, 2.5, None, True, "s", (3, 4)], 7: b"raw", "big": 2**80, "inf": float("inf")}
    assert roundtrip(value) == value


def test_nan_roundtrips():
    assert np.isnan(roundtrip(float("nan")))


def test_arrays_keep_dtype_and_shape():
    for arr in (np.arange(12.0).reshape(3, 4), np.arange(6, dtype=np.int32), np.array([True, False]),
                np.zeros((0, 3), np.float32), np.float64(2.5)):
        out = roundtrip(arr)
        assert type(out) is type(arr) and out.dtype == arr.dtype and np.array_equal(out, arr)


def test_tensor_becomes_a_description_in_the_parent_and_a_tensor_in_the_child():
    t = torch.arange(6, dtype=torch.float64).reshape(2, 3).requires_grad_()
    parent = roundtrip(t)
    assert isinstance(parent, wire.TensorValue)
    assert parent.shape == (2, 3) and parent.dtype == "float64" and parent.device == "cpu" and parent.requires_grad
    assert torch.equal(parent.data, t.detach())
    child = roundtrip(t, tensors="torch")
    assert isinstance(child, torch.Tensor) and child.requires_grad and torch.equal(child.detach(), t.detach())
    bf = roundtrip(torch.ones(3, dtype=torch.bfloat16))
    assert bf.dtype == "bfloat16" and bf.data.dtype == torch.bfloat16


def test_objects_and_subclasses_cross_only_as_descriptions():
    class Sneaky(np.ndarray):
        def __eq__(self, other):
            return True

    class Thing:
        def __reduce__(self):
            raise AssertionError("never pickled")

    out = roundtrip([np.zeros(3).view(Sneaky), Thing()])
    assert all(isinstance(o, wire.Foreign) for o in out)
    assert out[0].base == "numpy.ndarray" and "Thing" in out[1].type


def frame(header: dict, body: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack(">I", len(raw)) + raw + body


@pytest.mark.parametrize("payload", [
    b"", b"\x00\x00\x00\xff{}",
    frame({"v": 1}),  # no buffer table
    frame({"v": {"__t": "ndarray", "dtype": "<f8", "shape": [1000000, 1000000], "buf": 0}, "bufs": [[0, 8]]}, b"\0" * 8),
    frame({"v": {"__t": "ndarray", "dtype": "O", "shape": [1], "buf": 0}, "bufs": [[0, 8]]}, b"\0" * 8),
    frame({"v": {"__t": "ndarray", "dtype": "<f8", "shape": [-1], "buf": 0}, "bufs": [[0, 8]]}, b"\0" * 8),
    frame({"v": {"__t": "ndarray", "dtype": "<f8", "shape": [1], "buf": 3}, "bufs": [[0, 8]]}, b"\0" * 8),
    frame({"v": 0, "bufs": [[0, 100]]}, b"\0" * 8),
    frame({"v": {"__t": "pickle", "data": "..."}, "bufs": []}),
    frame({"v": {"__t": "tensor", "dtype": "object", "shape": [1], "device": "cpu", "buf": None}, "bufs": []}),
])
def test_malformed_frames_are_rejected(payload):
    with pytest.raises(wire.WireError):
        wire.decode(payload)


def test_oversized_reply_is_rejected_before_reading_it():
    class Sock:
        def recv(self, n):
            return struct.pack(">Q", wire.MAX_FRAME + 1)[:n]
    with pytest.raises(wire.WireError, match="exceeds"):
        wire.recv(Sock())
