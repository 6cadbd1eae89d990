"""The exercises, each declared once.

``exercise1`` names the stub ``exercises/exercise1_numpy_net.py``, the reference
``solutions/exercise1_numpy_net.py``, the suite ``autograder/suites/exercise1.py`` and the
CLI argument; everything else (paths, aliases, points) is derived from this table.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
KIT_ROOT = PACKAGE_DIR.parent
SUITES_DIR = PACKAGE_DIR / "suites"
SOLUTIONS_DIR = KIT_ROOT / "solutions"
STUBS_DIR = KIT_ROOT / "exercises"


@dataclasses.dataclass(frozen=True)
class Exercise:
    id: str  # "exercise1": the one key
    module: str  # "exercise1_numpy_net": stub and solution module name
    title: str
    preload: tuple[str, ...] = ("numpy", "torch")  # what the worker's zygote imports
    max_score: int = 100
    call_timeout: float = 10.0  # seconds per call into student code, unless a check says otherwise
    budget_s: float | None = None  # wall-clock training budget, for exercises that train a model

    @property
    def topic(self) -> str:
        return self.module.split("_", 1)[1]

    @property
    def number(self) -> str:
        return self.id.removeprefix("exercise")

    @property
    def suite_path(self) -> Path:
        return SUITES_DIR / f"{self.id}.py"

    @property
    def solution_path(self) -> Path:
        return SOLUTIONS_DIR / f"{self.module}.py"

    @property
    def stub_path(self) -> Path:
        return STUBS_DIR / f"{self.module}.py"


EXERCISES: tuple[Exercise, ...] = (
    # numpy only: the worker must not import torch, both for speed and so that
    # "torch used instead of numpy" is visible in what the student's import loaded.
    Exercise("exercise0", "exercise0_warmup", "Warm-up: losses, activations, softmax"),
    Exercise("exercise1", "exercise1_numpy_net", "Two-layer network in numpy", preload=("numpy",)),
    Exercise("exercise2", "exercise2_manual_backprop", "Manual backprop, numerical gradients, autograd"),
    Exercise("exercise3", "exercise3_custom_layers", "Custom layers, parameters, save/load"),
    Exercise("exercise4", "exercise4_corr2d", "Cross-correlation and convolution"),
    Exercise("exercise5", "exercise5_pool2d", "Pooling"),
    Exercise("exercise6", "exercise6_fizzbuzz", "FizzBuzz trainer", budget_s=60.0),
    Exercise("exercise7", "exercise7_linear_regression", "Linear regression, data pipeline, device helpers"),
)


# A student release (``grade release``) ships this manifest: only the exercises it names
# exist there, and it says how many hidden checks each one has (they run at final grading).
RELEASE_MANIFEST = PACKAGE_DIR / "recorded" / "manifest.json"


def _release_manifest() -> dict | None:
    if not RELEASE_MANIFEST.is_file():
        return None
    import json
    return json.loads(RELEASE_MANIFEST.read_text(encoding="utf-8"))


RELEASE: dict | None = _release_manifest()
if RELEASE is not None:
    _released = {entry["id"] for entry in RELEASE["exercises"]}
    EXERCISES = tuple(ex for ex in EXERCISES if ex.id in _released)


def hidden_checks(exercise_id: str) -> dict | None:
    """In a student release, ``{"checks": n, "points": p}`` of the exercise's hidden checks."""
    for entry in (RELEASE or {}).get("exercises", ()):
        if entry["id"] == exercise_id:
            return {"checks": entry["hidden_checks"], "points": entry["hidden_points"]}
    return None


class UnknownExercise(KeyError):
    def __str__(self) -> str:
        return self.args[0]


def find(name: str) -> Exercise:
    """Look an exercise up by id (``exercise1``), number (``1``), topic or module name."""
    for ex in EXERCISES:
        if name in (ex.id, ex.number, ex.topic, ex.module):
            return ex
    known = ", ".join(ex.id for ex in EXERCISES)
    raise UnknownExercise(f"unknown exercise {name!r}; known: {known} (or 'all')")
