"""Exercise 7 — linear regression: synthetic data, a data pipeline, training, device helpers.

Rules for this file:

* tensor functions return tensors on their input's device and dtype, and never modify
  their inputs;
* use torch's own ``Dataset`` / ``DataLoader`` machinery for the data pipeline.

Check your work with ``grade exercise7``.
"""
import torch
from torch import nn
from torch.utils import data


def synthetic_data(w, b, num_examples, noise_std=0.01):
    """Generate ``y = X w + b + noise``.

    Args:
        w: weight vector, shape (d,).
        b: bias, a number.
        num_examples: n.
        noise_std: standard deviation of the Gaussian noise added to y.

    Returns:
        ``(X, y)``: X of shape (n, d) with standard-normal entries, y of shape (n, 1);
        both on ``w``'s device and with ``w``'s dtype.
    """
    raise NotImplementedError("synthetic_data: write your solution here")


class MyDataset(data.Dataset):
    """A map-style dataset over two tensors: ``len(ds) == len(x)``, ``ds[i] == (x[i], y[i])``."""

    def __init__(self, x, y):
        raise NotImplementedError("__init__: write your solution here")

    def __len__(self):
        raise NotImplementedError("__len__: write your solution here")

    def __getitem__(self, idx):
        raise NotImplementedError("__getitem__: write your solution here")


def load_array(data_arrays, batch_size, is_train=True):
    """A ``DataLoader`` over the tensors ``data_arrays`` (e.g. ``(features, labels)``).

    Each epoch visits every example exactly once, in batches of ``batch_size`` (the last
    batch may be smaller; keep it); the order is shuffled when ``is_train`` and kept
    otherwise.
    """
    raise NotImplementedError("load_array: write your solution here")


def my_mse(y_hat, y):
    """Mean squared error, as ``nn.MSELoss()``: ``mean((y_hat - y) ** 2)``.

    ``y`` may have shape (n,) while ``y_hat`` has shape (n, 1): reshape ``y`` like ``y_hat``
    first (otherwise broadcasting makes an (n, n) matrix).
    """
    raise NotImplementedError("my_mse: write your solution here")


def train_linear_regression(features, labels, lr=0.03, epochs=3, batch_size=10):
    """Fit a linear model ``labels ≈ features @ w + b`` with minibatch SGD; return the model.

    The returned ``nn.Module`` maps a batch of shape (n, d) to predictions of shape (n, 1).
    """
    raise NotImplementedError("train_linear_regression: write your solution here")


def try_gpu(i=0):
    """``torch.device("cuda:i")`` if that GPU exists, else ``torch.device("cpu")``."""
    raise NotImplementedError("try_gpu: write your solution here")


def try_all_gpus():
    """A list of every available GPU as ``torch.device``, or ``[torch.device("cpu")]`` if none."""
    raise NotImplementedError("try_all_gpus: write your solution here")


def l2_penalty(w):
    """The L2 penalty ``sum(w ** 2) / 2`` (a scalar tensor; differentiable)."""
    raise NotImplementedError("l2_penalty: write your solution here")


def dropout_layer(X, p):
    """Dropout: zero each element of X with probability ``p`` and scale the survivors by
    ``1 / (1 - p)``, so the expectation is unchanged.  ``p == 1`` gives all zeros, ``p == 0``
    returns X's values unchanged.  Do not modify X in place."""
    raise NotImplementedError("dropout_layer: write your solution here")
