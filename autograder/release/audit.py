"""The leak audit: a release tree must hold no solution code and no hidden check.

``audit(kit, root)`` searches every file under ``root`` (binary files too); see its
docstring for what counts as a leak.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Sequence

from autograder.kit import Kit
from autograder.release.public import HiddenCheck, engine_files, public_suite
from autograder.release.stubgen import BEGIN, END, generate_stub

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


def _kit_public_text(kit: Kit, *, engine: bool = True) -> bytes:
    """What the kit ships to students by design: the engine, the public suites, the stubs."""
    parts = [(kit.package_dir / rel).read_bytes() for rel in engine_files(kit)] if engine else []
    for ex in kit.exercises:
        suite, solution = kit.suite_path(ex), kit.solution_path(ex)
        if suite.is_file():
            parts.append(public_suite(suite.read_text(encoding="utf-8"), filename=str(suite))[0].encode())
        if solution.is_file():
            parts.append(generate_stub(solution.read_text(encoding="utf-8"), filename=str(solution)).encode())
    return _normalized(b"\n".join(parts))


@dataclasses.dataclass
class Audit:
    leaks: list[str]  # a non-empty list fails the release
    shared: list[str]  # solution lines that the kit's public text (engine, public suites, stubs) also holds


def audit(kit: Kit, root: Path, *, hidden_checks: Sequence[HiddenCheck] | None = None) -> Audit:
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
        hidden_checks = [h for ex in kit.exercises if kit.suite_path(ex).is_file()
                         for h in public_suite(kit.suite_path(ex).read_text(encoding="utf-8"),
                                               filename=str(kit.suite_path(ex)))[1]]
    public, authored = _kit_public_text(kit), _kit_public_text(kit, engine=False)
    needles: list[tuple[str, bytes]] = []
    shared_lines: list[tuple[str, bytes]] = []
    for ex in kit.exercises:
        if not kit.solution_path(ex).is_file():
            continue
        for region in solution_regions(kit.solution_path(ex).read_text(encoding="utf-8")):
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
    solution_files = [p.read_bytes() for p in sorted(kit.solutions_dir.glob("*.py"))]
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
