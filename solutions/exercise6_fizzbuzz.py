"""Exercise 6 — FizzBuzz, learned by a neural network.

The notes' homework: teach a network to play FizzBuzz.  Each number ``i`` is fed to the
network as its binary digits (least significant bit first) and the network picks one of
four classes::

    0: the number itself    1: "fizz" (divisible by 3)
    2: "buzz" (by 5)        3: "fizzbuzz" (by 15)

It learns from the numbers 101 .. 2**num_digits - 1 and is then asked to play on 1..100,
numbers it has never seen.  Training on 1..100 would be a data leak and is graded as one.

How ``train`` is graded:

* the grader calls ``build_model()``, ``make_training_data()`` and ``train(model, X, y)``
  itself, with a fixed seed, one CPU thread and deterministic algorithms;
* the whole call (building, data and training) has a **wall-clock budget of 60 s** on the
  grading machine; a trainer that runs over it fails the training check (the others still
  count).  Aim for well under it: your laptop may be faster than the grader;
* ``train`` returns an ``nn.Sequential`` of standard ``torch.nn`` layers (Linear, ReLU,
  LeakyReLU, Tanh, Sigmoid, GELU, Dropout, BatchNorm1d, ...); it may be a different (e.g.
  wider) one than it was given.  The grader rebuilds that network from its weights and
  measures the accuracy on 1..100 itself, so a custom ``forward`` is never what is graded;
* points scale with that accuracy: **none at or below 60 %** (always answering the number
  itself already gets 53 %), **full points at 95 % or more**, linear in between;
* optional: store the average loss of each epoch as ``model.losses`` (a list of floats) on
  the model you return, and the grader draws your loss curve.

The notes' recipe (SGD, lr 0.05, 100 hidden units, batches of 128) needs about 10,000
epochs (~45 s on the grader) to generalise; Adam with a wider hidden layer (512-1024 units)
gets there in a few hundred epochs.

Check your work with ``grade exercise6``.
"""
import numpy as np
import torch
from torch import nn

NUM_DIGITS = 10
NUM_HIDDEN = 100


def fizz_buzz_encode(i):
    """The class of ``i``: 0 for a plain number, 1 fizz (i % 3 == 0), 2 buzz (i % 5 == 0),
    3 fizzbuzz (i % 15 == 0).  Returns a Python int."""
    # BEGIN SOLUTION
    if i % 15 == 0:
        return 3
    if i % 5 == 0:
        return 2
    if i % 3 == 0:
        return 1
    return 0
    # END SOLUTION


def fizz_buzz_decode(i, prediction):
    """What to say for number ``i`` given the class ``prediction`` (an int 0..3):
    ``str(i)``, ``"fizz"``, ``"buzz"`` or ``"fizzbuzz"``.  Returns a str."""
    # BEGIN SOLUTION
    return [str(i), "fizz", "buzz", "fizzbuzz"][int(prediction)]
    # END SOLUTION


def binary_encode(i, num_digits):
    """The ``num_digits`` binary digits of ``i``, least significant bit first, as a numpy
    integer array: ``binary_encode(6, 4)`` is ``array([0, 1, 1, 0])``."""
    # BEGIN SOLUTION
    return np.array([i >> d & 1 for d in range(num_digits)])
    # END SOLUTION


def make_training_data(num_digits=NUM_DIGITS):
    """Training set for the numbers 101 <= i < 2**num_digits (never 1..100: those are the
    test set).

    Returns:
        ``(X, y)``: ``X`` a float32 tensor (n, num_digits) of ``binary_encode(i)`` rows and
        ``y`` an int64 (long) tensor (n,) of ``fizz_buzz_encode(i)``, one row per number.
    """
    # BEGIN SOLUTION
    numbers = range(101, 2 ** num_digits)
    X = torch.tensor(np.array([binary_encode(i, num_digits) for i in numbers]), dtype=torch.float32)
    y = torch.tensor([fizz_buzz_encode(i) for i in numbers], dtype=torch.long)
    return X, y
    # END SOLUTION


def build_model(num_digits=NUM_DIGITS, num_hidden=NUM_HIDDEN):
    """The notes' network: ``nn.Sequential`` of Linear(num_digits, num_hidden), ReLU and
    Linear(num_hidden, 4), mapping a (batch, num_digits) input to 4 logits (batch, 4).
    Use standard ``torch.nn`` layers only (the grader rebuilds the network from them)."""
    # BEGIN SOLUTION
    return nn.Sequential(
        nn.Linear(num_digits, num_hidden),
        nn.ReLU(),
        nn.Linear(num_hidden, 4),
    )
    # END SOLUTION


def train(model, X, y):
    """Train a FizzBuzz network on ``(X, y)`` from ``make_training_data`` and return it.

    You choose the recipe (optimizer, learning rate, epochs, batch size) and may return a
    different ``nn.Sequential`` than ``model`` (say a wider one from ``build_model``).  It must
    finish within the training budget (60 s on the grader, see the top of this file); full
    points need 95 % accuracy on 1..100.  Optionally set ``model.losses`` to the list of
    per-epoch losses on the model you return.
    """
    # BEGIN SOLUTION
    # 100 hidden units generalise to only 85-93 % with Adam; 1024 reach >= 97 % in 300
    # epochs (about 5 s with one thread), well inside the budget.
    model = build_model(X.shape[1], num_hidden=1024)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    batch_size, epochs = 128, 300
    losses = []
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(X))
        total = 0.0
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(X[batch]), y[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        losses.append(total / len(X))
    model.losses = losses
    return model
    # END SOLUTION


def predict(model, numbers):
    """Play FizzBuzz with ``model`` on ``numbers`` (a list of ints): encode each number with
    ``binary_encode(i, NUM_DIGITS)``, take the argmax of the model's 4 logits and decode it.

    Returns:
        A list of str, one per number, e.g. ``["1", "2", "fizz", ...]``.
    """
    # BEGIN SOLUTION
    X = torch.tensor(np.array([binary_encode(i, NUM_DIGITS) for i in numbers]), dtype=torch.float32)
    model.eval()
    with torch.no_grad():
        classes = model(X).argmax(dim=1).tolist()
    return [fizz_buzz_decode(i, c) for i, c in zip(numbers, classes)]
    # END SOLUTION
