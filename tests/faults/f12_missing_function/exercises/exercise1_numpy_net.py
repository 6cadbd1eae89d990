"""Fault: backward() is missing."""
import numpy as np


def forward(x, w1, w2):
    return np.maximum(x @ w1, 0) @ w2


def loss(y_pred, y):
    return float(((y_pred - y) ** 2).sum())


def sgd_update(w1, w2, grad_w1, grad_w2, lr):
    return w1 - lr * grad_w1, w2 - lr * grad_w2


def train(x, y, w1, w2, learning_rate=1e-6, steps=500):
    losses = []
    for _ in range(steps):
        losses.append(loss(forward(x, w1, w2), y))
        grad_w1, grad_w2 = backward(x, y, w1, w2)
        w1, w2 = sgd_update(w1, w2, grad_w1, grad_w2, learning_rate)
    return w1, w2, losses
