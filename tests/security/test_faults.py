"""The fault bank: broken submissions in tests/faults/ get a clear message and 0 for what
broke, everything else is graded, the grader returns normally and leaves no process behind.

Each entry is graded at the strongest isolation available here (``auto``) and with
``--sandbox none``.  The bombs are bounded even where no limit contains them (5,000 forks or
threads, one 50 GiB allocation, 300 MB of file, 1 GB of output).  Faults that only hurt
forward() are graded with ``-k forward`` and a 3 s call timeout, to keep the suite fast.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from banks import (FAULTS, LEVELS, assert_no_survivors, checks, copy_submission, grade,
                   memory_bomb_is_bounded_without_limits)

BACKGROUND = "torchgrade-fault-background"


@pytest.fixture(autouse=True)
def no_survivors():
    yield
    assert_no_survivors(BACKGROUND)


def grade_forward(tmp_path, name, mode):
    document = grade(copy_submission(FAULTS, name, tmp_path), mode, pattern="forward", call_timeout=3.0)
    by_id = checks(document)
    assert list(by_id) == ["forward"], list(by_id)
    return by_id["forward"]


@pytest.mark.parametrize("mode", LEVELS)
@pytest.mark.parametrize("name", ["f01_infinite_loop", "f02_sleep"])
def test_hangs_time_out(tmp_path, name, mode):
    forward = grade_forward(tmp_path, name, mode)
    assert forward["status"] == "timeout" and forward["score"] == 0
    assert "did not return within 3 s" in forward["message"]


@pytest.mark.parametrize("mode", LEVELS)
def test_memory_bomb(tmp_path, mode):
    if mode == "none" and not memory_bomb_is_bounded_without_limits():
        pytest.skip("without RLIMIT_AS only the kernel's overcommit check would stop this bomb here")
    forward = grade_forward(tmp_path, "f03_memory_bomb", mode)
    assert forward["status"] == "error" and "MemoryError" in forward["message"]


@pytest.mark.parametrize("mode", LEVELS)
@pytest.mark.parametrize("name", ["f04_fork_bomb", "f05_thread_bomb"])
def test_process_and_thread_bombs(tmp_path, name, mode):
    forward = grade_forward(tmp_path, name, mode)
    assert forward["status"] in ("timeout", "error") and forward["score"] == 0, forward


@pytest.mark.parametrize("mode", LEVELS)
@pytest.mark.parametrize("name", ["f06_deep_recursion", "f07_segfault"])
def test_crashes(tmp_path, name, mode):
    forward = grade_forward(tmp_path, name, mode)
    assert forward["status"] == "error" and "died without answering" in forward["message"], forward


@pytest.mark.parametrize("mode", LEVELS)
def test_huge_output_is_capped(tmp_path, mode):
    forward = grade_forward(tmp_path, "f08_huge_output", mode)
    assert forward["status"] == "passed"
    assert len(json.dumps(forward)) < 20_000


@pytest.mark.parametrize("mode", LEVELS)
def test_huge_file(tmp_path, mode):
    forward = grade_forward(tmp_path, "f09_huge_file", mode)
    if mode == "auto":  # RLIMIT_FSIZE: the write fails at the limit, with a message
        assert forward["status"] == "error" and "File too large" in forward["message"], forward
    else:  # no limit: the file lands in the workers' scratch folder, removed after the run
        assert forward["status"] == "passed"
    assert not list(tmp_path.rglob("huge.bin"))


@pytest.mark.parametrize("mode", LEVELS)
@pytest.mark.parametrize("name, expected", [
    ("f10_syntax_error", ["SyntaxError", "line 5"]),
    ("f11_import_error", ["ModuleNotFoundError", "numpy_extras_that_do_not_exist"]),
    ("f14_non_utf8", ["SyntaxError", "utf-8"]),
])
def test_modules_that_do_not_import(tmp_path, name, expected, mode):
    document = grade(copy_submission(FAULTS, name, tmp_path), mode, pattern="forward or loss")
    by_id = checks(document)
    assert set(by_id) == {"forward", "forward_other_sizes", "loss"}
    for check in by_id.values():
        assert check["status"] == "error" and check["score"] == 0
        assert all(word in check["message"] for word in expected), check["message"]


@pytest.mark.parametrize("mode", LEVELS)
def test_missing_function_loses_only_its_checks(tmp_path, mode):
    document = grade(copy_submission(FAULTS, "f12_missing_function", tmp_path), mode, pattern="not train")
    by_id = checks(document)
    for cid in ("backward", "backward_numerical", "backward_other_sizes"):
        assert by_id[cid]["status"] == "error" and "defines no function 'backward'" in by_id[cid]["message"]
    for cid in ("forward", "forward_other_sizes", "loss", "sgd_update", "numpy_only"):
        assert by_id[cid]["status"] == "passed", (cid, by_id[cid]["message"])


@pytest.mark.parametrize("mode", LEVELS)
def test_wrong_signature(tmp_path, mode):
    document = grade(copy_submission(FAULTS, "f13_wrong_signature", tmp_path), mode, pattern="forward or loss")
    by_id = checks(document)
    assert by_id["forward"]["status"] == "error"
    assert "expected: forward(x, w1, w2)" in by_id["forward"]["message"]
    assert "child.py" not in by_id["forward"]["message"] and "line 98" not in by_id["forward"]["message"]
    assert by_id["loss"]["status"] == "passed"


@pytest.mark.parametrize("mode", LEVELS)
def test_deleting_and_chmodding_what_it_sees(tmp_path, mode):
    root = copy_submission(FAULTS, "f15_delete_chmod", tmp_path)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    document = grade(root, mode, pattern="forward or loss or numpy_only")
    by_id = checks(document)
    assert set(by_id) == {"forward", "forward_other_sizes", "loss", "numpy_only"}
    # Without the layers the submission can destroy itself (then the later checks say the
    # file is missing); the grader itself is untouched either way.
    if "read-only-submission" in document["sandbox_layers"]:
        assert document["score"] == document["max_score"]
        assert files == sorted(p for p in root.rglob("*") if p.is_file())
        assert all(os.access(p, os.R_OK) for p in files)
    for path in [root, *root.rglob("*")]:  # (without the layers the files may be gone)
        os.chmod(path, 0o755)


@pytest.mark.parametrize("mode", LEVELS)
def test_changing_the_working_directory(tmp_path, mode):
    document = grade(copy_submission(FAULTS, "f16_chdir", tmp_path), mode, pattern="not train")
    assert document["score"] == document["max_score"] > 0
    assert Path.cwd() == Path(os.getcwd())


@pytest.mark.parametrize("mode", LEVELS)
def test_background_processes_are_killed(tmp_path, mode):
    forward = grade_forward(tmp_path, "f17_background", mode)
    assert forward["status"] == "passed"
    assert_no_survivors(BACKGROUND)


def test_every_fault_in_the_bank_is_tested():
    names = {p.name for p in FAULTS.iterdir() if p.is_dir()}
    assert names == {f"f{i:02d}_{n}" for i, n in enumerate(
        ["infinite_loop", "sleep", "memory_bomb", "fork_bomb", "thread_bomb", "deep_recursion", "segfault",
         "huge_output", "huge_file", "syntax_error", "import_error", "missing_function", "wrong_signature",
         "non_utf8", "delete_chmod", "chdir", "background"], start=1)}
