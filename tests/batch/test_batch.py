"""`grade batch` end to end: the same verdicts as `grade`, a resumable grade-book, nothing graded
twice, submissions untouched, bad input handled per student, nothing left running."""
from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

import autograder
from autograder.batch.gradebook import ForeignGradebook, Gradebook
from autograder.batch.lanes import InlineLanes
from autograder.batch.run import export_outputs, regrade, run_batch
from banks import CHEATS, FAULTS, assert_no_survivors, copy_submission, processes_matching
from conftest import KIT, write_mutant
from security.test_untouched import snapshot

EXERCISES = ["exercise1", "exercise4"]
RELU_MASK = [("    grad_h[h < 0] = 0\n", "")]
FLIPPED = [("(X[i:i + h, j:j + w] * K).sum()", "(X[i:i + h, j:j + w] * K.flip((0, 1))).sum()")]


def comparable(document: dict) -> list:
    """What a student reads: every check's verdict and text, and the totals (not durations)."""
    return [(e["id"], e["score"], e["max_score"], [(c["id"], c["status"], c["score"], c["message"], c["hint"],
                                                   c.get("reproduce"), c.get("output")) for c in e["checks"]])
            for e in document["exercises"]]


def build_mixed(root: Path) -> Path:
    subs = root / "subs"
    subs.mkdir()
    shutil.copytree(KIT.solutions_dir, subs / "alice" / "exercises")  # correct
    write_mutant(root / "tmp-bob", "exercise1", RELU_MASK)  # wrong, modules at the top level
    write_mutant(root / "tmp-bob", "exercise4", FLIPPED)
    shutil.copytree(root / "tmp-bob" / "exercises", subs / "bob")
    with zipfile.ZipFile(subs / "carol.zip", "w") as z:  # alice's files, zipped from GitHub
        for path in sorted((subs / "alice").rglob("*.py")):
            z.write(path, "carol-main/" + path.relative_to(subs / "alice").as_posix())
    shutil.copytree(copy_submission(CHEATS, "c01_always_equal", root), subs / "dave")  # a cheat
    shutil.copytree(copy_submission(FAULTS, "f14_non_utf8", root), subs / "erin")  # a fault
    (subs / "frank").mkdir()  # empty
    (subs / "gina.py").write_text("print('a lone file')\n")
    return subs


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    subs = build_mixed(root)
    before = snapshot(subs)
    outcome = run_batch(subs, out=root / "out", exercises=EXERCISES, jobs=2)
    return subs, root / "out", outcome, before


def test_batch_gives_every_student_the_verdicts_of_grade(mixed):
    subs, out, outcome, _ = mixed
    compared = 0
    for student in ("alice", "bob", "carol", "dave", "erin"):
        feedback = json.loads((out / "feedback" / f"{student}.json").read_text())
        entry = subs / (student + (".zip" if student == "carol" else ""))
        for exercise in feedback["document"]["exercises"]:
            alone = autograder.grade(exercise["id"], submission=entry)
            assert comparable({"exercises": [exercise]}) == comparable(alone), (student, exercise["id"])
            compared += 1
    assert compared == 10
    # carol's two share alice's gradings, erin's missing exercise4 shares dave's (the same nothing)
    assert outcome["counts"] == {"graded": 7, "unchanged": 3, "failed": 4, "errors": 0}


def test_the_outputs(mixed):
    subs, out, _, _ = mixed
    lines = (out / "grades.csv").read_text().splitlines()
    assert lines[0] == "student," + ",".join(ex.id for ex in KIT.exercises) + ",total"
    rows = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    assert sorted(rows) == ["alice", "bob", "carol", "dave", "erin", "frank", "gina.py"]
    assert rows["alice"][2] == rows["alice"][5] == "100" and rows["alice"][-1] == "200" and rows["alice"][1] == ""
    assert rows["frank"][-1] == "0" and rows["dave"][5] == "0"  # dave has no exercise4: missing file, 0
    frank = (out / "feedback" / "frank.txt").read_text()
    assert "could not be graded: frank holds no exercise modules" in frank
    assert "gina.py is neither a folder nor a .zip file" in (out / "feedback" / "gina.py.txt").read_text()
    assert "exercises/exercise4_corr2d.py is missing" in (out / "feedback" / "dave.txt").read_text()
    for student in ("dave", "erin"):  # one grading of the same (missing) exercise4, each with its own path
        checks = json.loads((out / "feedback" / f"{student}.json").read_text())["document"]["exercises"][1]["checks"]
        assert checks[0]["reproduce"] == f"grade exercise4 --submission {subs / student} --seed 0 -k {checks[0]['id']}"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["exercises"]["exercise1"]["scored"] == 7 and summary["students"]["rejected"] == 2
    assert any(m["hint"].startswith("the ReLU is missing") for m in summary["exercises"]["exercise1"]["known_mistakes"])


