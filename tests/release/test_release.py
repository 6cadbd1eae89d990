"""`grade release`: a student template with no solutions and no hidden checks, installed into
a fresh virtual environment, grades every public check exactly as the kit does."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import autograder
from autograder.checks.oracle import oracle
from autograder.engine import replay
from autograder.release import ReleaseError
from autograder.release.build import build
from autograder.release.audit import audit
from autograder.release.public import public_suite
from autograder.release.record import Recorder
from autograder.release.workflow import torch_pin
from conftest import KIT, write_mutant

EXERCISE = "exercise1"
MUTANTS = {  # wrong implementations (as in test_exercise1.py)
    "relu_mask_missing": [("    grad_h[h < 0] = 0\n", "")],
    "loss_averaged": [("return float(np.square(y_pred - y).sum())", "return float(np.square(y_pred - y).mean())")],
    "sgd_up_the_gradient": [("w1 = w1 - lr * grad_w1", "w1 = w1 + lr * grad_w1"),
                            ("w2 = w2 - lr * grad_w2", "w2 = w2 + lr * grad_w2")],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("release") / "student-repo"
    manifest = build(out, exercises=[EXERCISE], verify=False)
    return out, manifest


@pytest.fixture(scope="module")
def venv(built, tmp_path_factory) -> Path:
    """A fresh virtual environment with the README's torch and the release installed (once)."""
    out, _ = built
    source = tmp_path_factory.mktemp("install") / "student-repo"  # pip writes build/ into the tree it installs
    shutil.copytree(out, source)
    env_dir = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    for args in ([torch_pin(KIT)], [str(source)]):
        proc = subprocess.run(pip + args, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-3000:]
    return env_dir


def _grade_in_venv(venv: Path, submission: Path, *args: str, fmt: str = "json") -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run([str(venv / "bin" / "grade"), EXERCISE, "--submission", str(submission),
                           "--format", fmt, *args], capture_output=True, text=True, cwd=submission, env=env)
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    return proc.returncode, proc.stdout


def _points(document: dict) -> dict:
    return {c["id"]: (c["status"], c["score"]) for e in document["exercises"] for c in e["checks"]
            if c["visibility"] == "visible"}


def _submission(tmp_path: Path, name: str, built_dir: Path) -> Path:
    if name == "reference":
        return write_mutant(tmp_path / name, EXERCISE, [])
    if name == "stub":
        folder = tmp_path / name / "exercises"
        folder.mkdir(parents=True)
        module = KIT.find(EXERCISE).module
        (folder / f"{module}.py").write_bytes((built_dir / "exercises" / f"{module}.py").read_bytes())
        return tmp_path / name
    return write_mutant(tmp_path / name, EXERCISE, MUTANTS[name])


# ---------------------------------------------------------------- in a fresh venv

@pytest.mark.parametrize("name", ["reference", "stub", *MUTANTS])
def test_release_gives_the_kits_points_per_public_check(venv, built, tmp_path, name):
    out, manifest = built
    root = _submission(tmp_path, name, out)
    kit = autograder.grade(EXERCISE, submission=root)
    _, text = _grade_in_venv(venv, root)
    released = json.loads(text)
    assert _points(released) == _points(kit)
    assert {c["visibility"] for e in released["exercises"] for c in e["checks"]} == {"visible"}
    entry = released["exercises"][0]
    hidden = [c for c in kit["exercises"][0]["checks"] if c["visibility"] == "hidden"]
    assert entry["hidden_checks"] == len(hidden) > 0
    assert entry["hidden_points"] == sum(c["max_score"] for c in hidden)
    public_max = sum(c["max_score"] for c in kit["exercises"][0]["checks"] if c["visibility"] == "visible")
    if name == "reference":
        assert entry["score"] == entry["max_score"] == public_max
    elif name == "stub":
        assert entry["score"] == 0 and {c["status"] for c in entry["checks"]} == {"not_attempted"}
    else:
        assert 0 < entry["score"] < public_max


def test_text_output_counts_the_hidden_checks(venv, built, tmp_path):
    out, manifest = built
    code, text = _grade_in_venv(venv, _submission(tmp_path, "reference", out), fmt="text")
    n = manifest["exercises"][0]["hidden_checks"]
    public = manifest["exercises"][0]["public_checks"]
    assert code == 0
    assert f"public: {public}/{public} passed · {n} hidden checks" in text and "run at final grading" in text


def test_other_seed_fails_clearly_never_passes(venv, built, tmp_path):
    out, _ = built
    code, text = _grade_in_venv(venv, _submission(tmp_path, "reference", out), "--seed", "5", "-k", "forward")
    check = json.loads(text)["exercises"][0]["checks"][0]
    assert code == 1 and check["status"] == "failed"
    assert "no recorded expected value" in check["message"] and "public seed" in check["message"]


def test_references_are_not_loadable_in_the_release(venv):
    code = ("from autograder.kit import Kit, MissingReference\n"
            "kit = Kit.installed()\n"
            "assert kit.is_release and type(kit.references(kit.find('exercise1'))).__name__ == 'Replayer'\n"
            "try:\n    kit.solution(kit.find('exercise1'))\nexcept MissingReference as e:\n    print('refused:', e)\n")
    proc = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, cwd="/")
    assert "refused: this is a student release" in proc.stdout, proc.stderr


# ---------------------------------------------------------------- the tree

