"""Fault: forward() never returns (a busy loop)."""
# The correct rest of exercise1 is appended from tests/faults/correct_rest.py (see tests/banks.py).
import numpy as np


def forward(x, w1, w2):
    while True:
        pass
