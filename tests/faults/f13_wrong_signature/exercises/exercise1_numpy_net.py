"""Fault: forward() takes the wrong parameters."""
# The correct rest of exercise1 is appended from tests/faults/correct_rest.py (see tests/banks.py).
import numpy as np


def forward(x, w1):
    return np.maximum(x @ w1, 0)
