"""Fault: forward() forks up to 5,000 processes that sleep (bounded), then hangs."""
# The correct rest of exercise1 is appended from tests/faults/correct_rest.py (see tests/banks.py).
import os
import time
import numpy as np


def forward(x, w1, w2):
    for _ in range(5000):
        try:
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
        except OSError:
            break
    while True:
        time.sleep(1)
