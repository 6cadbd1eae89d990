"""Exercise 3 — custom layers, parameters, initialisation, sharing, saving and loading.

You write ``nn.Module`` subclasses and small helpers around them.  The grader builds your
modules, loads weights of its own into them, runs them on its inputs and backpropagates its
own gradients through them, so:

* register every parameter (``nn.Parameter`` attributes), every sub-module (attributes,
  ``add_module``) and every constant tensor that must follow ``.to()`` (``register_buffer``);
* never use ``.data`` (or ``.detach()``) in ``forward``: it cuts the graph;
* outputs must be on the input's device and dtype.

Check your work with ``grade exercise3``.
"""
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn


class CenteredLayer(nn.Module):
    """A layer without parameters that subtracts the mean of its whole input: ``X - X.mean()``.

    Works for floating-point inputs of any shape; the output has the input's shape, dtype and
    device, and its mean is zero.
    """

    def forward(self, X):
        # BEGIN SOLUTION
        return X - X.mean()
        # END SOLUTION


class MyLinear(nn.Module):
    """A fully connected layer followed by a ReLU: ``relu(X @ weight + bias)``.

    Parameters (registered, so that ``parameters()``, ``state_dict()`` and optimizers see
    them): ``weight`` of shape (in_units, units) and ``bias`` of shape (units,), both drawn
    from a standard normal distribution.  Gradients of the output must reach both.
    """

    def __init__(self, in_units, units):
        super().__init__()
        # BEGIN SOLUTION
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units))
        # END SOLUTION

    def forward(self, X):
        # BEGIN SOLUTION
        linear = torch.matmul(X, self.weight) + self.bias
        return F.relu(linear)
        # END SOLUTION


class MySequential(nn.Module):
    """Your own ``nn.Sequential``: runs its modules in order.

    ``MySequential(m1, m2, ...)`` registers the modules as children named "0", "1", ...;
    ``MySequential(OrderedDict([("fc1", m1), ("act", m2)]))`` registers them under the given
    names.  Registered children make ``parameters()``, ``state_dict()`` (keys like
    ``"0.weight"``) and ``.to()`` work as for ``nn.Sequential``.
    """

    def __init__(self, *args):
        super().__init__()
        # BEGIN SOLUTION
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for idx, module in enumerate(args):
                self.add_module(str(idx), module)
        # END SOLUTION

    def forward(self, X):
        # BEGIN SOLUTION
        for block in self._modules.values():
            X = block(X)
        return X
        # END SOLUTION


class FixedHiddenMLP(nn.Module):
    """An MLP with a constant (not trained) weight, a reused layer and Python control flow.

    * ``rand_weight``: a constant 20×20 tensor, uniform on [0, 1), that is *not* a parameter
      (optimizers must not change it) but follows ``.to(device)`` / ``.double()``;
    * ``linear``: ``nn.Linear(20, 20)``, used twice.

    forward(X), X of shape (n, 20)::

        X = linear(X)
        X = relu(X @ rand_weight + 1)
        X = linear(X)          # the same layer again: its parameters are shared
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()         # a scalar
    """

    def __init__(self):
        super().__init__()
        # BEGIN SOLUTION
        self.register_buffer("rand_weight", torch.rand((20, 20)))
        self.linear = nn.Linear(20, 20)
        # END SOLUTION

    def forward(self, X):
        # BEGIN SOLUTION
        X = self.linear(X)
        X = F.relu(torch.mm(X, self.rand_weight) + 1)
        X = self.linear(X)
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()
        # END SOLUTION


class NestMLP(nn.Module):
    """Modules inside modules.

    * ``net``: ``nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())``;
    * ``linear``: ``nn.Linear(32, 16)``.

    forward(X) = ``linear(net(X))``; state_dict keys ``net.0.weight``, ..., ``linear.bias``.
    """

    def __init__(self):
        super().__init__()
        # BEGIN SOLUTION
        self.net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
        self.linear = nn.Linear(32, 16)
        # END SOLUTION

    def forward(self, X):
        # BEGIN SOLUTION
        return self.linear(self.net(X))
        # END SOLUTION


