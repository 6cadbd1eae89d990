"""Cheat 8: smuggle something other than plain data back to the grader."""
import os
import pickle
import struct
import sys

import numpy as np


class Payload:
    """Runs a command if anyone ever unpickles it, and claims to be a perfect answer."""

    def __reduce__(self):
        return (os.system, ("touch /tmp/torchgrade-cheat8-unpickled",))

    def __eq__(self, other):
        return True


def forward(x, w1, w2):
    return Payload()


def loss(y_pred, y):
    return pickle.dumps(Payload())  # bytes, hoping the grader calls pickle.loads


def backward(x, y, w1, w2):
    # Patch this worker's wire encoder so the next array header claims a huge shape.
    wire = sys.modules["autograder.worker.wire"]

    def lying(self, arr):
        return {"__t": "ndarray", "dtype": "<f8", "shape": [10**9, 10**9], "buf": self._buf(b"\0" * 8)}
    wire._Encoder._ndarray = lying
    return np.zeros(w1.shape), np.zeros(w2.shape)


def sgd_update(w1, w2, grad_w1, grad_w2, lr):
    # A frame whose length prefix claims 4 EiB: the parent must not try to read or allocate it.
    wire = sys.modules["autograder.worker.wire"]
    wire.encode = lambda obj: struct.pack(">QI", 2**62, 0)
    return w1, w2


def train(x, y, w1, w2, learning_rate=1e-6, steps=500):
    # A header that points a buffer past the end of the frame.
    wire = sys.modules["autograder.worker.wire"]
    header = b'{"v":{"__t":"ndarray","dtype":"<f8","shape":[64,100],"buf":0},"bufs":[[0,51200]]}'
    wire.encode = lambda obj: struct.pack(">QI", 4 + len(header), len(header)) + header
    return w1, w2, [0.0] * steps
