"""Fault: forward() leaves background processes behind (one setsid'd, one double-forked daemon)."""
# The correct rest of exercise1 is appended from tests/faults/correct_rest.py (see tests/banks.py).
import os
import subprocess
import sys
import numpy as np


def forward(x, w1, w2):
    marker = "torchgrade-fault-background"
    code = "import time; time.sleep(120)"
    subprocess.Popen([sys.executable, "-c", code, marker], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if os.fork() == 0:  # the classic daemon: fork, setsid, fork, exec
        try:
            os.setsid()
            if os.fork() == 0:
                os.execv(sys.executable, [sys.executable, "-c", code, marker + "-daemon"])
        finally:
            os._exit(0)
    return np.maximum(x @ w1, 0) @ w2
