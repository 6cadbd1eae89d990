"""The ``grade`` command: a thin click layer over ``autograder.api``."""
from __future__ import annotations

import os
import sys
import time

import click

import importlib.util

from autograder import api
from autograder.i18n import LANGS, _, join, language, localize
from autograder.render import FORMATS, renderer

EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 1, 2, 3


class _ExerciseGroup(click.Group):
    """``grade EXERCISE`` is short for ``grade run EXERCISE``; usage errors are said in the
    student's language (click's own are English only)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["run", *args]
        return super().parse_args(ctx, args)

    def main(self, args: list[str] | None = None, prog_name: str | None = None, **extra) -> None:
        args = list(sys.argv[1:] if args is None else args)
        try:
            code = super().main(args, prog_name, standalone_mode=False, **extra)
        except click.ClickException as exc:
            _show_usage_error(exc, _language(_lang_option(args)))
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _language(option: str | None) -> str:
    """``--lang`` when given, otherwise the locale's (``LANG=zh_CN.UTF-8`` speaks Chinese)."""
    return language(option, os.environ)


def _lang_option(args: list[str]) -> str | None:
    """The ``--lang`` value of a command line that may not parse (to report why in that language)."""
    for arg, after in zip(args, [*args[1:], None]):
        value = arg.removeprefix("--lang=") if arg.startswith("--lang=") else after if arg == "--lang" else None
        if value in LANGS:
            return value
    return None


def _show_usage_error(exc: click.ClickException, lang: str) -> None:
    if lang == "en":
        exc.show()
        return
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        usage = f"{ctx.command_path} {' '.join(ctx.command.collect_usage_pieces(ctx))}"
        click.echo(_("Usage: {usage}", usage=usage).localize(lang), err=True)
        click.echo(_("Try '{command} --help' for help.", command=ctx.command_path).localize(lang), err=True)
    click.echo(_("Error: {message}", message=_usage_message(exc, ctx)).localize(lang), err=True)


def _usage_message(exc: click.ClickException, ctx: click.Context | None) -> str:
    """Click's message rebuilt from what the exception holds, so that it can be translated."""
    if isinstance(exc, click.NoSuchOption):
        similar = ", ".join(sorted(exc.possibilities or ()))
        return (_("no such option: {option} (did you mean {similar}?)", option=exc.option_name, similar=similar)
                if similar else _("no such option: {option}", option=exc.option_name))
    if isinstance(exc, click.MissingParameter) and exc.param is not None and ctx is not None:
        return _("missing {what} {name}", what=_("argument") if exc.param.param_type_name == "argument" else
                _("option"),
                 name=exc.param.get_error_hint(ctx))
    if isinstance(exc, click.BadParameter) and exc.param is not None and ctx is not None:
        return _("invalid value for {name}: {reason}", name=exc.param.get_error_hint(ctx), reason=exc.message)
    return exc.format_message()


@click.group(cls=_ExerciseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="torchgrade")
def main() -> None:
    """Grade PyTorch/numpy exercises: `grade exercise1`, `grade all`, `grade list`.

    Run `grade EXERCISE --help` for the grading options.
    """


def entry() -> None:
    """The console script: run the CLI, then leave without the interpreter's teardown
    (unloading torch alone takes ~0.4 s of every `grade`)."""
    try:
        main(prog_name="grade")
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, str):
            click.echo(exc.code, err=True)
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _fail(message: str, code: int = EXIT_USAGE, lang: str = "en") -> None:
    click.echo(_("grade: error: {message}", message=message).localize(lang), err=True)
    sys.exit(code)


def _require_instructor_kit(command: str):
    """The installed kit, unless it is a student release (which has no solutions)."""
    from autograder.kit import Kit
    kit = Kit.installed()
    if kit.is_release:
        _fail(f"this is a student release: `grade {command}` needs the instructor's kit")
    return kit


