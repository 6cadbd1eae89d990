"""Fault: forward() allocates 50 GiB in one go (bounded: a single allocation)."""
# The correct rest of exercise1 is appended from tests/faults/correct_rest.py (see tests/banks.py).
import numpy as np


def forward(x, w1, w2):
    hoard = np.ones(50 * 2**30 // 8)
    return np.maximum(x @ w1, 0) @ w2 + hoard[0] * 0