def test_submissions_are_left_byte_identical(mixed):
    subs, _, _, before = mixed
    assert snapshot(subs) == before


def test_an_unchanged_rerun_grades_nothing_and_starts_no_grader(mixed):
    subs, out, _, _ = mixed

    class NoLanes:
        def run(self, queue, done):
            raise AssertionError(f"nothing should be graded: {[job.task.student for job in queue]}")

        def close(self):
            pass
    page = out / "report.html"
    written = page.stat().st_mtime_ns
    again = run_batch(subs, out=out, exercises=EXERCISES, lanes=NoLanes())
    assert again["counts"] == {"graded": 0, "unchanged": 10, "failed": 4, "errors": 0}
    # the grade-book is as the outputs were written from: they stay (no report to draw)
    assert again["outputs"] == "unchanged" and again["students"] == 7 and page.stat().st_mtime_ns == written
    page.unlink()  # a missing output is written again
    assert run_batch(subs, out=out, exercises=EXERCISES, lanes=NoLanes())["outputs"] == "written" and page.is_file()
    # so is every output when the grade-book says something else (another LMS layout)
    assert run_batch(subs, out=out, exercises=EXERCISES, lanes=NoLanes(), lms="moodle")["outputs"] == "written"
    assert run_batch(subs, out=out, exercises=EXERCISES, lanes=NoLanes())["outputs"] == "written"


def test_regrade_and_export(mixed):
    subs, out, _, _ = mixed
    book = Gradebook.existing(out)
    before = book.count()
    book.close()
    outcome = regrade(out, students=["bob"], exercises=["exercise1"], lanes=InlineLanes())
    assert outcome["counts"]["graded"] == 1 and outcome["counts"]["unchanged"] == 0
    with pytest.raises(ValueError, match="nobody: not in the grade-book"):
        regrade(out, students=["nobody"], lanes=InlineLanes())
    (out / "grades.csv").unlink()
    export_outputs(out, lms="canvas")
    assert (out / "grades.csv").read_text().splitlines()[1].startswith("Points Possible,")
    book = Gradebook.existing(out)
    assert book.count() == before and book.meta("lms") == "canvas"
    book.close()


def test_a_gradebook_of_another_kit_is_refused(tmp_path, mixed):
    subs, _, _, _ = mixed
    Gradebook(tmp_path).claim(["exercise1", "exercise99"])
    with pytest.raises(ForeignGradebook, match="choose another --out folder"):
        run_batch(subs, out=tmp_path, exercises=EXERCISES, lanes=InlineLanes())


