"""``grade release --out DIR``: the student template, built from the kit.

The release holds the generated stubs (``exercises/``), the engine, the *public* part of each
suite (every ``@check(..., hidden=True)`` test removed from the source text, the rest kept
byte for byte), the reference values those public checks need, recorded from the solutions
as plain data (``autograder/recorded/<exercise>.wire``, see ``autograder.replay``), a
manifest of what was released and how many hidden checks each exercise has, a
``pyproject.toml``, a student README, ``.github/workflows/classroom.yml`` (when the kit has a
top-level ``classroom.yml``) and a ``.gitignore``.  No solution code, no hidden check.

A build is deterministic (sorted walks, no timestamps, stable JSON): building twice gives
byte-identical trees.  Unless ``verify=False``, the build then grades the reference solutions
and the stubs with the release itself (a subprocess that imports only the release) and
compares every public check's status and points with the kit's, and audits the tree for
leaks (``audit``); any difference is a ``ReleaseError``.
"""
from __future__ import annotations

import ast
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Iterable, Sequence

from autograder import registry, replay
from autograder.registry import Exercise
from autograder.stubgen import BEGIN, END, generate_stub

MANIFEST_FORMAT = "torchgrade-release/1"
CLASSROOM_YML = registry.KIT_ROOT / "classroom.yml"
# engine files a student release does not need (and must not be able to run)
_ENGINE_EXCLUDE = {"release.py"}
_GITIGNORE = "__pycache__/\n*.egg-info/\n.venv/\nbuild/\ndist/\n.pytest_cache/\n.benchmarks/\n"


class ReleaseError(RuntimeError):
    """The release cannot be built faithfully (the message says which exercise and check)."""


# ---------------------------------------------------------------- public suites

@dataclasses.dataclass(frozen=True)
class HiddenCheck:
    name: str  # the test function's name, e.g. "test_forward_other_sizes"
    points: float | None
    source: str  # its full text, decorators included


def _check_marker(node: ast.AST) -> ast.Call | None:
    for deco in getattr(node, "decorator_list", ()):
        if isinstance(deco, ast.Call):
            func = deco.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name == "check":
                return deco
    return None


