"""Fault: forward() starts up to 5,000 sleeping threads (bounded), then hangs."""
import threading
import time
import numpy as np


def forward(x, w1, w2):
    for _ in range(5000):
        try:
            threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        except RuntimeError:
            break
    while True:
        time.sleep(1)


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