@main.command("run")
@click.argument("exercise")
@click.option("--submission", "-s", default=".", show_default=True, metavar="DIR",
              help="Student repository root (with exercises/) or a folder holding the exercise modules.")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="text", show_default=True,
              help="text for people; json is the canonical document; the others are grade-book formats.")
@click.option("--seed", type=int, default=None,
              help="Seed of the visible checks (hidden checks derive their own); default: 0, the public "
                   "seed (in a platform package: the seed it was built with).")
@click.option("-k", "pattern", default=None, metavar="PATTERN", help="Run only the checks matching PATTERN (a check id selects exactly that check; otherwise a pytest -k expression).")
@click.option("--sandbox", type=click.Choice(["auto", "none"]), default="auto", show_default=True,
              help="auto: the strongest isolation available here (namespaces, rlimits); "
                   "none: the process split only (for platforms without them).")
@click.option("--watch", "watching", is_flag=True,
              help="Stay running: grade again on every save of the exercise file, say what changed; Ctrl-C ends.")
@click.option("--lang", type=click.Choice(LANGS), default=None,
              help="Language of the feedback: en, or zh (简体中文); default: zh when the locale (LANG, LC_ALL, "
                   "LANGUAGE) is a zh one, else en. JSON keeps English and adds the translation beside it.")
def run(exercise: str, submission: str, fmt: str, seed: int | None, pattern: str | None, sandbox: str,
        watching: bool, lang: str | None) -> None:
    """Grade EXERCISE (an id such as exercise1, its number, or `all`).

    Exit status: 0 when every check passed, 1 when any failed, 2 on usage errors.
    """
    from autograder.engine.report import SuiteError, all_passed
    lang = _language(lang)
    if watching:
        _watch(exercise, submission=submission, fmt=fmt, seed=seed, pattern=pattern, sandbox=sandbox, lang=lang)
        return
    streaming = _Streaming(lang) if fmt == "text" else None  # each exercise's block as soon as it is graded
    try:
        if streaming is not None:
            streaming.start(len(api.resolve_exercises(exercise)))
        document = api.grade(exercise, submission=submission, seed=seed, pattern=pattern, sandbox=sandbox,
                             on_exercise=streaming.show if streaming is not None else None, lang=lang)
    except api.UsageError as exc:
        _fail(exc.args[0], lang=lang)
    except SuiteError as exc:
        _fail(str(exc), EXIT_INTERNAL)
    finally:
        if streaming is not None:
            streaming.clear()
    if streaming is not None:
        streaming.finish(document)
    else:
        click.echo(renderer(fmt)(document))
    sys.exit(0 if all_passed(document) else EXIT_FAILED)


def _watch(exercise: str, *, submission: str, fmt: str, seed: int | None, pattern: str | None, sandbox: str,
           lang: str) -> None:
    from autograder.render.text import render
    from autograder.watch import watch
    if fmt != "text":
        _fail(_("--watch shows the text report; use --format json without --watch"), lang=lang)

    def show(document: dict, changed: dict) -> None:
        click.clear()
        click.echo(render(document))
        news = [_("now passing: {checks}", checks=", ".join(changed["passing"]))] if changed["passing"] else []
        news += [_("now failing: {checks}", checks=", ".join(changed["failing"]))] if changed["failing"] else []
        click.echo(_("{time} · {news} · watching for changes (Ctrl-C to stop)", time=time.strftime("%H:%M:%S"),
                     news=join("; ", news) if news else _("graded")).localize(lang))
    try:
        watch(exercise, on_result=show, submission=submission, seed=seed, pattern=pattern, sandbox=sandbox, lang=lang)
    except api.UsageError as exc:
        _fail(exc.args[0], lang=lang)
    except KeyboardInterrupt:
        sys.exit(0)


