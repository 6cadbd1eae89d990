"""Fault: forward() reads from a null-ish pointer through ctypes (a segmentation fault)."""
# The correct rest of exercise1 is appended from tests/faults/correct_rest.py (see tests/banks.py).
import ctypes
import numpy as np


def forward(x, w1, w2):
    return ctypes.c_char.from_address(8).value  # a read at address 8: SIGSEGV
