"""Cheat 9: ask an oracle on the network for the answers (here: a loopback port written
next to this file by whoever set the oracle up)."""
import json
import os
import socket

import numpy as np

_PORT_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "oracle_port.txt")


def _ask(func, *args):
    try:
        port = int(open(_PORT_FILE).read())
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(json.dumps({"func": func, "args": [np.asarray(a).tolist() for a in args]}).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(1 << 20)
                if not chunk:
                    break
                data += chunk
        return json.loads(data)
    except (OSError, ValueError):
        return None


def forward(x, w1, w2):
    got = _ask("forward", x, w1, w2)
    return np.array(got) if got is not None else np.zeros((x.shape[0], w2.shape[1]))


def loss(y_pred, y):
    got = _ask("loss", y_pred, y)
    return float(got) if got is not None else 0.0


def backward(x, y, w1, w2):
    got = _ask("backward", x, y, w1, w2)
    return (np.array(got[0]), np.array(got[1])) if got is not None else (np.zeros(w1.shape), np.zeros(w2.shape))


def sgd_update(w1, w2, grad_w1, grad_w2, lr):
    return w1, w2


def train(x, y, w1, w2, learning_rate=1e-6, steps=500):
    return w1, w2, [0.0] * steps
