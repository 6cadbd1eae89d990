"""The cheat bank: each entry of tests/cheats/ earns nothing on the checks it targets.

Every cheat is graded at the strongest isolation available here (``auto``) and with
``--sandbox none``.  Two attacks need the namespace layers and cannot be stopped by the
process split alone: reading the solutions from disk (c07) and asking the network (c09);
at ``none`` their tests say so (xfail) instead of pretending.
"""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from banks import (CHEATS, LEVELS, VALUE_CHECKS, assert_no_survivors, checks, copy_submission, grade,
                   strongest_level)
from conftest import KIT


@pytest.fixture(autouse=True)
def no_survivors():
    yield
    assert_no_survivors()


# The train checks cost seconds each (500 reference steps, known-mistake replays); cheats whose
# train() is the same do-nothing as their other functions are graded without them.
NOT_TRAIN = "not train"
NO_TRAIN_CHECKS = VALUE_CHECKS - {"train", "train_defaults"}


def assert_value_checks_earn_nothing(document: dict, targeted: set = VALUE_CHECKS) -> dict:
    by_id = checks(document)
    assert targeted <= set(by_id), sorted(by_id)
    earned = {cid: (c["status"], c["message"][:150]) for cid, c in by_id.items()
              if cid in targeted and (c["score"] > 0 or c["status"] == "passed")}
    assert not earned, earned
    for cid in targeted:  # flagged: every targeted check says what went wrong
        assert by_id[cid]["message"], cid
    return by_id


@pytest.fixture(scope="module")
def level():
    return strongest_level()


@pytest.mark.parametrize("mode", LEVELS)
def test_always_equal_objects_and_subclasses(tmp_path, mode, level):
    document = grade(copy_submission(CHEATS, "c01_always_equal", tmp_path), mode)
    assert document["sandbox"] == (level if mode == "auto" else "none")
    by_id = assert_value_checks_earn_nothing(document)
    assert "AlwaysEqual" in by_id["forward"]["message"]
    assert "subclass of numpy.ndarray" in by_id["backward"]["message"]


@pytest.mark.parametrize("mode", LEVELS)
def test_monkeypatching_libraries_at_import(tmp_path, mode):
    assert_value_checks_earn_nothing(grade(copy_submission(CHEATS, "c02_monkeypatch", tmp_path), mode, pattern=NOT_TRAIN),
                                     NO_TRAIN_CHECKS)


@pytest.mark.parametrize("mode", LEVELS)
def test_reading_frames_and_the_heap(tmp_path, mode):
    assert_value_checks_earn_nothing(grade(copy_submission(CHEATS, "c03_frames_gc", tmp_path), mode, pattern=NOT_TRAIN),
                                     NO_TRAIN_CHECKS)


@pytest.mark.parametrize("mode", LEVELS)
def test_exits_and_signals(tmp_path, mode):
    document = grade(copy_submission(CHEATS, "c04_exit_signals", tmp_path), mode, call_timeout=5.0)
    by_id = assert_value_checks_earn_nothing(document)
    assert "SystemExit" in by_id["forward"]["message"]
    assert by_id["loss"]["status"] == "error" and "died" in by_id["loss"]["message"]


@pytest.mark.parametrize("mode", LEVELS)
def test_forged_reports_and_output(tmp_path, mode):
    root = copy_submission(CHEATS, "c05_fake_report", tmp_path)
    assert_value_checks_earn_nothing(grade(root, mode, pattern=NOT_TRAIN), NO_TRAIN_CHECKS)
    # The CLI's output is the grader's document and nothing else: forged "PASS" lines and JSON
    # written to stdout, stderr, fd 1/2 or an atexit hook never reach it.
    result = subprocess.run([sys.executable, "-m", "autograder", "exercise1", "--submission", str(root),
                             "--format", "json", "--sandbox", mode, "-k", "forward"],
                            capture_output=True, text=True, timeout=120)
    document = json.loads(result.stdout)
    assert document["score"] == 0 and len(document["exercises"][0]["checks"]) == 1
    assert "PASS  forward  15/15" not in result.stdout + result.stderr
    assert result.returncode == 1
    if mode == "auto" and document["sandbox"] == "full":
        assert not list(root.rglob("*.json")), "the read-only submission was written to"


@pytest.mark.parametrize("mode", LEVELS)
def test_config_files_in_the_submission(tmp_path, mode):
    before = time.time()
    root = copy_submission(CHEATS, "c06_config_files", tmp_path)
    document = grade(root, mode, pattern=NOT_TRAIN)
    by_id = assert_value_checks_earn_nothing(document, NO_TRAIN_CHECKS)
    assert len(by_id) == 9  # the conftest.py that empties the collection was never loaded
    ran = [p.name for p in Path(tempfile.gettempdir()).glob("torchgrade-cheat6-ran-*")
           if p.stat().st_mtime >= before]
    assert not ran, f"submission files were executed: {ran}"


