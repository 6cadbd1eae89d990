"""Stub generation: solution regions become NotImplementedError, everything else is kept."""
from __future__ import annotations

import pytest

from autograder.release.stubgen import StubError, generate_stub

SOLUTION = '''import numpy as np


def f(x):
    """Docstring kept."""
    # BEGIN SOLUTION
    return x * 2
    # END SOLUTION


class Net:
    def forward(self, x):
        # BEGIN SOLUTION
        return x
        # END SOLUTION
'''


def test_regions_become_not_implemented():
    stub = generate_stub(SOLUTION, filename="s.py")
    assert 'raise NotImplementedError("f: write your solution here")' in stub
    assert '        raise NotImplementedError("forward: write your solution here")' in stub
    assert "x * 2" not in stub and '"""Docstring kept."""' in stub
    compile(stub, "stub.py", "exec")


@pytest.mark.parametrize("source, message", [
    ("def f():\n    # BEGIN SOLUTION\n    pass\n", "never closed"),
    ("def f():\n    # END SOLUTION\n", "without"),
    ("def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n", "nested"),
    ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "inside a function"),
])
def test_malformed_regions_name_the_line(source, message):
    with pytest.raises(StubError, match=message):
        generate_stub(source, filename="s.py")
