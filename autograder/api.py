"""The keyword-only Python API; the CLI is a thin layer over it, and notebooks call it too."""
from __future__ import annotations

import dataclasses
import os
import shlex
from pathlib import Path
from typing import Any, Callable, Sequence

from autograder.i18n import LANGS, _
from autograder.kit import Kit, UnknownExercise
from autograder.registry import Exercise
from autograder.sandbox.isolation import MODES as SANDBOX_MODES
from autograder.sandbox.session import Session, Submission
from autograder.sandbox.zygote import make_launcher


class UsageError(ValueError):
    """A mistake in how the grader was called (unknown exercise, missing folder)."""


def list_exercises(*, kit: Kit | None = None) -> list[dict]:
    kit = kit or Kit.installed()
    return [{"id": ex.id, "title": ex.title, "module": ex.module, "max_score": ex.max_score}
            for ex in kit.exercises]


def resolve_exercises(names: Sequence[str] | str, *, kit: Kit | None = None) -> list[Exercise]:
    try:
        return (kit or Kit.installed()).resolve(names)
    except UnknownExercise as exc:
        raise UsageError(exc.args[0]) from None


def submission_folder(root: Path) -> Path:
    """The folder holding the exercise modules: ``ROOT/exercises`` or ROOT itself."""
    if not root.is_dir():
        raise UsageError(_("submission folder {root!r} does not exist", root=str(root)))
    if (root / "exercises").is_dir():
        return root / "exercises"
    if any(root.glob("exercise*.py")):
        return root
    raise UsageError(_("{root!r} has no exercises/ folder and no exercise modules", root=str(root)))


def grade(exercises: Sequence[str] | str = "all", *, submission: str | os.PathLike = ".",
          seed: int | None = None, pattern: str | None = None, sandbox: str = "auto",
          kit: Kit | None = None, on_exercise: Callable[[dict], None] | None = None, lang: str | None = None) -> dict:
    """Grade ``exercises`` (ids, aliases or ``"all"``) of the submission at ``submission``.

    ``submission`` is a student repository root (containing ``exercises/``), a folder that
    holds the exercise modules directly, or a ``.zip`` of either (read as ``grade batch``
    reads it: checked first, never extracted; its files reach the workers as data).  ``sandbox="auto"`` runs student code inside the
    strongest isolation available here, ``"none"`` with the process split only (the report's
    ``sandbox`` and ``sandbox_layers`` say what was in force).  ``kit`` is what grades
    (default: the installed kit).  ``lang`` (``en`` or ``zh``; default: the kit's, English
    unless it is a platform package built for another): the language the document says its
    messages in beside English (``autograder.i18n``).  Returns the canonical result document.
    """
    plan = prepare(exercises, submission=submission, seed=seed, sandbox=sandbox, kit=kit, lang=lang)
    # the zygote imports torch while we start pytest
    launcher = make_launcher(plan.preload, sandbox=sandbox, submission_dirs=plan.mounted)
    try:
        return grade_with(launcher, plan, pattern=pattern, on_exercise=on_exercise)
    finally:
        launcher.close()


@dataclasses.dataclass(frozen=True)
class Plan:
    """What one grading needs, resolved once (``grade --watch`` grades the same plan again)."""
    kit: Kit
    chosen: list[Exercise]
    located: dict[str, Submission]
    mounted: list[str]
    seed: int
    submission: str | os.PathLike
    lang: str = "en"

    @property
    def preload(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m for ex in self.chosen for m in ex.preload))


def prepare(exercises: Sequence[str] | str, *, submission: str | os.PathLike = ".", seed: int | None = None,
            sandbox: str = "auto", kit: Kit | None = None, lang: str | None = None) -> Plan:
    if sandbox not in SANDBOX_MODES:
        raise UsageError(_("unknown sandbox mode {mode!r}; choose from {modes}", mode=sandbox,
                           modes=", ".join(SANDBOX_MODES)))
    kit = kit or Kit.installed()
    seed = kit.seed if seed is None else seed
    lang = kit.lang if lang is None else lang
    if lang not in LANGS:
        raise UsageError(_("unknown language {lang!r}; choose from {langs}", lang=lang, langs=", ".join(LANGS)))
    chosen = resolve_exercises(exercises, kit=kit)
    root = Path(submission).resolve()
    if root.is_file() and root.suffix.lower() == ".zip":
        return Plan(kit, chosen, _from_zip(root, chosen, kit), [], seed, submission, lang)
    folder = submission_folder(root)
    return Plan(kit, chosen, {ex.id: _locate(folder, root, ex) for ex in chosen}, [str(root)], seed, submission, lang)


def grade_with(launcher: Any, plan: Plan, *, pattern: str | None = None,
               on_exercise: Callable[[dict], None] | None = None) -> dict:
    """Grade ``plan`` with workers from ``launcher`` (fresh ones: one session per exercise)."""
    sessions = {ex.id: Session(launcher, plan.located[ex.id]) for ex in plan.chosen}
    try:
        from autograder.engine.runner import run_suites
        return run_suites(kit=plan.kit, exercises=plan.chosen, sessions=sessions, seed=plan.seed, pattern=pattern,
                          reproduce=_reproducer(plan.submission, plan.seed), sandbox=launcher.describe,
                          on_exercise=on_exercise, lang=plan.lang)
    finally:
        for session in sessions.values():
            session.close()


def _locate(folder: Path, root: Path, exercise: Exercise) -> Submission:
    path = folder / f"{exercise.module}.py"
    display = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    return Submission(path=str(path), module=exercise.module, display=display)


def _from_zip(path: Path, chosen: list[Exercise], kit: Kit) -> dict[str, Submission]:
    from autograder.intake import read_entry
    entry = read_entry(path)
    if entry.problem:
        raise UsageError(entry.problem)
    return {ex.id: Submission(path=entry.module_path(ex), module=ex.module, display=entry.module_path(ex),
                              files=entry.files_for(ex, kit.exercises)) for ex in chosen}


def _reproducer(submission: str | os.PathLike, seed: int):
    where = "" if Path(submission) == Path(".") else f" --submission {shlex.quote(str(submission))}"

    def command(exercise_id: str, check: str) -> str:
        return f"grade {exercise_id}{where} --seed {seed} -k {check}"
    return command
