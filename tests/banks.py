"""Helpers for the cheat and fault banks (tests/cheats/, tests/faults/) and the sandbox tests."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import autograder
from autograder.sandbox import isolation
from autograder.sandbox.process import process_tag
from conftest import KIT

TESTS = Path(__file__).resolve().parent
CHEATS = TESTS / "cheats"
FAULTS = TESTS / "faults"

# The checks of exercise1 that compare what the student's code computed (the ones a cheat
# targets); the two contract checks (inputs unchanged, numpy only) are honest properties a
# do-nothing submission may well have.
VALUE_CHECKS = {"forward", "forward_other_sizes", "loss", "backward", "backward_numerical",
                "backward_other_sizes", "sgd_update", "train", "train_defaults"}
LEVELS = ["auto", "none"]


def strongest_level() -> str:
    """What ``--sandbox auto`` gives on this machine (``full`` where bubblewrap works)."""
    from autograder.sandbox.zygote import make_launcher
    launcher = make_launcher((), sandbox="auto", submission_dirs=[str(TESTS)])
    try:
        return launcher.describe()["sandbox"]
    finally:
        launcher.close()


CORRECT_REST = FAULTS / "correct_rest.py"
REST_MARKER = b"# The correct rest of exercise1 is appended from tests/faults/correct_rest.py"


def copy_submission(bank: Path, name: str, tmp_path: Path) -> Path:
    """A private copy of one bank entry (attacks may delete or chmod what they can reach).

    A fault module that carries ``REST_MARKER`` holds only its faulty function; the correct
    rest of exercise1 is appended, so every fault is graded next to working code."""
    root = tmp_path / name
    shutil.copytree(bank / name, root, symlinks=True)
    for module in (root / "exercises").glob("*.py"):
        if not module.is_symlink() and REST_MARKER in module.read_bytes():
            module.write_bytes(module.read_bytes() + b"\n\n" + CORRECT_REST.read_bytes())
    return root


def grade(root: Path, mode: str, *, pattern: str | None = None, call_timeout: float | None = None) -> dict:
    """exercise1 of ``root``, graded at ``mode``; ``call_timeout`` shortens each call's limit."""
    kit = KIT if call_timeout is None else KIT.with_exercise("exercise1", call_timeout=call_timeout)
    document = autograder.grade("exercise1", submission=root, sandbox=mode, pattern=pattern, kit=kit)
    if mode == "none":
        assert document["sandbox"] == "none", document["sandbox_layers"]
    return document


def checks(document: dict) -> dict:
    return {c["id"]: c for e in document["exercises"] for c in e["checks"]}


def processes_matching(*needles: str) -> list[str]:
    """Command lines of live processes containing any of ``needles`` (zombies excluded)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and any(n in cmdline for n in needles):
            found.append(f"{name}: {cmdline[:200]}")
    return found


def assert_no_survivors(*extra: str, wait: float = 5.0, grader: bool = True) -> None:
    """No process of this grader (zygote, workers, what they forked) nor any matching ``extra``
    is left running; the kernel may take a moment to reap a killed namespace."""
    needles = (process_tag(), *extra) if grader else extra
    deadline = time.monotonic() + wait
    while True:
        left = processes_matching(*needles)
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert not left, left


def memory_bomb_is_bounded_without_limits() -> bool:
    """Without RLIMIT_AS, a single 50 GiB allocation fails only if the kernel refuses it."""
    try:
        mode = int(Path("/proc/sys/vm/overcommit_memory").read_text())
        info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        total = (int(info["MemTotal"].split()[0]) + int(info["SwapTotal"].split()[0])) * 1024
    except (OSError, KeyError, ValueError):
        return False
    return mode != 1 and total < 40 * 2**30


__all__ = ["CHEATS", "FAULTS", "VALUE_CHECKS", "LEVELS", "isolation", "strongest_level", "copy_submission",
           "grade", "checks", "processes_matching", "assert_no_survivors", "memory_bomb_is_bounded_without_limits"]
