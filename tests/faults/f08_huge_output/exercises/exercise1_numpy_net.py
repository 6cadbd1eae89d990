"""Fault: forward() prints 1 GB to stdout/stderr and to the raw file descriptors, then answers."""
# The correct rest of exercise1 is appended from tests/faults/correct_rest.py (see tests/banks.py).
import os
import sys
import numpy as np


def forward(x, w1, w2):
    block = "spam " * 200_000  # 1 MB
    raw = block.encode()
    for _ in range(250):
        print(block)
        print(block, file=sys.stderr)
        os.write(1, raw)
        os.write(2, raw)
    return np.maximum(x @ w1, 0) @ w2
