"""The exercises, each declared once.

``exercise1`` names the stub ``exercises/exercise1_numpy_net.py``, the reference
``solutions/exercise1_numpy_net.py``, the suite ``autograder/suites/exercise1.py`` and the
CLI argument; everything else (paths, aliases, points) is derived from this table by
``autograder.kit.Kit``, which also knows which of these exercises a student release holds.
Nothing here reads the filesystem.
"""
from __future__ import annotations

import dataclasses

from autograder.i18n import _


@dataclasses.dataclass(frozen=True)
class Exercise:
    id: str  # "exercise1": the one key
    module: str  # "exercise1_numpy_net": stub and solution module name
    title: str  # a Text (autograder.i18n): said in the student's language
    preload: tuple[str, ...] = ("numpy", "torch")  # what the worker's zygote imports
    max_score: int = 100
    call_timeout: float = 10.0  # seconds per call into student code, unless a check says otherwise
    budget_s: float | None = None  # wall-clock training budget, for exercises that train a model
    accelerator: bool = False  # some checks use CUDA where there is one (a fake device elsewhere)

    @property
    def topic(self) -> str:
        return self.module.split("_", 1)[1]

    @property
    def number(self) -> str:
        return self.id.removeprefix("exercise")

    def named(self, name: str) -> bool:
        """Whether ``name`` is this exercise's id (``exercise1``), number, topic or module."""
        return name in (self.id, self.number, self.topic, self.module)


EXERCISES: tuple[Exercise, ...] = (
    Exercise("exercise0", "exercise0_warmup", _("Warm-up: losses, activations, softmax"), accelerator=True),
    # numpy only: the worker must not import torch, both for speed and so that
    # "torch used instead of numpy" is visible in what the student's import loaded.
    Exercise("exercise1", "exercise1_numpy_net", _("Two-layer network in numpy"), preload=("numpy",)),
    Exercise("exercise2", "exercise2_manual_backprop", _("Manual backprop, numerical gradients, autograd"),
             accelerator=True),
    Exercise("exercise3", "exercise3_custom_layers", _("Custom layers, parameters, save/load"), accelerator=True),
    Exercise("exercise4", "exercise4_corr2d", _("Cross-correlation and convolution"), accelerator=True),
    Exercise("exercise5", "exercise5_pool2d", _("Pooling"), accelerator=True),
    Exercise("exercise6", "exercise6_fizzbuzz", _("FizzBuzz trainer"), budget_s=60.0),
    Exercise("exercise7", "exercise7_linear_regression", _("Linear regression, data pipeline, device helpers"),
             accelerator=True),
)
