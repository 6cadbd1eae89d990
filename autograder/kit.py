"""The kit: which exercises exist, where their suites and expected values come from, and
which version of all of it is grading.

``Kit.installed()`` is the kit this package belongs to, read on first use (never at
import time).  It is either the instructor's kit, whose expected values come from the
reference solutions in ``solutions/``, or a student release (``grade release``), whose
manifest ``autograder/recorded/manifest.json`` names the released exercises and their
hidden checks, and whose expected values are recorded (``autograder.engine.replay``).
Everything that grades takes a ``Kit`` (``api.grade(..., kit=...)``, defaulting to the
installed one); tests build their own (``kit.with_exercise(...)``) instead of patching
module state.

``kit.version(exercise)`` hashes what decides that exercise's verdicts: the engine, the
exercise's suite, its solution (or recorded values) and the Python/torch/numpy versions.
The batch grade-book keys results on it, so editing one suite regrades one exercise.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from autograder.i18n import _
from autograder.registry import EXERCISES, Exercise

PACKAGE_DIR = Path(__file__).resolve().parent
MANIFEST = Path("recorded") / "manifest.json"  # in the package: present only in a student release
MANIFEST_FORMAT = "torchgrade-release/1"
PUBLIC_SEED = 0  # the visible checks' seed in the kit and in a student release
# What of the package decides a verdict, for the version hash (not: rendering, the CLI, release).
VERDICT_CODE = ("__init__.py", "api.py", "kit.py", "registry.py", "engine", "checks", "sandbox", "worker")
VERDICT_DISTRIBUTIONS = ("torch", "numpy", "pytest", "pytest-json-report")


class UnknownExercise(KeyError):
    def __str__(self) -> str:
        return self.args[0]


class MissingReference(RuntimeError):
    """A reference solution that this kit does not have."""


@dataclasses.dataclass(frozen=True)
class Kit:
    exercises: tuple[Exercise, ...]
    package_dir: Path = PACKAGE_DIR
    root: Path = PACKAGE_DIR.parent  # the checkout: solutions/, exercises/, classroom.yml
    manifest: Mapping[str, Any] | None = None  # a student release's manifest

    @classmethod
    def load(cls, package_dir: Path = PACKAGE_DIR) -> "Kit":
        """The kit of the package at ``package_dir`` (a student release if it has a manifest)."""
        path = package_dir / MANIFEST
        manifest = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
        exercises = EXERCISES
        if manifest is not None:
            released = {entry["id"] for entry in manifest["exercises"]}
            exercises = tuple(ex for ex in EXERCISES if ex.id in released)
        return cls(exercises, package_dir, package_dir.parent, manifest)

    @staticmethod
    def installed() -> "Kit":
        """The kit of this installed package, read once."""
        return _installed()

    # -- what it holds ------------------------------------------------------------
    @property
    def is_release(self) -> bool:
        """A student release: recorded expected values, no solutions, no hidden checks."""
        return self.manifest is not None

    @property
    def seed(self) -> int:
        """The seed grading uses unless told otherwise: the public seed, or the seed a platform
        package (``grade package``) recorded its expected values at."""
        return int((self.manifest or {}).get("seed", PUBLIC_SEED))

    @property
    def lang(self) -> str:
        """The language grading speaks unless told otherwise: English, or the language a
        platform package was built with (``grade package --lang``)."""
        return (self.manifest or {}).get("lang", "en")

    @property
    def suites_dir(self) -> Path:
        return self.package_dir / "suites"

    @property
    def solutions_dir(self) -> Path:
        return self.root / "solutions"

    @property
    def stubs_dir(self) -> Path:
        return self.root / "exercises"

    def find(self, name: str) -> Exercise:
        """An exercise by id (``exercise1``), number (``1``), topic or module name."""
        for ex in self.exercises:
            if ex.named(name):
                return ex
        known = ", ".join(ex.id for ex in self.exercises)
        raise UnknownExercise(_("unknown exercise {name!r}; known: {known} (or 'all')", name=name, known=known))

    def resolve(self, names: Sequence[str] | str) -> list[Exercise]:
        """Exercises by name, in the order given, or all of them for ``"all"``."""
        names = [names] if isinstance(names, str) else list(names)
        if names == ["all"]:
            return list(self.exercises)
        return [self.find(name) for name in names]

    def suite_path(self, exercise: Exercise) -> Path:
        return self.suites_dir / f"{exercise.id}.py"

    def solution_path(self, exercise: Exercise) -> Path:
        return self.solutions_dir / f"{exercise.module}.py"

    def stub_path(self, exercise: Exercise) -> Path:
        return self.stubs_dir / f"{exercise.module}.py"

    def recorded_path(self, exercise: Exercise) -> Path:
        return self.package_dir / "recorded" / f"{exercise.id}.wire"

    def hidden_checks(self, exercise_id: str) -> dict | None:
        """In a student release, ``{"checks": n, "points": p}`` of the exercise's hidden checks
        (a platform package holds its hidden checks: None there, as in the kit)."""
        for entry in (self.manifest or {}).get("exercises", ()):
            if entry["id"] == exercise_id and "hidden_checks" in entry:
                return {"checks": entry["hidden_checks"], "points": entry["hidden_points"]}
        return None

    # -- expected values ----------------------------------------------------------
    def solution(self, exercise: Exercise) -> Any:
        """The reference solution module (trusted code), loaded once per process."""
        if self.is_release:
            raise MissingReference(f"this is a student release of torchgrade: the reference solution of "
                                   f"{exercise.id} is not included (grading replays recorded values instead)")
        path = self.solution_path(exercise)
        if not path.is_file():
            raise MissingReference(f"the reference solution {path} is missing: grading {exercise.id} "
                                   "needs the kit's solutions/ folder")
        from autograder.engine.references import load_solution
        return load_solution(path, exercise.module)

    def references(self, exercise: Exercise) -> Any:
        """What a check's ``reference`` fixture is: the solution, or its recorded values."""
        if self.is_release:
            from autograder.engine.references import load_recorded
            return load_recorded(self.recorded_path(exercise))
        return self.solution(exercise)

    # -- variants and versions ----------------------------------------------------
    def with_exercise(self, exercise_id: str, **changes: Any) -> "Kit":
        """This kit with one exercise's declaration changed (a test's shorter timeout)."""
        self.find(exercise_id)
        exercises = tuple(dataclasses.replace(ex, **changes) if ex.id == exercise_id else ex
                          for ex in self.exercises)
        return dataclasses.replace(self, exercises=exercises)

    def version(self, exercise: Exercise | str) -> str:
        """A hash of everything that decides ``exercise``'s verdicts (see the module docstring)."""
        ex = self.find(exercise) if isinstance(exercise, str) else exercise
        expected = self.recorded_path(ex) if self.is_release else self.solution_path(ex)
        files = [*_files(self.package_dir, VERDICT_CODE), self.suite_path(ex), self.suites_dir / "pytest.ini", expected]
        digest = hashlib.sha256()
        digest.update(json.dumps(dataclasses.asdict(ex), sort_keys=True).encode())
        for path in files:
            name = path.relative_to(self.package_dir if path.is_relative_to(self.package_dir) else self.root)
            digest.update(f"\0{name.as_posix()}\0".encode())
            digest.update(path.read_bytes() if path.is_file() else b"<missing>")
        digest.update(json.dumps(versions(), sort_keys=True).encode())
        return digest.hexdigest()[:16]


@functools.cache
def _installed() -> Kit:
    return Kit.load()


def _files(root: Path, names: Iterable[str]) -> list[Path]:
    found = []
    for name in names:
        path = root / name
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return [p for p in found if "__pycache__" not in p.parts]


def versions() -> dict[str, str | None]:
    """The Python and library versions the verdicts depend on (read without importing them)."""
    from importlib import metadata  # ≈20 ms: only the batch's version hashes need it
    found: dict[str, str | None] = {"python": "%d.%d" % sys.version_info[:2]}
    for name in VERDICT_DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found
