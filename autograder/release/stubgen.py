"""Generate the student stubs in ``exercises/`` from the references in ``solutions/``.

Every region between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` becomes one
``raise NotImplementedError(...)`` at the region's indentation; everything else
(signatures, docstrings, imports, constants) is kept byte for byte.
"""
from __future__ import annotations

import re
from pathlib import Path

from autograder.kit import Kit

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(\w+)|^\s*class\s+(\w+)")


class StubError(ValueError):
    pass


def generate_stub(source: str, *, filename: str) -> str:
    out: list[str] = []
    region_start = None
    owner = "this"
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        stripped = line.strip()
        if region_start is None:
            match = _DEF.match(line)
            if match:
                owner = match.group(1) or match.group(2)
            if stripped.startswith(BEGIN):
                indent = line[: len(line) - len(line.lstrip())]
                if not indent:
                    raise StubError(f"{filename}:{number}: a solution region must be inside a function")
                region_start = number
                out.append(f'{indent}raise NotImplementedError("{owner}: write your solution here")\n')
            elif stripped.startswith(END):
                raise StubError(f"{filename}:{number}: {END} without {BEGIN}")
            else:
                out.append(line)
        elif stripped.startswith(END):
            region_start = None
        elif stripped.startswith(BEGIN):
            raise StubError(f"{filename}:{number}: nested {BEGIN} (the region opened on line {region_start})")
    if region_start is not None:
        raise StubError(f"{filename}:{region_start}: {BEGIN} is never closed")
    return "".join(out)


def generate_stubs(*, check: bool = False, kit: Kit | None = None) -> list[Path]:
    """Write every exercise's stub; with ``check``, only report the stubs that would change.

    Returns the stub files that differ (were written, or would be).
    """
    kit = kit or Kit.installed()
    changed = []
    for exercise in kit.exercises:
        path = kit.solution_path(exercise)
        stub = generate_stub(path.read_text(encoding="utf-8"), filename=str(path))
        target = kit.stub_path(exercise)
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != stub:
            changed.append(target)
            if not check:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(stub, encoding="utf-8")
    return changed
