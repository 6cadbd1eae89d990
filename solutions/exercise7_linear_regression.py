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
    # BEGIN SOLUTION
    X = torch.normal(0.0, 1.0, (num_examples, len(w)), dtype=w.dtype, device=w.device)
    y = torch.matmul(X, w) + b
    y = y + torch.normal(0.0, noise_std, y.shape, dtype=w.dtype, device=w.device)
    return X, y.reshape((-1, 1))
    # END SOLUTION


class MyDataset(data.Dataset):
    """A map-style dataset over two tensors: ``len(ds) == len(x)``, ``ds[i] == (x[i], y[i])``."""

    def __init__(self, x, y):
        # BEGIN SOLUTION
        self.x, self.y = x, y
        # END SOLUTION

    def __len__(self):
        # BEGIN SOLUTION
        return len(self.x)
        # END SOLUTION

    def __getitem__(self, idx):
        # BEGIN SOLUTION
        return self.x[idx], self.y[idx]
        # END SOLUTION


def load_array(data_arrays, batch_size, is_train=True):
    """A ``DataLoader`` over the tensors ``data_arrays`` (e.g. ``(features, labels)``).

    Each epoch visits every example exactly once, in batches of ``batch_size`` (the last
    batch may be smaller; keep it); the order is shuffled when ``is_train`` and kept
    otherwise.
    """
    # BEGIN SOLUTION
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)
    # END SOLUTION


def my_mse(y_hat, y):
    """Mean squared error, as ``nn.MSELoss()``: ``mean((y_hat - y) ** 2)``.

    ``y`` may have shape (n,) while ``y_hat`` has shape (n, 1): reshape ``y`` like ``y_hat``
    first (otherwise broadcasting makes an (n, n) matrix).
    """
    # BEGIN SOLUTION
    return ((y_hat - y.reshape(y_hat.shape)) ** 2).mean()
    # END SOLUTION


def train_linear_regression(features, labels, lr=0.03, epochs=3, batch_size=10):
    """Fit a linear model ``labels ≈ features @ w + b`` with minibatch SGD; return the model.

    The returned ``nn.Module`` maps a batch of shape (n, d) to predictions of shape (n, 1).
    """
    # BEGIN SOLUTION
    net = nn.Sequential(nn.Linear(features.shape[1], 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    loss = nn.MSELoss()
    trainer = torch.optim.SGD(net.parameters(), lr=lr)
    for _ in range(epochs):
        for X, y in load_array((features, labels), batch_size):
            trainer.zero_grad()
            l = loss(net(X), y)
            l.backward()
            trainer.step()
    return net
    # END SOLUTION


def try_gpu(i=0):
    """``torch.device("cuda:i")`` if that GPU exists, else ``torch.device("cpu")``."""
    # BEGIN SOLUTION
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f"cuda:{i}")
    return torch.device("cpu")
    # END SOLUTION


def try_all_gpus():
    """A list of every available GPU as ``torch.device``, or ``[torch.device("cpu")]`` if none."""
    # BEGIN SOLUTION
    devices = [torch.device(f"cuda:{i}") for i in range(torch.cuda.device_count())]
    return devices if devices else [torch.device("cpu")]
    # END SOLUTION


def l2_penalty(w):
    """The L2 penalty ``sum(w ** 2) / 2`` (a scalar tensor; differentiable)."""
    # BEGIN SOLUTION
    return torch.sum(w.pow(2)) / 2
    # END SOLUTION


def dropout_layer(X, p):
    """Dropout: zero each element of X with probability ``p`` and scale the survivors by
    ``1 / (1 - p)``, so the expectation is unchanged.  ``p == 1`` gives all zeros, ``p == 0``
    returns X's values unchanged.  Do not modify X in place."""
    # BEGIN SOLUTION
    assert 0 <= p <= 1
    if p == 1:
        return torch.zeros_like(X)
    if p == 0:
        return X.clone()
    mask = (torch.rand(X.shape, device=X.device) > p).to(X.dtype)
    return mask * X / (1.0 - p)
    # END SOLUTION
