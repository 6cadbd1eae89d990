"""Fault: imports a module that does not exist."""
# The correct rest of exercise1 is appended from tests/faults/correct_rest.py (see tests/banks.py).
import numpy as np
import numpy_extras_that_do_not_exist  # noqa: F401

def forward(x, w1, w2):
    return np.maximum(x @ w1, 0) @ w2
