"""``grade release --out DIR``: the student template, built from the kit.

The release holds the generated stubs (``exercises/``), the engine (everything of the
package but this instructor-only ``release`` package), the *public* part of each suite
(``public``: every hidden check removed, the rest kept byte for byte), the reference values
those public checks need, recorded from the solutions as plain data (``record``;
``autograder/recorded/<exercise>.wire``, replayed by ``autograder.engine.replay``), a
manifest of what was released and how many hidden checks each exercise has (the release's
``Kit`` reads it), a ``pyproject.toml`` and ``constraints.txt``, a student README, ``.github/workflows/classroom.yml``
(when the kit has a top-level ``classroom.yml``) and a ``.gitignore``.  No solution code, no
hidden check.

A build is deterministic (sorted walks, no timestamps, stable JSON): building twice gives
byte-identical trees.  Unless ``verify=False``, the build then audits the tree for leaks
(``audit``) and grades the reference solutions and the stubs with the release itself
(``verify``); any difference from the kit is a ``ReleaseError``.
"""
from __future__ import annotations

import json
import os
import re
import string
import tempfile
from pathlib import Path
from typing import Iterable, Sequence

from autograder.i18n import LANGS, _, localize
from autograder.kit import PUBLIC_SEED
from autograder.engine.replay import encode
from autograder.kit import MANIFEST, MANIFEST_FORMAT, Kit, UnknownExercise
from autograder.registry import Exercise
from autograder.release import ReleaseError
from autograder.release.audit import audit
from autograder.release.public import HiddenCheck, engine_files, public_points, public_suite
from autograder.release.record import record
from autograder.release.stubgen import generate_stub
from autograder.release.verify import verify_release
from autograder.release.workflow import CONSTRAINTS, render_workflow, torch_pin, workflow_path

_GITIGNORE = "__pycache__/\n*.egg-info/\n.venv/\nbuild/\ndist/\n.pytest_cache/\n.benchmarks/\n"


