"""The `grade` command: exit codes, usage errors, output formats, bad submissions."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

import autograder
from conftest import KIT, checks_by_id, write_mutant, write_submission

SOLUTIONS_DIR, STUBS_DIR = KIT.solutions_dir, KIT.stubs_dir

GRADE = [sys.executable, "-m", "autograder"]


def grade(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([*GRADE, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_reference_passes_with_exit_0():
    result = grade("exercise1", "--submission", str(SOLUTIONS_DIR))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "total 100/100" in result.stdout
    assert "\x1b[" not in result.stdout  # no colour when not writing to a terminal


def test_stub_fails_with_exit_1_and_reproduce_command():
    result = grade("1", "--submission", str(STUBS_DIR), "-k", "forward")
    assert result.returncode == 1
    assert "TODO" in result.stdout and "not implemented yet" in result.stdout
    assert f"reproduce: grade exercise1 --submission {STUBS_DIR} --seed 0 -k forward" in result.stdout


def test_json_document_has_the_canonical_shape():
    result = grade("exercise1", "--submission", str(SOLUTIONS_DIR), "--format", "json")
    document = json.loads(result.stdout)
    assert {"score", "max_score", "seed", "sandbox", "environment", "exercises"} <= set(document)
    assert set(document["environment"]) == {"python", "torch", "numpy", "platform"}
    check = document["exercises"][0]["checks"][0]
    assert {"id", "name", "score", "max_score", "status", "message", "hint", "visibility", "duration_s"} <= set(check)


@pytest.mark.parametrize("args, message", [
    (["exercise42"], "unknown exercise 'exercise42'"),
    (["exercise1", "--submission", "/no/such/folder"], "does not exist"),
    (["exercise1", "--submission", "{empty}"], "has no exercises/ folder"),
])
def test_usage_errors_exit_2_with_one_line(tmp_path, args, message):
    args = [a.replace("{empty}", str(tmp_path)) for a in args]
    result = grade(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_list_shows_every_exercise_with_points():
    result = grade("list")
    assert result.returncode == 0
    for ex in autograder.list_exercises():
        assert ex["id"] in result.stdout
    assert "100 pts" in result.stdout


def test_stubs_check_passes_on_the_kit():
    result = grade("stubs", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------- bad submissions

def _grade(root, pattern=None):
    return checks_by_id(autograder.grade("exercise1", submission=root, pattern=pattern))


def test_syntax_error_fails_every_check_with_the_line(tmp_path):
    root = write_submission(tmp_path, "exercise1", "import numpy as np\n\ndef forward(x, w1, w2)\n    return x\n")
    checks = _grade(root)
    assert all(c["status"] == "error" and c["score"] == 0 for c in checks.values())
    message = checks["forward"]["message"]
    assert "SyntaxError" in message and "exercises/exercise1_numpy_net.py, line 3" in message


def test_missing_function_fails_only_its_checks(tmp_path):
    source = (STUBS_DIR / "exercise1_numpy_net.py").read_text()
    reference = (SOLUTIONS_DIR / "exercise1_numpy_net.py").read_text()
    loss_only = reference.split("def backward")[0].split("def forward")[0] + \
        "def loss(y_pred, y):\n    return float(((y_pred - y) ** 2).sum())\n"
    checks = _grade(write_submission(tmp_path, "exercise1", loss_only))
    assert source  # the stub exists; this submission deleted everything but loss()
    assert checks["loss"]["status"] == "passed"
    assert checks["forward"]["status"] == "error"
    assert "defines no function 'forward'; expected forward(x, w1, w2)" in checks["forward"]["message"]


def test_wrong_signature_shows_both_signatures(tmp_path):
    source = "import numpy as np\n\ndef forward(x, w):\n    return x @ w\n"
    checks = _grade(write_submission(tmp_path, "exercise1", source), pattern="forward")
    message = checks["forward"]["message"]
    assert "TypeError" in message and "your signature: forward(x, w)" in message
    assert "expected: forward(x, w1, w2)" in message


def test_non_utf8_source_is_reported(tmp_path):
    root = write_submission(tmp_path, "exercise1", b"NAME = 'caf\xe9'\ndef forward(x, w1, w2):\n    return x\n")
    checks = _grade(root, pattern="forward")
    assert checks["forward"]["status"] == "error"
    assert "utf-8" in checks["forward"]["message"].lower()


def test_missing_exercise_file_is_reported_per_check(tmp_path):
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "exercise0_warmup.py").write_text("")
    checks = _grade(tmp_path)
    assert all(c["status"] == "error" for c in checks.values())
    assert "exercises/exercise1_numpy_net.py is missing" in checks["forward"]["message"]


def test_crash_fails_only_the_checks_it_touched(tmp_path):
    reference = (SOLUTIONS_DIR / "exercise1_numpy_net.py").read_text()
    source = reference.replace('    h_relu = np.maximum(x.dot(w1), 0)\n',
                               '    import os; os._exit(3)\n')
    checks = _grade(write_submission(tmp_path, "exercise1", source))
    assert checks["forward"]["status"] == "error" and "died" in checks["forward"]["message"]
    for cid in ("loss", "backward", "sgd_update", "backward_numerical"):
        assert checks[cid]["status"] == "passed", (cid, checks[cid]["message"])


def test_sys_exit_and_timeout(tmp_path):
    source = ("import sys\nimport numpy as np\n\ndef forward(x, w1, w2):\n    sys.exit(0)\n\n"
              "def loss(y_pred, y):\n    while True:\n        pass\n\n"
              "def backward(x, y, w1, w2):\n    raise NotImplementedError\n")
    root = write_submission(tmp_path, "exercise1", source)
    checks = checks_by_id(autograder.grade("exercise1", submission=root, pattern="forward or loss or backward"))
    assert checks["forward"]["status"] == "error" and "SystemExit" in checks["forward"]["message"]
    assert checks["loss"]["status"] == "timeout" and "did not return within" in checks["loss"]["message"]
    assert checks["backward"]["status"] == "not_attempted"


def test_the_api_leaves_torch_threads_as_it_found_them():
    """Checks run with one intra-op thread (the grader's side of the run); a notebook that
    calls ``autograder.grade`` gets its own setting back."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        autograder.grade("exercise0", submission=str(SOLUTIONS_DIR), pattern="relu")
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)


