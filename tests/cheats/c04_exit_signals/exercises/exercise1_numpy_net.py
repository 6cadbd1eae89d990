"""Cheat 4: end the process (or poke its parent) and hope a silent exit counts as a pass."""
import os
import signal
import sys

import numpy as np


def forward(x, w1, w2):
    sys.exit(0)


def loss(y_pred, y):
    os._exit(0)


def backward(x, y, w1, w2):
    # The zygote (or, without namespaces, whatever the parent is): a silent kill.
    try:
        os.kill(os.getppid(), signal.SIGKILL)
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGKILL)


def sgd_update(w1, w2, grad_w1, grad_w2, lr):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGALRM, lambda *a: None)
    os.kill(os.getpid(), signal.SIGSTOP)  # freeze: the parent's timeout must still end it
    return w1, w2


def train(x, y, w1, w2, learning_rate=1e-6, steps=500):
    raise SystemExit("all tests passed")
