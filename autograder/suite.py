"""Everything a grading suite imports, in one place.

A suite is ``autograder/suites/<exercise id>.py``; each ``test_*`` function is a check::

    @check(points=10, hint="relu(x @ w1) @ w2")
    def test_forward(student, reference, rng):
        x, w1, w2 = ...
        expect(student.forward(x, w1, w2), reference.forward(x, w1, w2), name="forward(x, w1, w2)")

The fixtures ``student``, ``reference``, ``seed`` and ``rng`` come from ``autograder.plugin``.
"""
from autograder.compare import Mistake, compare, describe_type, expect, expect_unchanged, known_mistake, to_numbers
from autograder.gradcheck import check_gradient
from autograder.plugin import check
from autograder.replay import oracle
from autograder.verdict import CheckFailed, Partial, Verdict, require

__all__ = ["check", "oracle", "expect", "expect_unchanged", "known_mistake", "to_numbers", "compare", "describe_type", "Mistake", "check_gradient", "require",
           "CheckFailed", "Partial", "Verdict"]