def test_package_prints_its_seed_and_refuses_a_gradescope_file_that_is_no_zip(tmp_path):
    result = grade("package", "gradescope", "--out", str(tmp_path / "grader.zip"), "--exercises", "1",
                   "--seed", "5", "--no-verify")
    assert result.returncode == 0, result.stderr
    assert "exercise1  11 checks (100 pts)" in result.stdout and "seed 5 " in result.stdout
    assert (tmp_path / "grader.zip").is_file()
    wrong = grade("package", "gradescope", "--out", str(tmp_path / "grader.tar"), "--no-verify")
    assert wrong.returncode == 1 and "a Gradescope autograder is a .zip" in wrong.stderr


def test_a_package_grades_at_its_seed_by_default(tmp_path):
    """The seed the values were recorded at is the default; the reproduce lines say it."""
    from autograder.release.package import build_package
    build_package("classroom50", tmp_path / "pkg", exercises=["exercise1"], seed=41, verify=False, kit=KIT)
    code = ("import json, sys, autograder\n"
            "print(json.dumps(autograder.grade('exercise1', submission=sys.argv[1], sandbox='none')))")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-c", code, str(SOLUTIONS_DIR)], cwd=tmp_path / "pkg" / "torchgrade",
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    document = json.loads(proc.stdout)
    assert document["seed"] == 41 and document["score"] == 100


