"""The correct loss, backward, sgd_update and train of exercise1.

Every fault of the bank is in forward(); tests/banks.py appends this file to each fault
marked for it, so that the rest of the exercise is graded (and must still pass).
"""
import numpy as np


def loss(y_pred, y):
    return float(((y_pred - y) ** 2).sum())


def backward(x, y, w1, w2):
    h = x @ w1
    h_relu = np.maximum(h, 0)
    grad_y_pred = 2.0 * (h_relu @ w2 - y)
    grad_w2 = h_relu.T @ grad_y_pred
    grad_h = grad_y_pred @ w2.T
    grad_h[h < 0] = 0
    return x.T @ grad_h, grad_w2


def sgd_update(w1, w2, grad_w1, grad_w2, lr):
    return w1 - lr * grad_w1, w2 - lr * grad_w2


def train(x, y, w1, w2, learning_rate=1e-6, steps=500):
    losses = []
    for _ in range(steps):
        losses.append(loss(forward(x, w1, w2), y))
        grad_w1, grad_w2 = backward(x, y, w1, w2)
        w1, w2 = sgd_update(w1, w2, grad_w1, grad_w2, learning_rate)
    return w1, w2, losses
