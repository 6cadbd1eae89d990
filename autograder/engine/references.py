"""Where a check's expected values come from, loaded once per process (``Kit.references``).

* the instructor's kit: the reference solution itself, trusted code imported here;
* a student release: the values recorded from it (``autograder.engine.replay``).
"""
from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from autograder.engine.replay import Replayer, load_replay


@functools.cache
def load_solution(path: Path, module: str) -> ModuleType:
    name = f"_torchgrade_reference_{module}"
    spec = importlib.util.spec_from_file_location(name, path)
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded  # classes and dataclasses in a solution look themselves up here
    spec.loader.exec_module(loaded)
    return loaded


@functools.cache
def load_recorded(path: Path) -> Replayer:
    return load_replay(path)
