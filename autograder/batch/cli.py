"""``grade batch``: the instructor's commands, a thin click layer over ``autograder.batch``."""
from __future__ import annotations

import sys
from pathlib import Path

import click

EXIT_FAILED, EXIT_USAGE, EXIT_STOPPED = 1, 2, 3


class _BatchGroup(click.Group):
    """``grade batch SUBMISSIONS --out DIR`` is short for ``grade batch run SUBMISSIONS --out DIR``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["run", *args]
        return super().parse_args(ctx, args)


def _fail(message: str, code: int = EXIT_USAGE) -> None:
    click.echo(f"grade batch: error: {message}", err=True)
    sys.exit(code)


def _exercises(value: str) -> list[str] | str:
    return "all" if value == "all" else [v.strip() for v in value.split(",") if v.strip()]


@click.group(cls=_BatchGroup)
def batch() -> None:
    """Grade a whole course: `grade batch SUBMISSIONS --out DIR`, then `status`, `regrade`, `export`.

    SUBMISSIONS holds one folder or .zip per student (the student id is its name); DIR
    receives the grade-book (gradebook.sqlite), grades.csv, feedback/ and summary.json.
    Rerunning grades only what changed.
    """


@batch.command("run")
@click.argument("submissions", type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Where the grade-book and the outputs go (rerun with the same DIR to resume).")
@click.option("--exercises", default="all", show_default=True, metavar="LIST", help="Comma-separated exercises, or all.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Parallel lanes (default: all cores).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the visible checks, as for `grade`.")
@click.option("--roster", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="CSV with a 'student' column (the entry names) and LMS identifiers (name, email, sis_user_id, ...).")
@click.option("--lms", type=click.Choice(["plain", "canvas", "moodle"]), default="plain", show_default=True,
              help="The shape of grades.csv.")
@click.option("--sandbox", type=click.Choice(["auto", "none"]), default="auto", show_default=True,
              help="auto: the strongest isolation available here; none: the process split only.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Grade on the workers of this Dask scheduler (tcp://HOST:8786) instead of local lanes; "
                   "needs torchgrade[dask]. See the README, 'Grading on a cluster'.")
def run(submissions: Path, out: Path, exercises: str, jobs: int | None, seed: int, roster: Path | None, lms: str,
        sandbox: str, scheduler: str | None) -> None:
    """Grade every submission in SUBMISSIONS that the grade-book in DIR does not have yet.

    Exit status: 0 when every submission was graded, 1 when some could not be (rejected, or
    the grader failed: see DIR/summary.json), 2 on usage errors, 3 when the batch stopped
    before the end (the cluster gone, no grader with this kit: rerun to resume), 130 when
    interrupted.
    """
    from autograder.batch.cluster import ClusterError
    from autograder.batch.gradebook import ForeignGradebook
    from autograder.batch.lane import KitMismatch
    from autograder.batch.run import run_batch
    from autograder.kit import UnknownExercise
    try:
        outcome = run_batch(submissions, out=out, exercises=_exercises(exercises), jobs=jobs, seed=seed,
                            roster=roster, lms=lms, sandbox=sandbox, scheduler=scheduler)
    except (ForeignGradebook, UnknownExercise, FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    except (ClusterError, KitMismatch) as exc:
        _fail(f"stopped: {exc}", EXIT_STOPPED)
    except KeyboardInterrupt:
        click.echo("\ninterrupted: every committed result is in the grade-book; run the same command to resume",
                   err=True)
        sys.exit(130)
    _report(outcome, out)
    sys.exit(EXIT_FAILED if outcome["counts"]["failed"] or outcome["counts"]["errors"] else 0)


def _report(outcome: dict, out: Path) -> None:
    click.echo(f"{outcome['students']} students: {outcome['line']}")
    roster = outcome.get("roster")
    if roster:
        if roster["not_in_roster"]:
            click.echo(f"not in the roster ({len(roster['not_in_roster'])}): {', '.join(roster['not_in_roster'])}")
        if roster["no_submission"]:
            click.echo(f"in the roster, no submission ({len(roster['no_submission'])}): "
                       f"{', '.join(roster['no_submission'])}")
    for pid, rss in sorted(outcome.get("peak_rss", {}).items()):
        click.echo(f"lane {pid}: peak memory {rss / 2**20:.0f} MiB (with its zygotes and workers)")
    if outcome.get("outputs") == "unchanged":
        click.echo(f"nothing changed: {out / 'grades.csv'}, {out / 'feedback'}/ and {out / 'report.html'} are as "
                   f"they were (grade batch export {out} writes them again)")
    else:
        click.echo(f"wrote {out / 'grades.csv'}, {out / 'feedback'}/, {out / 'summary.json'}, {out / 'report.html'}")


@batch.command("status")
@click.argument("out", type=click.Path(file_okay=False, exists=True, path_type=Path), metavar="DIR")
def status(out: Path) -> None:
    """Counts of the grade-book in DIR, per exercise, for the installed kit."""
    from autograder.batch.gradebook import Gradebook
    from autograder.batch.results import class_results
    from autograder.kit import Kit
    kit = Kit.installed()
    book = Gradebook.existing(out)
    try:
        results = class_results(book, kit, book.meta("seed", 0))
    finally:
        book.close()
    click.echo(f"{len(results)} students ({sum(1 for r in results if r.problem)} rejected at intake)")
    click.echo(f"{'exercise':<11} {'graded':>7} {'failed':>7} {'errors':>7} {'pending':>8} {'mean':>6}")
    for ex in kit.exercises:
        cells = [r.cells[ex.id] for r in results]
        count = {s: sum(c.state == s for c in cells) for s in ("graded", "failed", "error", "pending")}
        scores = [c.score for c in cells if c.state == "graded"]
        mean = f"{sum(scores) / len(scores):.1f}" if scores else "-"
        click.echo(f"{ex.id:<11} {count['graded']:>7} {count['failed']:>7} {count['error']:>7} {count['pending']:>8} "
                   f"{mean:>6}")


@batch.command("regrade")
@click.argument("out", type=click.Path(file_okay=False, exists=True, path_type=Path), metavar="DIR")
@click.option("--student", "students", required=True, multiple=True, metavar="ID", help="A student id (repeatable).")
@click.option("--exercises", default="all", show_default=True, metavar="LIST", help="Comma-separated exercises, or all.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Parallel lanes (default: all cores).")
def regrade(out: Path, students: tuple[str, ...], exercises: str, jobs: int | None) -> None:
    """Grade these students again on purpose (a regrade request), from their current files."""
    from autograder.batch.run import regrade as regrade_students
    try:
        outcome = regrade_students(out, students=list(students), exercises=_exercises(exercises), jobs=jobs)
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    _report(outcome, out)


@batch.command("report")
@click.argument("out", type=click.Path(file_okay=False, exists=True, path_type=Path), metavar="DIR")
def report(out: Path) -> None:
    """Write DIR/report.html (and summary.json) again from the grade-book: open it in a browser."""
    from autograder.batch.run import export_outputs
    try:
        export_outputs(out, report_only=True)
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    click.echo(f"wrote {out / 'report.html'}")


@batch.command("export")
@click.argument("out", type=click.Path(file_okay=False, exists=True, path_type=Path), metavar="DIR")
@click.option("--lms", type=click.Choice(["plain", "canvas", "moodle"]), default=None,
              help="The shape of grades.csv (default: the last run's).")
def export(out: Path, lms: str | None) -> None:
    """Write grades.csv, feedback/ and summary.json again from the grade-book in DIR."""
    from autograder.batch.run import export_outputs
    try:
        export_outputs(out, lms=lms)
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    click.echo(f"wrote {out / 'grades.csv'}, {out / 'feedback'}/, {out / 'summary.json'}")
