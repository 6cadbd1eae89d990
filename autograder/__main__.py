"""``python -m autograder`` is the ``grade`` command."""
from autograder.cli import entry

entry()
