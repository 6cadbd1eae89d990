"""Load the reference solutions (trusted code) into the parent, once per exercise."""
from __future__ import annotations

import functools
import importlib.util
import sys
from types import ModuleType

from autograder.registry import Exercise


class MissingReference(RuntimeError):
    pass


@functools.cache
def load_reference(exercise: Exercise) -> ModuleType:
    path = exercise.solution_path
    if not path.is_file():
        raise MissingReference(f"the reference solution {path} is missing: grading {exercise.id} "
                               "needs the kit's solutions/ folder")
    name = f"_torchgrade_reference_{exercise.module}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # classes and dataclasses in a solution look themselves up here
    spec.loader.exec_module(module)
    return module
