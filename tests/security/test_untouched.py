"""Grading never modifies a submission: after a grading the folder is byte-identical, at
every isolation level (bubblewrap and unshare mount it read-only; with rlimits only and with
``--sandbox none`` it is writable, and once gained ``__pycache__/`` from the worker's import).
The batch grade-book keys results on a submission's content, so this is what lets it see an
unchanged submission as unchanged."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import autograder
from autograder.sandbox import isolation
from banks import assert_no_survivors
from conftest import KIT

# "without <tools>": the auto plan on a machine that lacks them
LEVELS = {"auto": (), "none": (), "auto without bwrap": ("bwrap",), "auto without bwrap and unshare": ("bwrap", "unshare")}


def snapshot(root: Path) -> dict:
    """Every entry under ``root``: its kind, permission bits and, for files, its bytes."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            found[path.relative_to(root).as_posix()] = (oct(st.st_mode), path.read_bytes() if path.is_file() else None)
    return found


@pytest.mark.parametrize("level", LEVELS)
def test_grading_leaves_the_submission_byte_identical(tmp_path, monkeypatch, level):
    real_which = shutil.which
    hidden = LEVELS[level]
    monkeypatch.setattr(isolation.shutil, "which",
                        lambda name, *a, **k: None if name in hidden else real_which(name, *a, **k))
    root = tmp_path / "student"
    shutil.copytree(KIT.solutions_dir, root / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "README.md").write_text("my work\n")
    (root / "data").mkdir()
    (root / "data" / "weights.bin").write_bytes(bytes(range(256)))
    before = snapshot(root)
    document = autograder.grade(["exercise1", "exercise4"], submission=root, sandbox=level.split()[0],
                                pattern="loss or conv_output_shape", kit=KIT)
    assert document["score"] == document["max_score"] > 0
    assert snapshot(root) == before, sorted(set(snapshot(root)) ^ set(before))
    assert_no_survivors()
