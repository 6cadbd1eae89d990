"""The public part of a suite: hidden checks cut out, everything else byte for byte."""
from __future__ import annotations

import pytest

from autograder.release import ReleaseError
from autograder.release.public import public_suite

SUITE = '''"""doc"""
from autograder.checks import check

HELPER = 3


@check(points=5)
def test_public(student):
    pass


# about the secret one
@check(points=7, hidden=True, hint="x")
def test_secret(student, rng):
    secret_line = 42


@check(10, hidden=False)
def test_other(student):
    pass
'''


def test_public_suite_removes_hidden_checks_only():
    text, hidden = public_suite(SUITE, filename="suite.py")
    assert [h.name for h in hidden] == ["test_secret"] and hidden[0].points == 7
    assert "secret" not in text and "test_public" in text and "test_other" in text and "HELPER = 3" in text
    assert text == SUITE.replace('''# about the secret one
@check(points=7, hidden=True, hint="x")
def test_secret(student, rng):
    secret_line = 42


''', "")


def test_public_suite_refuses_a_computed_hidden_flag():
    with pytest.raises(ReleaseError, match="literal"):
        public_suite("from x import check\n@check(points=1, hidden=FLAG)\ndef test_a():\n    pass\n",
                             filename="s.py")