class _Streaming:
    """The text report printed an exercise at a time, with a one-line progress indicator on
    stderr when it is a terminal (`grade all` takes half a minute)."""

    def __init__(self, lang: str = "en") -> None:
        self.lang = lang
        self.shown: set[str] = set()
        self.total = 0
        # the streams as they are now: the suites run with sys.stdout/stderr redirected (pytest's output)
        self.out, self.err = sys.stdout, sys.stderr
        self.terminal = self.err.isatty()

    def start(self, total: int) -> None:
        self.total = total
        self._progress()

    def show(self, exercise: dict) -> None:
        from autograder.render.text import render_exercise
        self.clear()
        click.echo(render_exercise(exercise, self.lang), file=self.out)
        self.out.flush()
        self.shown.add(exercise["id"])
        self._progress()

    def finish(self, document: dict) -> None:
        from autograder.render.text import render_exercise, render_footer
        for exercise in document["exercises"]:  # any the run did not report on its way (no checks ran)
            if exercise["id"] not in self.shown:
                click.echo(render_exercise(exercise, self.lang), file=self.out)
        click.echo(render_footer(document), file=self.out)

    def _progress(self) -> None:
        if self.terminal and self.total > 1 and len(self.shown) < self.total:
            click.echo("\r" + _("grading… {done}/{total} exercises done", done=len(self.shown),
                                 total=self.total).localize(self.lang), nl=False, file=self.err)
            self.err.flush()

    def clear(self) -> None:
        if self.terminal and self.total > 1:
            click.echo("\r\x1b[K", nl=False, file=self.err)


if importlib.util.find_spec("autograder.batch") is not None:  # the instructor's kit (a release has no batch)
    from autograder.batch.cli import batch
    main.add_command(batch)


@main.command("list")
@click.option("--lang", type=click.Choice(LANGS), default=None, help="Language of the titles (as `grade --lang`).")
def list_(lang: str | None) -> None:
    """List the exercises and their points."""
    from autograder.kit import Kit
    lang = _language(lang)
    kit = Kit.installed()
    for ex in api.list_exercises(kit=kit):
        hidden = kit.hidden_checks(ex["id"])  # a student release: say what is graded later
        split = ""
        if hidden and hidden["checks"]:
            values = dict(public=ex["max_score"] - hidden["points"], points=hidden["points"], n=hidden["checks"])
            split = "  " + (_("({public:g} public, {points:g} in 1 hidden check at final grading)", **values)
                            if hidden["checks"] == 1 else
                            _("({public:g} public, {points:g} in {n} hidden checks at final grading)", **values)
                            ).localize(lang)
        points = _("{points:>4} pts", points=ex["max_score"]).localize(lang)
        click.echo(f"{ex['id']:<12} {points}  {localize(ex['title'], lang)}  ({ex['module']}.py){split}")


@main.command("release")
@click.option("--out", required=True, metavar="DIR", help="Where to write the student repository (new or empty).")
@click.option("--exercises", default=None, metavar="LIST", help="Comma-separated exercises to release (default: all).")
@click.option("--no-verify", is_flag=True, help="Skip grading the release against the kit and the leak audit.")
def release(out: str, exercises: str | None, no_verify: bool) -> None:
    """Write the student template: stubs, engine, public suites with recorded expected
    values, README, classroom workflow; no solution code and no hidden checks."""
    _require_instructor_kit("release")
    from autograder.release.build import ReleaseError, build
    names = [n.strip() for n in exercises.split(",") if n.strip()] if exercises else None
    try:
        manifest = build(out, exercises=names, verify=not no_verify)
    except ReleaseError as exc:
        _fail(str(exc), EXIT_FAILED)
    for entry in manifest["exercises"]:
        verified = _verified(manifest, entry["id"])
        click.echo(f"{entry['id']:<10} {entry['public_checks']} public checks ({entry['public_points']:g} pts), "
                   f"{entry['hidden_checks']} hidden ({entry['hidden_points']:g} pts) left out, "
                   f"{entry['recorded_calls']} reference calls recorded{verified}")
    click.echo(f"wrote {out}")


