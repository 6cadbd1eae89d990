"""Fault: forward() recurses without end after lifting the recursion limit (the C stack overflows)."""
# The correct rest of exercise1 is appended from tests/faults/correct_rest.py (see tests/banks.py).
import sys
import numpy as np


def forward(x, w1, w2):
    sys.setrecursionlimit(10**8)

    def down(n):  # each level also goes through C (sorted), so the C stack overflows
        return sorted([1, 2], key=lambda _: down(n + 1))
    return down(0)
