"""Fault: forward() starts up to 5,000 sleeping threads (bounded), then hangs."""
# The correct rest of exercise1 is appended from tests/faults/correct_rest.py (see tests/banks.py).
import threading
import time
import numpy as np


def forward(x, w1, w2):
    for _ in range(5000):
        try:
            threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        except RuntimeError:
            break
    while True:
        time.sleep(1)