class ParamDictNet(nn.Module):
    """Parameters kept in an ``nn.ParameterDict`` (a plain ``dict`` would not register them).

    The dict holds ``linear1`` (4×4), ``linear2`` (4×1) and ``linear3`` (4×2), standard
    normal.  forward(x, choice="linear1") = ``x @ params[choice]``.
    """

    def __init__(self):
        super().__init__()
        # BEGIN SOLUTION
        self.params = nn.ParameterDict({
            "linear1": nn.Parameter(torch.randn(4, 4)),
            "linear2": nn.Parameter(torch.randn(4, 1)),
            "linear3": nn.Parameter(torch.randn(4, 2)),
        })
        # END SOLUTION

    def forward(self, x, choice="linear1"):
        # BEGIN SOLUTION
        return torch.mm(x, self.params[choice])
        # END SOLUTION


# ---------------------------------------------------------------- initialisation
# Each function is meant for ``net.apply(fn)``: it is called on every module of the net and
# must change nn.Linear modules only (leave every other module alone).

def init_normal(m):
    """nn.Linear: weight ~ N(0, 0.01²), bias = 0."""
    # BEGIN SOLUTION
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, mean=0.0, std=0.01)
        nn.init.zeros_(m.bias)
    # END SOLUTION


def init_constant(m):
    """nn.Linear: weight = 1, bias = 0."""
    # BEGIN SOLUTION
    if type(m) == nn.Linear:
        nn.init.constant_(m.weight, 1)
        nn.init.zeros_(m.bias)
    # END SOLUTION


def init_xavier(m):
    """nn.Linear: weight ~ Xavier uniform (``nn.init.xavier_uniform_``); bias unchanged."""
    # BEGIN SOLUTION
    if type(m) == nn.Linear:
        nn.init.xavier_uniform_(m.weight)
    # END SOLUTION


def init_42(m):
    """nn.Linear: weight = 42; bias unchanged."""
    # BEGIN SOLUTION
    if type(m) == nn.Linear:
        nn.init.constant_(m.weight, 42)
    # END SOLUTION


def my_init(m):
    """nn.Linear: weight ~ uniform(-10, 10), then set to zero where |weight| < 5; bias unchanged."""
    # BEGIN SOLUTION
    if type(m) == nn.Linear:
        with torch.no_grad():
            nn.init.uniform_(m.weight, -10, 10)
            m.weight *= m.weight.abs() >= 5
    # END SOLUTION


# ---------------------------------------------------------------- sharing, saving, loading

def make_tied_net():
    """``nn.Sequential(Linear(4, 8), ReLU(), shared, ReLU(), shared, ReLU(), Linear(8, 1))``
    where ``shared`` is one ``nn.Linear(8, 8)`` used twice (the same object, so its
    parameters are tied and their gradient is the sum over both uses)."""
    # BEGIN SOLUTION
    shared = nn.Linear(8, 8)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(8, 1))
    # END SOLUTION


def save_params(net, path):
    """Save the parameters (and buffers) of ``net`` to the file ``path``: its state_dict, so
    that ``torch.load(path, weights_only=True)`` can read it (never pickle the module)."""
    # BEGIN SOLUTION
    torch.save(net.state_dict(), path)
    # END SOLUTION


def load_params(net, path):
    """Load the file written by ``save_params`` into ``net`` (same architecture), in place.

    Return ``net`` itself, or nothing: what is graded is that ``net`` now holds the saved
    parameters and buffers.  Returning another module is wrong (the caller keeps ``net``)."""
    # BEGIN SOLUTION
    net.load_state_dict(torch.load(path, weights_only=True))
    return net
    # END SOLUTION
