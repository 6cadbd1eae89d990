"""torchgrade: grade PyTorch/numpy exercises against references, safely and fast.

Notebook use::

    import autograder
    autograder.check("exercise1")          # a table of the checks, in the notebook's folder
    result = autograder.grade("exercise1", submission="path/to/repo")   # the canonical dict

Attributes are imported on first use: a worker imports this package only to reach
``autograder.worker``, and must load nothing else of the grader.
"""
from __future__ import annotations

__all__ = ["grade", "check", "list_exercises", "generate_stubs", "Kit"]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in ("grade", "list_exercises"):
        from autograder import api
        return getattr(api, name)
    if name == "check":
        from autograder.notebook import check
        return check
    if name == "Kit":
        from autograder.kit import Kit
        return Kit
    if name == "generate_stubs":
        from autograder.release.stubgen import generate_stubs
        return generate_stubs
    raise AttributeError(f"module 'autograder' has no attribute {name!r}")
