"""Fault: forward() writes a 300 MB file where it runs (past the file-size limit)."""
# The correct rest of exercise1 is appended from tests/faults/correct_rest.py (see tests/banks.py).
import numpy as np


def forward(x, w1, w2):
    block = b"\0" * 2**20
    with open("huge.bin", "wb") as f:
        for _ in range(300):
            f.write(block)
    return np.maximum(x @ w1, 0) @ w2