def test_grade_all_streams_blocks_with_a_progress_line_on_a_terminal(monkeypatch):
    """Blocks go to stdout as each exercise is graded; the progress line goes to a terminal's
    stderr only, and is cleared before each block."""
    import io

    from autograder.cli import _Streaming

    class Terminal(io.StringIO):
        def isatty(self):
            return True
    out, err = io.StringIO(), Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    streaming = _Streaming()
    streaming.start(2)
    document = autograder.grade(["exercise1", "exercise5"], submission=str(SOLUTIONS_DIR), pattern="forward or max",
                                sandbox="none", on_exercise=streaming.show)
    streaming.clear()
    streaming.finish(document)
    assert out.getvalue().index("exercise1 — ") < out.getvalue().index("exercise5 — ") < out.getvalue().index("overall")
    assert "grading… 0/2 exercises done" in err.getvalue() and "grading… 1/2 exercises done" in err.getvalue()
    assert err.getvalue().endswith("\r\x1b[K") and "grading" not in out.getvalue()


def test_watch_shows_text_only():
    result = grade("exercise1", "--watch", "--format", "json", "--submission", str(SOLUTIONS_DIR))
    assert result.returncode == 2 and "--watch shows the text report" in result.stderr


# ---------------------------------------------------------------- feedback in 简体中文

FLIPPED_KERNEL = [("(X[i:i + h, j:j + w] * K).sum()", "(X[i:i + h, j:j + w] * K.flip((0, 1))).sum()")]
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def test_a_known_mistake_in_chinese_has_the_english_numbers(tmp_path):
    root = write_mutant(tmp_path, "exercise4", FLIPPED_KERNEL)
    english = checks_by_id(autograder.grade("exercise4", submission=root, pattern="corr2d_values"))["corr2d_values"]
    document = autograder.grade("exercise4", submission=root, pattern="corr2d_values", lang="zh")
    chinese = checks_by_id(document)["corr2d_values"]
    assert document["lang"] == "zh" and document["exercises"][0]["translation"]["title"] == "互相关与卷积"
    # the English stays where it was; the translation sits beside it
    assert (chinese["message"], chinese["hint"], chinese["score"]) == (english["message"], english["hint"], 0)
    said = chinese["translation"]
    assert said["hint"].startswith("你翻转了卷积核") and "worst" not in said["message"]
    assert "个元素中有" in said["message"] and "容差" in said["message"]
    for key in ("message", "hint"):  # the same numbers, indices and shapes: values are parameters
        assert sorted(NUMBER.findall(said[key])) == sorted(NUMBER.findall(english[key])), key


def test_the_terminal_speaks_the_locale_and_lang_overrides_it(tmp_path):
    root = write_mutant(tmp_path, "exercise4", FLIPPED_KERNEL)
    chinese = subprocess.run([*GRADE, "exercise4", "--submission", str(root), "-k", "corr2d_values"], capture_output=True,
                             text=True, timeout=120, env={**os.environ, "LANG": "zh_CN.UTF-8", "LC_ALL": ""})
    assert chinese.returncode == 1
    for line in ("互相关与卷积", "失败", "提示：你翻转了卷积核", "合计 0/12", "沙箱：", "种子 0",
                 f"复现：grade exercise4 --submission {root} --seed 0 -k corr2d_values"):
        assert line in chinese.stdout, line
    english = subprocess.run([*GRADE, "exercise4", "--submission", str(root), "-k", "corr2d_values", "--lang", "en"],
                             capture_output=True, text=True, timeout=120, env={**os.environ, "LANG": "zh_CN.UTF-8"})
    assert "hint: you flipped the kernel" in english.stdout and not re.search(r"[\u4e00-\u9fff]", english.stdout)


@pytest.mark.parametrize("args, message", [
    (["exercise42", "--lang", "zh"], "grade：错误：未知的练习 'exercise42'"),
    (["exercise1", "--bogus", "--lang=zh"], "错误：没有这个选项：--bogus"),
    (["exercise1", "--lang", "zh", "--submission", "/no/such/folder"], "提交的文件夹 '/no/such/folder' 不存在"),
])
def test_usage_errors_in_chinese(args, message):
    result = grade(*args)
    assert result.returncode == 2 and message in result.stderr, result.stderr
