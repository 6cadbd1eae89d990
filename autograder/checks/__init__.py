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
* ``device``: ``check_device``, ``note_method``, ``DEVICE_HINT``.
* ``modules`` (handles on student objects): ``Handle``, ``nn_layer``, ``odict``,
  ``accelerators``, ``as_value``, ``read_state_file``.
* ``training``: ``rebuild``, ``RebuildError``, ``layer_summary``.
* from the worker: ``TensorValue``, ``Foreign`` (how tensors and foreign objects come back),
  ``weighted_sum`` and ``TEST_FUNCTIONS`` (what the worker's drivers compute with).

Names whose module imports torch are imported on first use, so that a numpy-only
exercise's grading never imports torch in the grader's process.
"""
from __future__ import annotations

import importlib

from autograder.checks.compare import (DTYPE_HINT, Mistake, compare, describe_type, expect, expect_cases,
                                       expect_dtype, expect_inputs_unchanged, expect_unchanged, known_mistake,
                                       to_numbers)
from autograder.checks.device import DEVICE_HINT, check_device, note_method
from autograder.checks.forbidden import CONV_POOL, Guarded, Rules
from autograder.checks.gradcheck import check_gradient
from autograder.checks.marker import check
from autograder.checks.modules import Handle, accelerators, as_value, nn_layer, odict, read_state_file
from autograder.checks.oracle import oracle
from autograder.checks.source import imports
from autograder.checks.statistics import SIGMA, within
from autograder.checks.verdict import CheckFailed, Partial, StudentError, StudentTimeout, Verdict, require
from autograder.worker.wire import Foreign, TensorValue

_WITH_TORCH = {  # name -> the module that defines it (imported on first use)
    "randn": "autograder.checks.tensors", "as_tensor": "autograder.checks.tensors",
    "torch_grads": "autograder.checks.autograd", "expect_gradients": "autograder.checks.autograd",
    "rebuild": "autograder.checks.training", "RebuildError": "autograder.checks.training",
    "layer_summary": "autograder.checks.training",
    "weighted_sum": "autograder.worker.drivers.vjp", "TEST_FUNCTIONS": "autograder.worker.drivers.backprop",
}

__all__ = ["DTYPE_HINT", "Mistake", "compare", "describe_type", "expect", "expect_cases", "expect_dtype",
           "expect_inputs_unchanged", "expect_unchanged", "known_mistake", "to_numbers", "DEVICE_HINT",
           "check_device", "note_method", "CONV_POOL", "Guarded", "Rules", "check_gradient", "check", "Handle",
           "accelerators", "as_value", "nn_layer", "odict", "read_state_file", "oracle", "imports", "SIGMA",
           "within", "CheckFailed", "Partial", "StudentError", "StudentTimeout", "Verdict", "require", "Foreign",
           "TensorValue", *_WITH_TORCH]


def __getattr__(name: str):
    if name in _WITH_TORCH:
        return getattr(importlib.import_module(_WITH_TORCH[name]), name)
    raise AttributeError(f"module 'autograder.checks' has no attribute {name!r}")
