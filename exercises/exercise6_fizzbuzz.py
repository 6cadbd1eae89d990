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
    raise NotImplementedError("fizz_buzz_encode: write your solution here")


def fizz_buzz_decode(i, prediction):
    """What to say for number ``i`` given the class ``prediction`` (an int 0..3):
    ``str(i)``, ``"fizz"``, ``"buzz"`` or ``"fizzbuzz"``.  Returns a str."""
    raise NotImplementedError("fizz_buzz_decode: write your solution here")


def binary_encode(i, num_digits):
    """The ``num_digits`` binary digits of ``i``, least significant bit first, as a numpy
    integer array: ``binary_encode(6, 4)`` is ``array([0, 1, 1, 0])``."""
    raise NotImplementedError("binary_encode: write your solution here")


def make_training_data(num_digits=NUM_DIGITS):
    """Training set for the numbers 101 <= i < 2**num_digits (never 1..100: those are the
    test set).

    Returns:
        ``(X, y)``: ``X`` a float32 tensor (n, num_digits) of ``binary_encode(i)`` rows and
        ``y`` an int64 (long) tensor (n,) of ``fizz_buzz_encode(i)``, one row per number.
    """
    raise NotImplementedError("make_training_data: write your solution here")


def build_model(num_digits=NUM_DIGITS, num_hidden=NUM_HIDDEN):
    """The notes' network: ``nn.Sequential`` of Linear(num_digits, num_hidden), ReLU and
    Linear(num_hidden, 4), mapping a (batch, num_digits) input to 4 logits (batch, 4).
    Use standard ``torch.nn`` layers only (the grader rebuilds the network from them)."""
    raise NotImplementedError("build_model: write your solution here")


def train(model, X, y):
    """Train a FizzBuzz network on ``(X, y)`` from ``make_training_data`` and return it.

    You choose the recipe (optimizer, learning rate, epochs, batch size) and may return a
    different ``nn.Sequential`` than ``model`` (say a wider one from ``build_model``).  It must
    finish within the training budget (60 s on the grader, see the top of this file); full
    points need 95 % accuracy on 1..100.  Optionally set ``model.losses`` to the list of
    per-epoch losses on the model you return.
    """
    raise NotImplementedError("train: write your solution here")


def predict(model, numbers):
    """Play FizzBuzz with ``model`` on ``numbers`` (a list of ints): encode each number with
    ``binary_encode(i, NUM_DIGITS)``, take the argmax of the model's 4 logits and decode it.

    Returns:
        A list of str, one per number, e.g. ``["1", "2", "fizz", ...]``.
    """
    raise NotImplementedError("predict: write your solution here")