@pytest.mark.parametrize("mode", LEVELS)
def test_reading_the_solutions(tmp_path, mode, level):
    document = grade(copy_submission(CHEATS, "c07_read_solutions", tmp_path), mode, call_timeout=8.0, pattern=NOT_TRAIN)
    if document["sandbox"] != "full":
        earned = {c["id"] for c in checks(document).values() if c["id"] in VALUE_CHECKS and c["score"] > 0}
        if earned:
            pytest.xfail(f"needs the private filesystem of the namespace layers (sandbox "
                         f"{document['sandbox']}): the solutions were read, {sorted(earned)} earned points")
    assert_value_checks_earn_nothing(document, NO_TRAIN_CHECKS)


@pytest.mark.parametrize("mode", LEVELS)
def test_payloads_and_lying_headers(tmp_path, mode):
    marker = Path("/tmp/torchgrade-cheat8-unpickled")
    marker.unlink(missing_ok=True)
    by_id = assert_value_checks_earn_nothing(grade(copy_submission(CHEATS, "c08_payloads", tmp_path), mode))
    assert not marker.exists()
    assert "malformed or oversized" in by_id["backward"]["message"]
    assert "exceeds" in by_id["sgd_update"]["message"]


@pytest.mark.parametrize("mode", LEVELS)
def test_symlink_to_the_reference(tmp_path, mode):
    root = copy_submission(CHEATS, "c08_symlink", tmp_path)
    (root / "exercises" / "exercise1_numpy_net.py").symlink_to(KIT.solution_path(KIT.find("exercise1")))
    document = grade(root, mode)
    assert document["score"] == 0
    assert all("symbolic link" in c["message"] for c in checks(document).values())


class _Oracle:
    """A loopback service that answers with the reference's results (what a cheat would want)."""

    def __init__(self) -> None:
        import numpy as np
        self.np, self.reference = np, KIT.solution(KIT.find("exercise1"))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                data = b""
                while not data.endswith(b"\n"):
                    chunk = conn.recv(1 << 20)
                    if not chunk:
                        break
                    data += chunk
                try:
                    request = json.loads(data)
                    args = [self.np.array(a) for a in request["args"]]
                    result = getattr(self.reference, request["func"])(*args)
                    if isinstance(result, tuple):
                        result = [self.np.asarray(r).tolist() for r in result]
                    elif isinstance(result, self.np.ndarray):
                        result = result.tolist()
                    conn.sendall(json.dumps(result).encode() + b"\n")
                except Exception:  # noqa: BLE001
                    pass

    def close(self) -> None:
        self.listener.close()


@pytest.mark.parametrize("mode", LEVELS)
def test_asking_the_network(tmp_path, mode):
    root = copy_submission(CHEATS, "c09_network", tmp_path)
    oracle = _Oracle()
    try:
        (root / "exercises" / "oracle_port.txt").write_text(str(oracle.port))
        document = grade(root, mode, pattern="forward or loss or backward")
    finally:
        oracle.close()
    if "no-network" not in document["sandbox_layers"]:
        assert oracle.connections > 0  # the oracle works: without a network namespace it is reached
        pytest.xfail(f"needs the network namespace (sandbox {document['sandbox']}): the oracle answered "
                     f"{oracle.connections} requests")
    assert oracle.connections == 0
    assert_value_checks_earn_nothing(document, NO_TRAIN_CHECKS - {"sgd_update"})


@pytest.mark.parametrize("mode", LEVELS)
def test_hard_coded_public_answers_fail_hidden_checks(tmp_path, mode):
    document = grade(copy_submission(CHEATS, "c10_hardcoded", tmp_path), mode, pattern=NOT_TRAIN)
    by_id = checks(document)
    hidden = [c for c in by_id.values() if c["visibility"] == "hidden"]
    assert hidden and all(c["score"] == 0 for c in hidden), [(c["id"], c["status"]) for c in hidden]
    assert by_id["forward"]["status"] == "passed"  # the replay does work on the public seed...
    assert document["score"] <= 35  # ...and on nothing else


def test_every_cheat_in_the_bank_is_tested():
    tested = {"c01_always_equal", "c02_monkeypatch", "c03_frames_gc", "c04_exit_signals", "c05_fake_report",
              "c06_config_files", "c07_read_solutions", "c08_payloads", "c08_symlink", "c09_network",
              "c10_hardcoded"}
    assert {p.name for p in CHEATS.iterdir() if p.is_dir()} == tested
    assert "cheats" in __import__("conftest").collect_ignore
