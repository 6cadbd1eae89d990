"""The ``grade`` command: a thin click layer over ``autograder.api``."""
from __future__ import annotations

import json
import sys

import click

from autograder import api

EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 1, 2, 3


class _ExerciseGroup(click.Group):
    """``grade EXERCISE`` is short for ``grade run EXERCISE``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_ExerciseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="torchgrade")
def main() -> None:
    """Grade PyTorch/numpy exercises: `grade exercise1`, `grade all`, `grade list`.

    Run `grade EXERCISE --help` for the grading options.
    """


def _fail(message: str, code: int = EXIT_USAGE) -> None:
    click.echo(f"grade: error: {message}", err=True)
    sys.exit(code)


@main.command("run")
@click.argument("exercise")
@click.option("--submission", "-s", default=".", show_default=True, metavar="DIR",
              help="Student repository root (with exercises/) or a folder holding the exercise modules.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--seed", type=int, default=api.PUBLIC_SEED, show_default=True,
              help="Seed of the visible checks (hidden checks derive their own).")
@click.option("-k", "pattern", default=None, metavar="PATTERN", help="Run only the checks matching PATTERN.")
def run(exercise: str, submission: str, fmt: str, seed: int, pattern: str | None) -> None:
    """Grade EXERCISE (an id such as exercise1, its number, or `all`).

    Exit status: 0 when every check passed, 1 when any failed, 2 on usage errors.
    """
    from autograder.report import SuiteError, all_passed
    try:
        document = api.grade(exercise, submission=submission, seed=seed, pattern=pattern)
    except api.UsageError as exc:
        _fail(str(exc))
    except SuiteError as exc:
        _fail(str(exc), EXIT_INTERNAL)
    if fmt == "json":
        click.echo(json.dumps(document, indent=2))
    else:
        from autograder.render.text import render
        click.echo(render(document))
    sys.exit(0 if all_passed(document) else EXIT_FAILED)


@main.command("list")
def list_() -> None:
    """List the exercises and their points."""
    for ex in api.list_exercises():
        click.echo(f"{ex['id']:<12} {ex['max_score']:>4} pts  {ex['title']}  ({ex['module']}.py)")


@main.command("stubs")
@click.option("--check", is_flag=True, help="Only report stubs that differ from the solutions; exit 1 if any.")
def stubs(check: bool) -> None:
    """Regenerate exercises/ from solutions/ (solution regions become NotImplementedError)."""
    from autograder.stubgen import StubError, generate_stubs
    try:
        changed = generate_stubs(check=check)
    except (StubError, OSError) as exc:
        _fail(str(exc))
    for path in changed:
        click.echo(f"{'out of date' if check else 'wrote'}: {path}")
    if check and changed:
        sys.exit(EXIT_FAILED)
