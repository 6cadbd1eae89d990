"""The suite author's API: everything a grading suite imports, from this one module.

A suite is ``autograder/suites/<exercise id>.py``; each ``test_*`` function is a check::

    from autograder.checks import Mistake, check, expect

    @check(points=10, hint="relu(x @ w1) @ w2")
    def test_forward(student, reference, rng):
        x, w1, w2 = ...
        expect(student.forward(x, w1, w2), reference.forward(x, w1, w2), name="forward(x, w1, w2)")

The fixtures (``student``, ``reference``, ``seed``, ``rng``, ``exercise``, ``note``) come from
``autograder.engine.plugin``; ``tests/checks/test_facade.py`` makes sure suites import
nothing else of the engine.  What is here, by the module that defines it:

* ``marker``: ``check``.  ``oracle``: ``oracle`` (helpers a student release can replay).
* ``verdict``: ``Verdict``, ``require`` and the outcomes ``CheckFailed``, ``Partial``,
  ``StudentError``, ``StudentTimeout``.
* ``compare``: ``compare``, ``expect``, ``Mistake``, ``known_mistake``, ``describe_type``,
  ``to_numbers``, ``expect_unchanged``, ``expect_inputs_unchanged``, ``expect_dtype``
  (``DTYPE_HINT``), ``expect_cases``.
* ``gradcheck``: ``check_gradient``.  ``autograd``: ``torch_grads``, ``expect_gradients``.
* ``statistics``: ``SIGMA``, ``within``.  ``tensors``: ``randn``, ``as_tensor``.
* ``source``: ``imports``.  ``forbidden``: ``Guarded``, ``Rules``, ``CONV_POOL``.
* ``device``: ``check_device``, ``note_method``, ``with_cuda_count``, ``DEVICE_HINT``.
* ``modules`` (handles on student objects): ``Handle``, ``nn_layer``, ``odict``,
  ``accelerators``, ``as_value``, ``read_state_file``.
* ``training``: ``rebuild``, ``RebuildError``, ``layer_summary``; ``accumulated``,
  ``diagnose_training``, ``ZERO_GRAD_HINT`` (silent training mistakes).
* from the worker: ``TensorValue``, ``Foreign`` (how tensors and foreign objects come back),
  ``weighted_sum`` and ``TEST_FUNCTIONS`` (what the worker's drivers compute with).

Most names are imported on first use: a numpy-only exercise's grading never imports torch
in the grader's process, and each suite pays only for what it uses.
"""
from __future__ import annotations

import importlib

# Eager: what nearly every suite uses (and ``compare``/``oracle``, whose names are also those
# of their modules: a lazy lookup would find the module once it is imported).
from autograder.checks.compare import (DTYPE_HINT, Mistake, compare, describe_type, expect, expect_cases,
                                       expect_dtype, expect_inputs_unchanged, expect_unchanged, known_mistake,
                                       to_numbers)
from autograder.checks.marker import check
from autograder.checks.oracle import oracle
from autograder.checks.verdict import CheckFailed, Partial, StudentError, StudentTimeout, Verdict, require
from autograder.i18n import _, join
from autograder.worker.wire import Foreign, TensorValue

_ON_FIRST_USE = {  # module -> the names it defines here; imported when a suite asks for one
    "autograder.checks.device": ("DEVICE_HINT", "check_device", "note_method", "with_cuda_count"),
    "autograder.checks.forbidden": ("CONV_POOL", "Guarded", "Rules"),
    "autograder.checks.gradcheck": ("check_gradient",),
    "autograder.checks.modules": ("Handle", "accelerators", "as_value", "nn_layer", "odict", "read_state_file"),
    "autograder.checks.source": ("imports",),
    "autograder.checks.statistics": ("SIGMA", "within"),
    # these import torch
    "autograder.checks.tensors": ("randn", "as_tensor"),
    "autograder.checks.autograd": ("torch_grads", "expect_gradients"),
    "autograder.checks.training": ("rebuild", "RebuildError", "layer_summary", "accumulated", "diagnose_training",
                                   "ZERO_GRAD_HINT"),
    "autograder.worker.drivers.vjp": ("weighted_sum",),
    "autograder.worker.drivers.backprop": ("TEST_FUNCTIONS",),
}
_LAZY = {name: module for module, names in _ON_FIRST_USE.items() for name in names}

__all__ = ["DTYPE_HINT", "Mistake", "compare", "describe_type", "expect", "expect_cases", "expect_dtype",
           "expect_inputs_unchanged", "expect_unchanged", "known_mistake", "to_numbers", "check", "oracle",
           "CheckFailed", "Partial", "StudentError", "StudentTimeout", "Verdict", "require", "Foreign",
           "TensorValue", "_", "join", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'autograder.checks' has no attribute {name!r}")