def test_release_layout_and_registry(built):
    out, manifest = built
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    module = KIT.find(EXERCISE).module
    for required in ("pyproject.toml", "README.md", ".gitignore", f"exercises/{module}.py",
                     f"autograder/suites/{EXERCISE}.py", f"autograder/recorded/{EXERCISE}.wire",
                     "autograder/recorded/manifest.json", "autograder/cli.py"):
        assert required in files
    assert not any(f.startswith(("solutions/", "tests/", "autograder/release/")) for f in files)
    assert {f for f in files if f.startswith("autograder/suites/")} == {
        f"autograder/suites/{EXERCISE}.py", "autograder/suites/pytest.ini"}
    if (KIT.root / "classroom.yml").is_file():
        workflow = (out / ".github" / "workflows" / "classroom.yml").read_text()
        assert f"grade {EXERCISE} " in workflow  # generated for the released exercises only
        assert not any(f"grade {ex.id} " in workflow for ex in KIT.exercises if ex.id != EXERCISE)
    readme = (out / "README.md").read_text()
    assert "grade exercise1" in readme and "grade all" in readme and "--seed 0 -k" in readme
    assert [e["id"] for e in manifest["exercises"]] == [EXERCISE]


def test_leak_audit(built):
    out, _ = built
    result = audit(KIT, out)
    assert result.leaks == []
    # and directly: no solution file, no hidden check name, no non-shared solution line
    data = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    hidden = public_suite(KIT.suite_path(KIT.find(EXERCISE)).read_text(), filename="s")[1]
    assert hidden and all(h.name.encode() not in blob for h in hidden for blob in data.values())
    solutions = [p.read_bytes() for p in KIT.solutions_dir.glob("*.py")]
    assert not any(blob == s for blob in data.values() for s in solutions)
    ex1 = KIT.solution_path(KIT.find(EXERCISE)).read_text()
    key_lines = ["return h_relu.dot(w2)", "grad_w1 = x.T.dot(grad_h)", "return float(np.square(y_pred - y).sum())"]
    assert all(line in ex1 for line in key_lines)
    assert not any(line.encode() in blob for line in key_lines for blob in data.values())


def test_leak_audit_finds_planted_leaks(built, tmp_path):
    out, _ = built
    planted = tmp_path / "planted"
    (planted / "autograder").mkdir(parents=True)
    hidden = public_suite(KIT.suite_path(KIT.find(EXERCISE)).read_text(), filename="s")[1][0]
    (planted / "notes.txt").write_text("    grad_w1 = x.T.dot(grad_h)\n")
    (planted / "autograder" / "x.py").write_text(f"def {hidden.name}():\n    pass\n")
    (planted / "copy.py").write_bytes(KIT.solution_path(KIT.find(EXERCISE)).read_bytes())
    leaks = "\n".join(audit(KIT, planted).leaks)
    assert "notes.txt: solution line" in leaks and f"hidden check name {hidden.name}" in leaks
    assert "copy.py: a copy of a file from solutions/" in leaks


def test_build_is_deterministic(built, tmp_path):
    out, _ = built
    again = tmp_path / "again"
    build(again, exercises=[EXERCISE], verify=False)

    def tree(root: Path) -> dict:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
                if p.is_file() and "__pycache__" not in p.parts}
    first, second = tree(out), tree(again)
    assert sorted(first) == sorted(second)
    assert [k for k in first if first[k] != second[k]] == []


# ---------------------------------------------------------------- pieces

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


class _Layer:
    def __init__(self, scale):
        self.scale = scale
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        return x * self.scale * self.calls


class _Module:
    __name__ = "fake_solution"

    @staticmethod
    def double(x, out=None):
        if out is not None:
            out[...] = 2 * x
        return 2 * x

    Layer = _Layer


def test_record_and_replay_functions_objects_and_in_place_results():
    recorder = Recorder(_Module(), "exerciseX").bind_check("c")
    x = np.arange(4.0)
    out = np.zeros(4)
    assert np.array_equal(recorder.double(x, out=out), 2 * x)
    layer = recorder.Layer(3.0)
    first, second, scale = layer(x), layer(x), layer.scale
    data = replay.decode(replay.encode(recorder.records()))
    replayer = replay.Replayer(data).bind_check("c")
    out2 = np.zeros(4)
    assert np.array_equal(replayer.double(x, out=out2), 2 * x) and np.array_equal(out2, 2 * x)
    again = replayer.Layer(3.0)
    assert np.array_equal(again(x), first) and np.array_equal(again(x), second) and again.scale == scale
    with pytest.raises(replay.NotRecorded, match="public seed"):
        replayer.double(x + 1)
    # a last-bit difference in an argument (another BLAS) still finds the recorded call
    assert np.array_equal(replayer.double(np.nextafter(x, 10), out=np.zeros(4)), 2 * x)


def test_unrecordable_argument_is_refused():
    recorder = Recorder(_Module(), "exerciseX").bind_check("c")
    with pytest.raises(replay.RecordError, match="not plain data"):
        recorder.double(object())


def test_oracle_runs_in_the_kit_and_replays_in_a_release():
    calls = []

    @oracle
    def expected(reference, x):
        calls.append(x)
        layer = reference.Layer(2.0)  # a real object, used freely inside the oracle
        return {"first": layer(x), "second": layer(x)}

    module = _Module()
    x = np.arange(3.0)
    kit = expected(module, x)  # the kit: a plain call on the real module
    recorder = Recorder(module, "exerciseX").bind_check("c")
    assert all(np.array_equal(kit[k], v) for k, v in expected(recorder, x).items())
    replayer = replay.Replayer(replay.decode(replay.encode(recorder.records()))).bind_check("c")
    before = len(calls)
    got = expected(replayer, x)
    assert len(calls) == before  # replayed: the helper's body did not run
    assert all(np.array_equal(kit[k], v) for k, v in got.items())
    with pytest.raises(replay.NotRecorded, match="expected"):
        expected(replayer, x + 1)
