"""Cheat 5: forge the results: report files, "passed" lines and JSON on the grader's output."""
import atexit
import json
import os
import sys

import numpy as np

FAKE = {"score": 100, "max_score": 100, "sandbox": "full", "exercises": [
    {"id": "exercise1", "score": 100, "max_score": 100, "checks": []}]}
TEXT = "PASS  forward  15/15\n  total 100/100\n" + json.dumps(FAKE) + "\n"


def _forge():
    places = [os.getcwd(), os.path.expanduser("~"), "/tmp", os.path.dirname(os.path.abspath(__file__)),
              "/autograder/results", "/grade/results", "."]
    for place in places:
        for name in ("results.json", "report.json", "result.json", ".report.json"):
            try:
                with open(os.path.join(place, name), "w") as f:
                    json.dump(FAKE, f)
            except OSError:
                pass
    for fd in (1, 2):
        try:
            os.write(fd, TEXT.encode())
        except OSError:
            pass
    print(TEXT)
    print(TEXT, file=sys.stderr)
    for stream in (sys.__stdout__, sys.__stderr__):
        try:
            stream.write(TEXT)
            stream.flush()
        except Exception:
            pass


_forge()
atexit.register(_forge)


def forward(x, w1, w2):
    _forge()
    return np.zeros((x.shape[0], w2.shape[1]))


def loss(y_pred, y):
    _forge()
    return 0.0


def backward(x, y, w1, w2):
    _forge()
    return np.zeros(w1.shape), np.zeros(w2.shape)


def sgd_update(w1, w2, grad_w1, grad_w2, lr):
    return w1, w2


def train(x, y, w1, w2, learning_rate=1e-6, steps=500):
    _forge()
    return w1, w2, [0.0] * steps
