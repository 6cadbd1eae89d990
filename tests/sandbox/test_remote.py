"""The student's module as a check sees it: every reply and every transport failure becomes
the outcome a student can act on (without a worker: the session is a stand-in)."""
from __future__ import annotations

import types

import pytest

from autograder.checks.verdict import NotAttempted, StudentError, StudentTimeout
from autograder.sandbox.process import WorkerDied, WorkerProtocolError, WorkerTimeout
from autograder.sandbox.remote import StudentModule
from autograder.sandbox.session import Submission
from autograder.worker import protocol


class FakeSession:
    """Answers every request with ``reply`` (or raises it), like a Session would."""

    def __init__(self, reply, path="/nowhere/exercise9_demo.py") -> None:
        self.reply = reply
        self.submission = Submission(path=path, module="exercise9_demo", display="exercises/exercise9_demo.py")
        self.loaded = {"ok": True}
        self.memo = {}
        self.requests = []

    def request(self, message, *, timeout):
        self.requests.append((message, timeout))
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply

    def load_info(self):
        return self.loaded


def reference_forward(x, w1, w2):
    return x


def student(reply, **kwargs) -> StudentModule:
    return StudentModule(FakeSession(reply, **kwargs), reference=types.SimpleNamespace(forward=reference_forward),
                         timeout=5.0, seed=11)


def error(kind, message="", **extra):
    return protocol.failure(kind, message, **extra)


def test_a_call_sends_plain_data_with_the_seed_and_the_checks_timeout():
    s = student({"ok": True, "result": 42, "args": [1, 2], "kwargs": {}, "stdout": "hi"})
    assert s.forward(1, 2) == 42
    message, timeout = s._session.requests[0]
    assert (message["op"], message["func"], message["args"], message["seed"], timeout) == ("call", "forward", [1, 2], 11, 5.0)
    assert s.args_after("forward", 1, 2) == [1, 2]
    assert s.call("forward", 1, 2, _timeout=60).stdout == "hi" and s._session.requests[-1][1] == 60


@pytest.mark.parametrize("reply, outcome, text", [
    (error(protocol.NOT_IMPLEMENTED, "forward: write your solution here"), NotAttempted, "forward() is not implemented yet"),
    (error(protocol.MISSING_FUNCTION, "exercises/exercise9_demo.py defines no function 'forward'"), StudentError,
     "defines no function 'forward'; expected forward(x, w1, w2)"),
    (error(protocol.SYSTEM_EXIT, "3"), StudentError, "forward() raised SystemExit (3): return the result instead"),
    (error("TypeError", "forward() takes 2 positional arguments", signature="forward(x, w)",
           where=["exercises/exercise9_demo.py, line 3, in forward: return x"]), StudentError,
     "forward() raised TypeError: forward() takes 2 positional arguments\n  at exercises/exercise9_demo.py, line 3, "
     "in forward: return x\n  your signature: forward(x, w); expected: forward(x, w1, w2)"),
    (error(protocol.UNSENDABLE, "value too deeply nested"), StudentError, "forward() raised UnsendableResult"),
    ({"ok": True, "result": 1, "args": [1]}, StudentError, "forward(): malformed reply from the worker"),
])
def test_replies_become_outcomes(reply, outcome, text):
    with pytest.raises(outcome) as info:
        student(reply).forward(1, 2, 3)
    assert text in info.value.message


@pytest.mark.parametrize("exc, outcome, text", [
    (WorkerTimeout("no answer within 5 s"), StudentTimeout, "forward() did not return within 5 s: an infinite loop"),
    (WorkerDied("peer closed the connection"), StudentError, "the process running forward() died without answering"),
    (WorkerProtocolError("reply is not a well-formed answer"), StudentError, "sent back a malformed or oversized"),
])
def test_transport_failures_become_outcomes(exc, outcome, text):
    with pytest.raises(outcome) as info:
        student(exc).forward(1, 2, 3)
    assert text in info.value.message


@pytest.mark.parametrize("kind, message, text", [
    (protocol.NOT_IMPLEMENTED, "", "importing exercises/exercise9_demo.py raised NotImplementedError"),
    (protocol.MISSING_FILE, "exercises/exercise9_demo.py is missing: create it", "is missing: create it"),
    (protocol.CRASHED, "the process died while importing", "the process died while importing"),
    ("SyntaxError", "invalid syntax", "importing exercises/exercise9_demo.py failed: SyntaxError: invalid syntax"),
])
def test_a_module_that_did_not_load_fails_every_call(kind, message, text):
    s = student(None)
    s._session.loaded = s._session.reply = error(kind, message)
    with pytest.raises((StudentError, NotAttempted)) as info:
        s.forward(1)
    assert text in info.value.message
    with pytest.raises((StudentError, NotAttempted)):
        s.load_info()


def test_the_source_is_parsed_once_per_session(tmp_path):
    path = tmp_path / "exercise9_demo.py"
    path.write_text("import numpy\n\ndef forward(x):\n    return x\n")
    s = student(None, path=str(path))
    tree = s.source_tree()
    path.write_text("def broken(:\n")
    assert s.source_tree() is tree  # what every check of this grading judged
    fresh = student(None, path=str(path))
    with pytest.raises(StudentError, match="cannot be parsed: SyntaxError"):
        fresh.source_tree()