def _verified(manifest: dict, exercise_id: str) -> str:
    checked = manifest.get("verification", {}).get(exercise_id)
    return (f"; same points as the kit (reference {checked['reference']}, stubs {checked['stubs']})"
            if checked else "")


@main.command("package")
@click.argument("platform", type=click.Choice(["gradescope", "classroom50"]))
@click.option("--out", required=True, metavar="PATH",
              help="gradescope: the zip to write (autograder.zip); classroom50: a new or empty folder.")
@click.option("--exercises", default=None, metavar="LIST", help="Comma-separated exercises to grade (default: all).")
@click.option("--seed", type=int, default=None,
              help="Seed the expected values are recorded at (default: a fresh random one, printed; "
                   "a new seed each term keeps last term's answers from carrying over).")
@click.option("--hidden-visibility", default="after_published", show_default=True,
              type=click.Choice(["hidden", "after_due_date", "after_published", "visible"]),
              help="gradescope: when students see the hidden checks' results.")
@click.option("--no-verify", is_flag=True, help="Skip grading the package against the kit (the leak audit still runs).")
@click.option("--lang", type=click.Choice(LANGS), default="en", show_default=True,
              help="Language of the feedback the platform shows students (zh: 简体中文).")
def package(platform: str, out: str, exercises: str | None, seed: int | None, hidden_visibility: str,
            no_verify: bool, lang: str) -> None:
    """Write the grader a platform runs: every check, hidden ones included, with expected values
    recorded at one seed, and no solution code.

    gradescope: a zip with setup.sh and run_autograder at its root. classroom50: a folder with
    autograder.py and its bundle, for CLASSROOM/autograders/ASSIGNMENT/.
    """
    _require_instructor_kit("package")
    from autograder.release import ReleaseError
    from autograder.release.package import build_package
    names = [n.strip() for n in exercises.split(",") if n.strip()] if exercises else None
    try:
        manifest = build_package(platform, out, exercises=names, seed=seed, hidden_visibility=hidden_visibility,
                                 verify=not no_verify, lang=lang)
    except ReleaseError as exc:
        _fail(str(exc), EXIT_FAILED)
    for entry in manifest["exercises"]:
        verified = _verified(manifest, entry["id"])
        click.echo(f"{entry['id']:<10} {entry['checks']} checks ({entry['points']:g} pts), "
                   f"{entry['recorded_calls']} reference calls recorded{verified}")
    click.echo(f"seed {manifest['seed']} (the package's expected values are for this seed only)")
    click.echo(f"wrote {out}")


@main.command("stubs")
@click.option("--check", is_flag=True, help="Only report stubs that differ from the solutions; exit 1 if any.")
def stubs(check: bool) -> None:
    """Regenerate exercises/ from solutions/ (solution regions become NotImplementedError)."""
    _require_instructor_kit("stubs")
    from autograder.release.stubgen import StubError, generate_stubs
    try:
        changed = generate_stubs(check=check)
    except (StubError, OSError) as exc:
        _fail(str(exc))
    for path in changed:
        click.echo(f"{'out of date' if check else 'wrote'}: {path}")
    if check and changed:
        sys.exit(EXIT_FAILED)


@main.command("workflow")
@click.option("--check", is_flag=True, help="Only report whether classroom.yml is out of date; exit 1 if so.")
def workflow(check: bool) -> None:
    """Regenerate classroom.yml (the student repositories' GitHub Actions workflow) from the registry."""
    kit = _require_instructor_kit("workflow")
    from autograder.release.workflow import render_workflow, workflow_path
    path = workflow_path(kit)
    text = render_workflow(kit.exercises)
    current = path.read_text(encoding="utf-8") if path.exists() else None
    if current == text:
        return
    click.echo(f"{'out of date' if check else 'wrote'}: {path}")
    if check:
        sys.exit(EXIT_FAILED)
    path.write_text(text, encoding="utf-8")
