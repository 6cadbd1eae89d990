"""Cheat 6: the module itself does nothing; the files around it try to configure the grader."""
import numpy as np


def forward(x, w1, w2):
    return np.zeros((x.shape[0], w2.shape[1]))


def loss(y_pred, y):
    return 0.0


def backward(x, y, w1, w2):
    return np.zeros(w1.shape), np.zeros(w2.shape)


def sgd_update(w1, w2, grad_w1, grad_w2, lr):
    return w1, w2


def train(x, y, w1, w2, learning_rate=1e-6, steps=500):
    return w1, w2, [0.0] * steps