def public_suite(source: str, *, filename: str) -> tuple[str, list[HiddenCheck]]:
    """The suite's source with every hidden check removed, and the checks removed.

    A check is a top-level ``test_*`` function decorated with ``check(...)``; it is hidden
    when that call says ``hidden=True``.  The text of each hidden check (its decorators and
    the comment lines directly above them) is cut out, with the blank lines that followed
    it; everything else is kept byte for byte.
    """
    tree = ast.parse(source, filename=filename)
    lines = source.splitlines(keepends=True)
    cut: list[tuple[int, int]] = []  # 0-based [start, end) line ranges
    hidden: list[HiddenCheck] = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not node.name.startswith("test_"):
            continue
        marker = _check_marker(node)
        if marker is None:
            continue
        flag = next((kw.value for kw in marker.keywords if kw.arg == "hidden"), None)
        if flag is not None and not (isinstance(flag, ast.Constant) and type(flag.value) is bool):
            raise ReleaseError(f"{filename}:{node.lineno}: {node.name}: hidden= must be a literal True or "
                               "False so that the release can tell public from hidden checks")
        if flag is None or flag.value is False:
            continue
        if node not in tree.body:
            raise ReleaseError(f"{filename}:{node.lineno}: hidden check {node.name} is not at the top level")
        start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
        while start > 0 and lines[start - 1].strip().startswith("#"):
            start -= 1
        end = node.end_lineno
        while end < len(lines) and not lines[end].strip():
            end += 1
        points = next((kw.value for kw in marker.keywords if kw.arg == "points"),
                      marker.args[0] if marker.args else None)
        value = points.value if isinstance(points, ast.Constant) else None
        cut.append((start, end))
        hidden.append(HiddenCheck(node.name, value, "".join(lines[start:node.end_lineno])))
    kept = [line for i, line in enumerate(lines) if not any(a <= i < b for a, b in cut)]
    text = "".join(kept).rstrip("\n") + "\n"
    remaining = ast.parse(text, filename=filename)  # still valid Python
    names = {n.id for n in ast.walk(remaining) if isinstance(n, ast.Name)} | \
            {n.name for n in ast.walk(remaining) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for h in hidden:
        if h.name in names:
            raise ReleaseError(f"{filename}: the public suite still refers to hidden check {h.name}")
    return text, sorted(hidden, key=lambda h: h.name)


# ---------------------------------------------------------------- recording

def record(exercises: Sequence[Exercise], suites: dict[str, Path]) -> dict[str, dict]:
    """Run the public suites on the reference solutions with recording references.

    Returns ``{exercise id: recorded data}``; raises ``ReleaseError`` when a public check does
    not pass on the reference solution or a reference call cannot be recorded.
    """
    from autograder.references import load_reference
    from autograder.runner import run_suites
    from autograder.sandbox import Session, Submission, make_launcher

    recorders = {ex.id: replay.Recorder(load_reference(ex), ex.id) for ex in exercises}
    preload = tuple(dict.fromkeys(m for ex in exercises for m in ex.preload))
    launcher = make_launcher(preload, sandbox="none")  # the "submission" is the trusted solution
    sessions = {ex.id: Session(launcher, Submission(path=str(ex.solution_path), module=ex.module,
                                                    display=f"solutions/{ex.module}.py")) for ex in exercises}
    try:
        document = run_suites(exercises=exercises, sessions=sessions, seed=_public_seed(), pattern=None,
                              reproduce=lambda e, c: "", references=lambda ex: recorders[ex.id],
                              suite_paths={k: str(v) for k, v in suites.items()})
    finally:
        for session in sessions.values():
            session.close()
        launcher.close()
    problems = []
    for entry in document["exercises"]:
        for c in entry["checks"]:
            if c["status"] != "passed" or c["score"] != c["max_score"]:
                why = recorders[entry["id"]].errors.get(c["id"])
                if why is None:  # e.g. a proxy used where a real object is needed: the exception's last line
                    lines = [line for line in c["message"].splitlines() if line.strip()]
                    why = f"{c['status']} on the reference solution: {lines[-1] if lines else ''}"
                where = f"{entry['id']}::{c['id']}: "
                problems.append(where + why.removeprefix(where))
    if problems:
        raise ReleaseError(
            "public checks that cannot be recorded:\n  " + "\n  ".join(problems) + "\n"
            "A check may call the reference's functions and methods with plain data (numbers, arrays, "
            "tensors); to use reference objects as real objects (in an nn.Sequential, autograd through "
            "them), compute the expected values in a helper decorated with autograder.replay.oracle "
            "that takes and returns plain data.")
    return {ex.id: recorders[ex.id].records() for ex in exercises}


def _public_seed() -> int:
    from autograder.api import PUBLIC_SEED
    return PUBLIC_SEED


# ---------------------------------------------------------------- the tree

def _engine_files() -> list[Path]:
    """The engine's files, relative to the package, sorted; suites and data handled apart."""
    files = []
    for path in sorted(registry.PACKAGE_DIR.rglob("*")):
        rel = path.relative_to(registry.PACKAGE_DIR)
        if not path.is_file() or "__pycache__" in rel.parts or path.suffix in (".pyc", ".pyo"):
            continue
        if rel.parts[0] in ("suites", "recorded") or rel.as_posix() in _ENGINE_EXCLUDE:
            continue
        files.append(rel)
    return files


_REFERENCES_PY = '''\
"""Reference solutions are not part of a student release.

The public checks compare with expected values recorded from the solutions when the
release was built (``autograder/recorded/``, replayed by ``autograder.replay``); the hidden
checks run only at final grading, with the instructor's kit.
"""
from __future__ import annotations

from autograder.registry import Exercise


class MissingReference(RuntimeError):
    pass


def load_reference(exercise: Exercise):
    raise MissingReference(f"this is a student release of torchgrade: the reference solution of "
                           f"{exercise.id} is not included (grading replays recorded values instead)")
'''


def _pyproject() -> str:
    kit = (registry.KIT_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib
        project = tomllib.loads(kit)["project"]
        deps, python, version = project["dependencies"], project.get("requires-python", ">=3.10"), project["version"]
    except Exception:  # pragma: no cover - python 3.10 without tomllib
        deps = re.findall(r'^\s*"([^"]+)",?\s*$', kit.split("dependencies", 1)[1].split("]", 1)[0], re.M)
        python, version = ">=3.10", "0.1.0"
    dep_lines = "".join(f'    "{d}",\n' for d in deps)
    return (f'[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n\n'
            f'[project]\nname = "torchgrade-exercises"\nversion = "{version}"\n'
            f'description = "Deep learning exercises with their public autograder (torchgrade student release)."\n'
            f'readme = "README.md"\nrequires-python = "{python}"\ndependencies = [\n{dep_lines}]\n\n'
            f'[project.scripts]\ngrade = "autograder.cli:main"\n\n'
            f'[tool.setuptools.packages.find]\ninclude = ["autograder*"]\n\n'
            f'[tool.setuptools.package-data]\nautograder = ["suites/*.ini", "recorded/*.json", "recorded/*.wire"]\n')


def _torch_pin() -> str:
    match = re.search(r"pip install (torch==[\w.+-]+)", (registry.KIT_ROOT / "README.md").read_text(encoding="utf-8"))
    return match.group(1) if match else "torch"


def _readme(manifest: dict) -> str:
    rows = "\n".join(f"| `{e['id']}` | {e['title']} | `exercises/{e['module']}.py` | {e['public_points']:g} "
                     f"| {e['hidden_checks']} checks, {e['hidden_points']:g} pts |" for e in manifest["exercises"])
    first = manifest["exercises"][0]["id"] if manifest["exercises"] else "exercise1"
    pin = _torch_pin()
    return textwrap.dedent(f"""\
        # Deep learning exercises

        Fill in the functions in `exercises/`, then grade your work on your own machine with the
        public autograder that ships with this repository.

        | exercise | topic | file | public points | hidden at final grading |
        |---|---|---|---|---|
        {{rows}}

        ## Install

        ```bash
        python -m venv .venv && source .venv/bin/activate
        pip install {pin} && pip install -e .
        ```

        `{pin}` is installed first so that pip does not download a multi-GB CUDA build.

        ## Grade your work

        ```text
        grade list                 # the exercises and their points
        grade {first}            # grade exercises/ for one exercise (or: grade {first.removeprefix('exercise')})
        grade all                  # every exercise
        grade {first} --format json   # the same result as a JSON document
        ```

        Each line is one check: `PASS`, `FAIL` (your code ran but the result is wrong), `ERROR` (your
        code raised or crashed), `TIME` (too slow), `TODO` (still raises `NotImplementedError`).
        Under a failure you get what was wrong and where, often a hint, and a **reproduce command**
        such as `grade {first} --seed 0 -k forward`: it re-runs exactly that check, so you can fix
        and re-check one thing at a time. Exit status 0 means every check passed.

        The last line of each exercise, e.g. `public: 8/8 passed · 2 hidden checks (10 points) run
        at final grading`, says how many **hidden checks** exist. They are not in this repository:
        your instructor runs them at final grading, on other inputs (other sizes, other seeds), so
        code that only works for the public inputs loses those points. Your public score here is
        exactly what the instructor's grader gives for the same public checks.

        The public checks compare your results with expected values recorded from the reference
        solutions for the public inputs (seed 0). `--seed` with another value therefore cannot be
        graded here: such a check fails and says that no expected value was recorded for it.

        Do not edit `autograder/`: grading runs your code in a separate process and only plain
        data crosses back, and your instructor grades with their own copy.
        """).replace("{rows}", rows)


def build(out: str | os.PathLike, *, exercises: Iterable[str] | None = None, verify: bool = True) -> dict:
    """Write the student release to ``out`` (which must not exist or be empty).

    Returns the manifest, with a ``verification`` entry per exercise when ``verify``.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReleaseError(f"{out} exists and is not empty: choose a new folder")
    chosen = _choose(exercises)
    suites_text: dict[str, str] = {}
    hidden: dict[str, list[HiddenCheck]] = {}
    for ex in chosen:
        suites_text[ex.id], hidden[ex.id] = public_suite(ex.suite_path.read_text(encoding="utf-8"),
                                                         filename=str(ex.suite_path))
    with tempfile.TemporaryDirectory(prefix="torchgrade-release-") as tmp:
        staged = Path(tmp) / "suites"
        staged.mkdir()
        for ex in chosen:
            (staged / f"{ex.id}.py").write_text(suites_text[ex.id], encoding="utf-8")
        recorded = record(chosen, {ex.id: staged / f"{ex.id}.py" for ex in chosen})
        public_points = _public_points(chosen, staged)

    package = out / "autograder"
    for rel in _engine_files():
        _write(package / rel, (registry.PACKAGE_DIR / rel).read_bytes())
    _write(package / "references.py", _REFERENCES_PY.encode())
    for path in sorted((registry.PACKAGE_DIR / "suites").iterdir()):
        if path.is_file() and path.suffix != ".py" and "__pycache__" not in path.parts:
            _write(package / "suites" / path.name, path.read_bytes())  # pytest.ini
    manifest = {"format": MANIFEST_FORMAT, "exercises": []}
    for ex in chosen:
        _write(package / "suites" / f"{ex.id}.py", suites_text[ex.id].encode())
        _write(package / "recorded" / f"{ex.id}.wire", replay.encode(recorded[ex.id]))
        stub = generate_stub(ex.solution_path.read_text(encoding="utf-8"), filename=str(ex.solution_path))
        _write(out / "exercises" / f"{ex.module}.py", stub.encode())
        manifest["exercises"].append({
            "id": ex.id, "module": ex.module, "title": ex.title,
            "public_checks": public_points[ex.id][0], "public_points": public_points[ex.id][1],
            "hidden_checks": len(hidden[ex.id]),
            "hidden_points": sum(h.points or 0 for h in hidden[ex.id]),
            "recorded_calls": len(recorded[ex.id]["calls"]),
        })
    _write(package / "recorded" / "manifest.json", _json(manifest))
    _write(out / "pyproject.toml", _pyproject().encode())
    _write(out / "README.md", _readme(manifest).encode())
    _write(out / ".gitignore", _GITIGNORE.encode())
    workflow = _classroom_workflow(chosen)
    if workflow is not None:
        _write(out / ".github" / "workflows" / "classroom.yml", workflow)
    if verify:
        found = audit(out, hidden_checks=[h for ex in chosen for h in hidden[ex.id]])
        if found.leaks:
            raise ReleaseError("the release leaks:\n  " + "\n  ".join(found.leaks))
        manifest = dict(manifest, verification=verify_release(out, chosen))
    return manifest


def _classroom_workflow(chosen: Sequence[Exercise]) -> bytes | None:
    """The kit's ``classroom.yml`` as it is; for a subset of the exercises, the same workflow
    generated for that subset (its steps must name only released exercises)."""
    if not CLASSROOM_YML.is_file():
        return None
    if list(chosen) == list(registry.EXERCISES):
        return CLASSROOM_YML.read_bytes()
    try:
        from autograder.workflow import render_workflow
    except ImportError:  # pragma: no cover - a kit without the workflow generator
        return CLASSROOM_YML.read_bytes()
    return render_workflow(chosen).encode()


def _choose(names: Iterable[str] | None) -> list[Exercise]:
    if names is None:
        return list(registry.EXERCISES)
    chosen = []
    for name in names:
        try:
            ex = registry.find(name)
        except registry.UnknownExercise as exc:
            raise ReleaseError(str(exc)) from None
        if ex not in chosen:
            chosen.append(ex)
    if not chosen:
        raise ReleaseError("no exercises to release")
    return sorted(chosen, key=lambda ex: registry.EXERCISES.index(ex))


def _public_points(chosen: Sequence[Exercise], staged: Path) -> dict[str, tuple[int, float]]:
    out = {}
    for ex in chosen:
        tree = ast.parse((staged / f"{ex.id}.py").read_text(encoding="utf-8"))
        count, points = 0, 0.0
        for node in tree.body:
            marker = _check_marker(node) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
            if marker is not None and node.name.startswith("test_"):
                value = next((kw.value for kw in marker.keywords if kw.arg == "points"),
                             marker.args[0] if marker.args else None)
                count += 1
                points += value.value if isinstance(value, ast.Constant) else 0
        out[ex.id] = (count, points)
    return out


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _json(value: dict) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


# ---------------------------------------------------------------- checking a release

_TRIVIAL = re.compile(r"^[\s()\[\]{}:,.;]*(?:(?:return|pass|else|try|finally|break|continue|None|True|False)"
                      r"[\s()\[\]{}:,.;]*)*$")


def solution_regions(source: str) -> list[list[str]]:
    """The non-trivial lines (stripped) inside each BEGIN/END SOLUTION region.

    Trivial: blank lines and lines made only of punctuation and the keywords/constants
    return, pass, else, try, finally, break, continue, None, True, False.
    """
    regions, current = [], None
    for line in source.splitlines():
        s = line.strip()
        if s.startswith(BEGIN):
            current = []
        elif s.startswith(END):
            regions.append(current or [])
            current = None
        elif current is not None and s and not _TRIVIAL.match(s):
            current.append(s)
    return regions


def _normalized(data: bytes) -> bytes:
    return b"\n".join(line.strip() for line in data.splitlines())


def _kit_public_text(*, engine: bool = True) -> bytes:
    """What the kit ships to students by design: the engine, the public suites, the stubs."""
    parts = [(registry.PACKAGE_DIR / rel).read_bytes() for rel in _engine_files()] if engine else []
    for ex in registry.EXERCISES:
        if ex.suite_path.is_file():
            parts.append(public_suite(ex.suite_path.read_text(encoding="utf-8"), filename=str(ex.suite_path))[0].encode())
        if ex.solution_path.is_file():
            parts.append(generate_stub(ex.solution_path.read_text(encoding="utf-8"), filename=str(ex.solution_path)).encode())
    return _normalized(b"\n".join(parts))


@dataclasses.dataclass
class Audit:
    leaks: list[str]  # a non-empty list fails the release
    shared: list[str]  # solution lines that the kit's public text (engine, public suites, stubs) also holds


def audit(root: Path, *, hidden_checks: Sequence[HiddenCheck] | None = None) -> Audit:
    """Search every file under ``root`` (binary files too) for:

    * each non-trivial line of every ``# BEGIN SOLUTION`` region of every exercise in the kit
      (``solution_regions``).  A line that the kit's public text also contains outside any
      solution region (an engine idiom such as ``with torch.no_grad():``, a formula an
      instructor wrote into a public hint or known-mistake) is not secret: it is reported in
      ``shared``, not as a leak.  Three consecutive lines of a region (two for a two-line region) found together (after
      stripping indentation) are a leak unless the stubs or public suites (text the instructor
      wrote for students) hold them too, so a solution pasted into the engine cannot hide
      behind idioms;
    * every hidden check's function name (everywhere) and id (in suites and recorded data),
      and each line of its text that the public suites do not contain anyway;
    * the content of every file in ``solutions/``.
    """
    if hidden_checks is None:
        hidden_checks = [h for ex in registry.EXERCISES if ex.suite_path.is_file()
                         for h in public_suite(ex.suite_path.read_text(encoding="utf-8"), filename=str(ex.suite_path))[1]]
    public, authored = _kit_public_text(), _kit_public_text(engine=False)
    needles: list[tuple[str, bytes]] = []
    shared_lines: list[tuple[str, bytes]] = []
    for ex in registry.EXERCISES:
        if not ex.solution_path.is_file():
            continue
        for region in solution_regions(ex.solution_path.read_text(encoding="utf-8")):
            for line in region:
                target = shared_lines if line.encode() in public else needles
                target.append((f"solution line of {ex.module}: {line!r}", line.encode()))
            width = min(3, len(region))
            for i in range(len(region) - width + 1) if width >= 2 else ():
                window = region[i:i + width]
                if "\n".join(window).encode() in authored:  # e.g. a stub's docstring spells the algorithm out
                    continue
                needles.append((f"solution lines of {ex.module}: {' + '.join(map(repr, window))}",
                                "\n".join(window).encode()))
    ids: list[tuple[str, bytes]] = []  # a check id alone may be a common word: searched in suites and data
    for h in hidden_checks:
        needles.append((f"hidden check name {h.name}", h.name.encode()))
        ids.append((f"hidden check id {h.name.removeprefix('test_')}", h.name.removeprefix("test_").encode()))
        for line in h.source.splitlines():
            s = line.strip()
            if s and not _TRIVIAL.match(s) and s.encode() not in public:
                needles.append((f"line of hidden check {h.name}: {s!r}", s.encode()))
    solution_files = [p.read_bytes() for p in sorted(registry.SOLUTIONS_DIR.glob("*.py"))]
    leaks, shared = [], []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        text = _normalized(data)
        rel = path.relative_to(root).as_posix()
        graded = rel.startswith(("autograder/suites/", "autograder/recorded/"))
        for what, needle in needles + (ids if graded else []):
            if needle in data or needle in text:
                leaks.append(f"{rel}: {what}")
        for what, needle in shared_lines:
            if needle in data:
                shared.append(f"{rel}: {what}")
        if any(data == sol for sol in solution_files):
            leaks.append(f"{rel}: a copy of a file from solutions/")
    return Audit(leaks, shared)


def _grade_in_release(out: Path, exercises: Sequence[str], submission: Path) -> dict:
    """Grade with the release's own code only (a subprocess whose path starts at ``out``)."""
    code = ("import json, sys, autograder\n"
            "assert autograder.__file__.startswith(sys.argv[1]), autograder.__file__\n"
            "print(json.dumps(autograder.grade(sys.argv[3].split(','), submission=sys.argv[2], sandbox='none')))\n")
    env = dict(os.environ, PYTHONPATH=str(out), PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run([sys.executable, "-c", code, str(out.resolve()), str(submission), ",".join(exercises)],
                          cwd=out, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise ReleaseError(f"grading with the release failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout)


def points_by_check(document: dict, *, visible_only: bool = True) -> dict[str, tuple[str, float]]:
    return {f"{e['id']}::{c['id']}": (c["status"], c["score"]) for e in document["exercises"]
            for c in e["checks"] if not visible_only or c["visibility"] == "visible"}


def verify_release(out: Path, chosen: Sequence[Exercise]) -> dict:
    """Grade the reference solutions and the stubs with the kit and with the release; every
    public check must give the same status and points.  Returns a summary per exercise."""
    import autograder
    ids = [ex.id for ex in chosen]
    summary: dict[str, dict] = {ex.id: {} for ex in chosen}
    with tempfile.TemporaryDirectory(prefix="torchgrade-verify-") as tmp:
        solutions = Path(tmp) / "solutions"
        solutions.mkdir()
        for ex in chosen:
            shutil.copyfile(ex.solution_path, solutions / f"{ex.module}.py")
        for label, folder in (("reference", solutions), ("stubs", out / "exercises")):
            # the same isolation on both sides (it changes where student code runs, never a verdict)
            kit = autograder.grade(ids, submission=folder, sandbox="none")
            released = _grade_in_release(out, ids, folder)
            want, got = points_by_check(kit), points_by_check(released, visible_only=False)
            kit_hidden = {e["id"]: sum(c["visibility"] == "hidden" for c in e["checks"]) for e in kit["exercises"]}
            for ex in chosen:
                entry = next(e for e in released["exercises"] if e["id"] == ex.id)
                if entry.get("hidden_checks") != kit_hidden[ex.id]:
                    raise ReleaseError(f"{ex.id}: the kit ran {kit_hidden[ex.id]} hidden checks, the release "
                                       f"says {entry.get('hidden_checks')}")
            if want != got:
                diff = {k: (want.get(k), got.get(k)) for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)}
                raise ReleaseError(f"the release grades the {label} differently from the kit "
                                   f"(check: (kit, release)): {diff}")
            for e in released["exercises"]:
                summary[e["id"]][label] = f"{e['score']:g}/{e['max_score']:g}"
    return summary