def pyproject_text(kit: Kit, *, name: str = "torchgrade-exercises",
               description: str = "Deep learning exercises with their public autograder (torchgrade student release).") -> str:
    text = (kit.root / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib
        project = tomllib.loads(text)["project"]
        deps, python, version = project["dependencies"], project.get("requires-python", ">=3.10"), project["version"]
    except ImportError:  # pragma: no cover - python 3.10 without tomllib
        deps = re.findall(r'^\s*"([^"]+)",?\s*$', text.split("dependencies", 1)[1].split("]", 1)[0], re.M)
        python, version = ">=3.10", "0.1.0"
    dep_lines = "".join(f'    "{d}",\n' for d in deps)
    return (f'[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n\n'
            f'[project]\nname = "{name}"\nversion = "{version}"\n'
            f'description = "{description}"\n'
            f'requires-python = "{python}"\ndependencies = [\n{dep_lines}]\n\n'
            f'[project.scripts]\ngrade = "autograder.cli:entry"\n\n'
            f'[tool.setuptools.packages.find]\ninclude = ["autograder*"]\n\n'
            f'[tool.setuptools.package-data]\nautograder = ["suites/*.ini", "recorded/*.json", "recorded/*.wire", '
            f'"locale/*/LC_MESSAGES/*.mo"]\n')


def _readme_name(lang: str) -> str:
    return "README.md" if lang == "en" else f"README.{lang}.md"  # the template's name and the release's


def _readme(manifest: dict, chosen: Sequence[Exercise], pin: str, *, lang: str = "en") -> str:
    """The student README in ``lang`` (``templates/README.md``, ``README.zh.md``)."""
    rows = [f"| `{ex.id}` | {localize(ex.title, lang)} | `exercises/{ex.module}.py` | {e['public_points']:g} | "
            + _("{n} checks, {points:g} pts", n=e["hidden_checks"], points=e["hidden_points"]).localize(lang) + " |"
            for e, ex in zip(manifest["exercises"], chosen)]
    first = chosen[0].id if chosen else "exercise1"
    template = string.Template((Path(__file__).with_name("templates") / _readme_name(lang)).read_text(encoding="utf-8"))
    return template.substitute(rows="\n".join(rows), pin=pin, first=first, number=first.removeprefix("exercise"))


def build(out: str | os.PathLike, *, exercises: Iterable[str] | None = None, verify: bool = True,
          kit: Kit | None = None) -> dict:
    """Write the student release of ``kit`` (default: the installed one) to ``out``, which
    must not exist or be empty.

    Returns the manifest, with a ``verification`` entry per exercise when ``verify``.
    """
    kit = kit or Kit.installed()
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReleaseError(f"{out} exists and is not empty: choose a new folder")
    chosen = choose(kit, exercises)
    suites_text: dict[str, str] = {}
    hidden: dict[str, list[HiddenCheck]] = {}
    for ex in chosen:
        path = kit.suite_path(ex)
        suites_text[ex.id], hidden[ex.id] = public_suite(path.read_text(encoding="utf-8"), filename=str(path))
    entries = write_graded_package(kit, out, chosen, suites_text, seed=PUBLIC_SEED)
    manifest = {"format": MANIFEST_FORMAT, "exercises": []}
    for ex, entry in zip(chosen, entries):
        solution = kit.solution_path(ex)
        stub = generate_stub(solution.read_text(encoding="utf-8"), filename=str(solution))
        write_file(out / "exercises" / f"{ex.module}.py", stub.encode())
        manifest["exercises"].append(dict(entry, hidden_checks=len(hidden[ex.id]),
                                          hidden_points=sum(h.points or 0 for h in hidden[ex.id])))
    write_file(out / "autograder" / MANIFEST, json_bytes(manifest))
    write_file(out / "pyproject.toml", pyproject_text(kit).encode())
    write_file(out / CONSTRAINTS, (kit.root / CONSTRAINTS).read_bytes())  # the workflow's pip cache is keyed on it
    for lang in LANGS:
        write_file(out / _readme_name(lang), _readme(manifest, chosen, torch_pin(kit), lang=lang).encode())
    write_file(out / ".gitignore", _GITIGNORE.encode())
    workflow = _classroom_workflow(kit, chosen)
    if workflow is not None:
        write_file(out / ".github" / "workflows" / "classroom.yml", workflow)
    if verify:
        found = audit(kit, out, hidden_checks=[h for ex in chosen for h in hidden[ex.id]])
        if found.leaks:
            raise ReleaseError("the release leaks:\n  " + "\n  ".join(found.leaks))
        manifest = dict(manifest, verification=verify_release(kit, out, chosen))
    return manifest


def write_graded_package(kit: Kit, out: Path, chosen: Sequence[Exercise], suites_text: dict[str, str], *,
                         seed: int) -> list[dict]:
    """Write ``out/autograder``: the engine, the given suites and the reference's answers to
    them recorded at ``seed``.  What a student release and a platform package share; the
    caller writes the manifest.  Returns one manifest entry per exercise."""
    with tempfile.TemporaryDirectory(prefix="torchgrade-release-") as tmp:
        staged = Path(tmp) / "suites"
        staged.mkdir()
        for ex in chosen:
            (staged / f"{ex.id}.py").write_text(suites_text[ex.id], encoding="utf-8")
        recorded = record(kit, chosen, {ex.id: staged / f"{ex.id}.py" for ex in chosen}, seed=seed)
    package = out / "autograder"
    for rel in engine_files(kit):
        write_file(package / rel, (kit.package_dir / rel).read_bytes())
    for path in sorted(kit.suites_dir.iterdir()):
        if path.is_file() and path.suffix != ".py":
            write_file(package / "suites" / path.name, path.read_bytes())  # pytest.ini
    entries = []
    for ex in chosen:
        write_file(package / "suites" / f"{ex.id}.py", suites_text[ex.id].encode())
        write_file(package / "recorded" / f"{ex.id}.wire", encode(recorded[ex.id]))
        checks, points = public_points(suites_text[ex.id])
        entries.append({"id": ex.id, "module": ex.module, "title": ex.title, "public_checks": checks,
                        "public_points": points, "recorded_calls": len(recorded[ex.id]["calls"])})
    return entries


def _classroom_workflow(kit: Kit, chosen: Sequence[Exercise]) -> bytes | None:
    """The kit's ``classroom.yml`` as it is; for a subset of the exercises, the same workflow
    generated for that subset (its steps must name only released exercises)."""
    path = workflow_path(kit)
    if not path.is_file():
        return None
    if list(chosen) == list(kit.exercises):
        return path.read_bytes()
    return render_workflow(chosen, kit=kit).encode()


def choose(kit: Kit, names: Iterable[str] | None) -> list[Exercise]:
    if names is None:
        return list(kit.exercises)
    chosen = []
    for name in names:
        try:
            ex = kit.find(name)
        except UnknownExercise as exc:
            raise ReleaseError(str(exc)) from None
        if ex not in chosen:
            chosen.append(ex)
    if not chosen:
        raise ReleaseError("no exercises to release")
    return sorted(chosen, key=lambda ex: kit.exercises.index(ex))


def write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def json_bytes(value: dict) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
