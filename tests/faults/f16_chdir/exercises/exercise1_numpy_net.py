"""Fault: the module changes the working directory at import and in every call."""
# The correct rest of exercise1 is appended from tests/faults/correct_rest.py (see tests/banks.py).
import os
import tempfile
import numpy as np

os.chdir(tempfile.gettempdir())


def forward(x, w1, w2):
    os.chdir("/")
    return np.maximum(x @ w1, 0) @ w2
