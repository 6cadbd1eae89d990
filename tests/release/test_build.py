"""`grade release`: a student template with no solutions and no hidden checks, installed into
a fresh virtual environment, grades every public check exactly as the kit does."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import autograder
from autograder.release.build import build
from conftest import KIT, write_mutant

EXERCISE = "exercise1"
MUTANTS = {  # wrong implementations (as in test_exercise1.py)
    "relu_mask_missing": [("    grad_h[h < 0] = 0\n", "")],
    "loss_averaged": [("return float(np.square(y_pred - y).sum())", "return float(np.square(y_pred - y).mean())")],
    "sgd_up_the_gradient": [("w1 = w1 - lr * grad_w1", "w1 = w1 + lr * grad_w1"),
                            ("w2 = w2 - lr * grad_w2", "w2 = w2 + lr * grad_w2")],
}


@pytest.fixture(scope="module")
def venv(checkout) -> Path:
    """A fresh virtual environment with the release installed by its workflow's install steps."""
    return checkout.venv


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
    for required in ("pyproject.toml", "constraints.txt", "README.md", ".gitignore", f"exercises/{module}.py",
                     f"autograder/suites/{EXERCISE}.py", f"autograder/recorded/{EXERCISE}.wire",
                     "autograder/recorded/manifest.json", "autograder/cli.py"):
        assert required in files
    assert not any(f.startswith(("solutions/", "tests/", "autograder/release/")) for f in files)
    assert {f for f in files if f.startswith("autograder/suites/")} == {
        f"autograder/suites/{EXERCISE}.py", "autograder/suites/pytest.ini"}
    if (KIT.root / "classroom.yml").is_file():
        workflow = (out / ".github" / "workflows" / "classroom.yml").read_text()
        assert f"runners: {EXERCISE}\n" in workflow  # generated for the released exercises only
        assert not any(ex.id in workflow for ex in KIT.exercises if ex.id != EXERCISE)
    readme = (out / "README.md").read_text()
    assert "grade exercise1" in readme and "grade all" in readme and "--seed 0 -k" in readme
    assert "--lang zh" in readme and "README.zh.md" in readme
    chinese = (out / "README.zh.md").read_text()  # the same guide in 简体中文, the same commands
    assert "| `exercise1` | 用 numpy 实现两层网络 | `exercises/exercise1_numpy_net.py` |" in chinese
    assert "grade exercise1 --lang zh" in chinese and "--seed 0 -k forward" in chinese and "$" not in chinese
    assert "autograder/locale/zh/LC_MESSAGES/torchgrade.mo" in files  # the feedback in 简体中文 ships
    assert [e["id"] for e in manifest["exercises"]] == [EXERCISE]



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



def test_a_verified_build_leaves_no_bytecode_and_says_so(tmp_path):
    """Verification grades the release's own stubs: they must come out as they went in."""
    out = tmp_path / "verified"
    manifest = build(out, exercises=[EXERCISE], verify=True)
    assert manifest["verification"][EXERCISE] == {"reference": "90/90", "stubs": "0/90"}
    assert not [p for p in out.rglob("__pycache__")], "grading wrote bytecode into the release"
