"""``python -m autograder`` is the ``grade`` command."""
from autograder.cli import main

main(prog_name="grade")
