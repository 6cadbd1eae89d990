"""Fault: forward() sleeps far past any timeout."""
# The correct rest of exercise1 is appended from tests/faults/correct_rest.py (see tests/banks.py).
import time
import numpy as np


def forward(x, w1, w2):
    time.sleep(3600)
    return np.maximum(x @ w1, 0) @ w2