def test_editing_one_suite_regrades_only_that_exercise(tmp_path):
    shutil.copytree(KIT.package_dir, tmp_path / "kit" / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(KIT.solutions_dir, tmp_path / "kit" / "solutions")
    kit = autograder.Kit.load(tmp_path / "kit" / "autograder")
    subs = tmp_path / "subs"
    shutil.copytree(KIT.solutions_dir, subs / "alice")
    first = run_batch(subs, out=tmp_path / "out", exercises=EXERCISES, kit=kit, lanes=InlineLanes(kit))
    assert first["counts"]["graded"] == 2
    suite = kit.suite_path(kit.find("exercise4"))
    suite.write_text(suite.read_text() + "\n# a clarified comment\n")
    second = run_batch(subs, out=tmp_path / "out", exercises=EXERCISES, kit=kit, lanes=InlineLanes(kit))
    assert (second["counts"]["graded"], second["counts"]["unchanged"]) == (1, 1)


def test_faults_are_results_and_nothing_is_left_running(tmp_path):
    """A submission that sleeps, fork-bombs, fills memory, prints gigabytes or kills its parent:
    each is graded (0 for what it broke) and the batch finishes with no process left."""
    kit = KIT.with_exercise("exercise1", call_timeout=1.0)
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("f02_sleep", "f04_fork_bomb", "f03_memory_bomb", "f08_huge_output"):
        shutil.copytree(copy_submission(FAULTS, name, tmp_path / "bank"), subs / name)
    shutil.copytree(copy_submission(CHEATS, "c04_exit_signals", tmp_path / "bank"), subs / "c04")
    outcome = run_batch(subs, out=tmp_path / "out", exercises=["exercise1"], kit=kit, lanes=InlineLanes(kit))
    assert outcome["counts"] == {"graded": 5, "unchanged": 0, "failed": 0, "errors": 0}
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    kinds = {(f["student"], f["kind"]) for f in summary["flags"]}
    assert ("f02_sleep", "timeout") in kinds and ("c04", "crash") in kinds
    assert_no_survivors()
    assert not processes_matching("autograder.batch.lane")


SNOOP = '''
import os
import tempfile
for folder in ("/tmp", "/dev/shm", os.getcwd(), os.path.expanduser("~"), tempfile.gettempdir()):
    try:
        with open(os.path.join(folder, "torchgrade-note-from-{me}"), "w") as f:
            f.write("hello")
    except OSError:
        pass


def forward(x, w1, w2):
    seen = []
    for root in ("/tmp", "/dev/shm", os.getcwd()):
        for dirpath, dirnames, filenames in os.walk(root):
            seen += [n for n in filenames if n.startswith("torchgrade-note-from-")]
    raise RuntimeError("seen: " + ",".join(sorted(seen)))
'''


def test_a_student_sees_nothing_another_student_wrote(tmp_path):
    """Two students in one lane, one after the other: each finds only its own notes, wherever it
    could write them (in bubblewrap only its scratch folder is writable, and wiped in between)."""
    level = autograder.grade("exercise1", submission=KIT.solutions_dir, pattern="loss")["sandbox"]
    if level != "full":
        pytest.skip(f"the sandbox's private /tmp needs the namespace layers (sandbox {level} here)")
    subs = tmp_path / "subs"
    for me in ("anna", "ben"):
        (subs / me).mkdir(parents=True)
        (subs / me / "exercise1_numpy_net.py").write_text(SNOOP.replace("{me}", me))
    run_batch(subs, out=tmp_path / "out", exercises=["exercise1"], lanes=InlineLanes())
    for me, other in (("anna", "ben"), ("ben", "anna")):
        document = json.loads((tmp_path / "out" / "feedback" / f"{me}.json").read_text())["document"]
        message = next(c for c in document["exercises"][0]["checks"] if c["id"] == "forward")["message"]
        assert f"torchgrade-note-from-{me}" in message and f"from-{other}" not in message, message


def test_the_cli(mixed, tmp_path):
    import subprocess
    import sys
    subs, out, _, _ = mixed
    status = subprocess.run([sys.executable, "-m", "autograder", "batch", "status", str(out)], capture_output=True,
                            text=True, timeout=120)
    assert status.returncode == 0 and "7 students (2 rejected at intake)" in status.stdout
    assert any(line.split()[:3] == ["exercise4", "5", "2"] for line in status.stdout.splitlines()), status.stdout
    missing = subprocess.run([sys.executable, "-m", "autograder", "batch", str(tmp_path / "nowhere"), "--out",
                              str(tmp_path / "o")], capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "does not exist" in missing.stderr and "Traceback" not in missing.stderr
    again = subprocess.run([sys.executable, "-m", "autograder", "batch", str(subs), "--out", str(out),
                            "--exercises", ",".join(EXERCISES)], capture_output=True, text=True, timeout=300)
    assert again.returncode == 1  # two submissions could not be graded (an empty folder, a lone file)
    assert "7 students: 0 graded, 10 unchanged, 4 failed, 0 errors" in again.stdout
    third = subprocess.run(again.args, capture_output=True, text=True, timeout=300)
    assert "nothing changed:" in third.stdout and "grade batch export" in third.stdout, third.stdout
