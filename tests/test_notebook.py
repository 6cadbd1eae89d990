"""autograder.check: a notebook's call grades in worker processes and returns a Result that
is the canonical document and renders as a table."""
from __future__ import annotations

import sys

import autograder
from autograder.notebook import Result
from conftest import KIT, write_mutant


def test_check_returns_a_result_that_is_the_document_and_renders(tmp_path):
    root = write_mutant(tmp_path, "exercise1", [("return float(np.square(y_pred - y).sum())",
                                                 "return float(np.square(y_pred - y).mean())")])
    for _ in range(2):  # safe to call again in one kernel
        result = autograder.check("exercise1", submission=root, pattern="loss")
        assert isinstance(result, Result) and result["score"] == 0 and result.document["max_score"] == 10
        assert dict(result) == result.document
        assert ">FAIL<" in result._repr_html_() and "*sum*" in result._repr_html_()
        assert "FAIL  loss" in repr(result) and "\x1b[" not in repr(result)
    module = KIT.find("exercise1").module
    assert module not in sys.modules  # the student's module never ran in this process
