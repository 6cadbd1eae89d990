"""Reading a folder of submissions: folders and zips read safely, every hazard refused with a
message for that student, content hashes per exercise."""
from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest

from autograder.intake import Limits, read_roster, read_submissions
from conftest import KIT

EX1, EX3 = KIT.find("exercise1"), KIT.find("exercise3")


def module(ex) -> str:
    return f"{ex.module}.py"


def folder(root: Path, name: str, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / name / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / name / rel).write_bytes(data)
    return root / name


def zipped(root: Path, name: str, files: dict[str, bytes], *, mode: int | None = None) -> Path:
    path = root / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for rel, data in files.items():
            info = zipfile.ZipInfo(rel)
            if mode is not None:
                info.external_attr = mode << 16
            z.writestr(info, data, zipfile.ZIP_DEFLATED)
    return path


def by_id(root: Path, **kwargs) -> dict:
    return {e.student: e for e in read_submissions(root, **kwargs)}


def test_folders_zips_and_what_is_not_a_student(tmp_path):
    folder(tmp_path, "alice", {f"exercises/{module(EX1)}": b"A = 1\n", "README.md": b"hi"})
    folder(tmp_path, "bob", {module(EX1): b"B = 1\n"})
    zipped(tmp_path, "carol.zip", {f"carol-main/exercises/{module(EX1)}": b"C = 1\n", "carol-main/data/w.bin": b"w"})
    (tmp_path / "dave.py").write_text("x = 1\n")
    (tmp_path / ".DS_Store").write_bytes(b"\0")
    (tmp_path / "erin").mkdir()
    entries = by_id(tmp_path)
    assert sorted(entries) == ["alice", "bob", "carol", "dave.py", "erin"]
    assert entries["alice"].module_path(EX1) == f"exercises/{module(EX1)}" and entries["alice"].problem is None
    assert entries["bob"].module_path(EX1) == module(EX1)
    assert sorted(entries["carol"].files) == ["data/w.bin", f"exercises/{module(EX1)}"]  # GitHub's top folder read through
    assert "neither a folder nor a .zip" in entries["dave.py"].problem
    assert "holds no exercise modules" in entries["erin"].problem


def test_duplicate_ids_are_refused_both(tmp_path):
    folder(tmp_path, "alice", {module(EX1): b"A = 1\n"})
    zipped(tmp_path, "alice.zip", {module(EX1): b"A = 2\n"})
    entries = read_submissions(tmp_path)
    assert len(entries) == 2 and all("duplicate student id 'alice': alice and alice.zip" in e.problem for e in entries)


@pytest.mark.parametrize("name, mode, message", [
    ("/etc/passwd", None, "is an absolute path"),
    ("C:/Windows/x.py", None, "is an absolute path"),
    ("../../escape.py", None, "leads out of the folder"),
    ("exercises\\..\\..\\escape.py", None, "leads out of the folder"),
    ("exercises/link.py", stat.S_IFLNK | 0o777, "is a symbolic link"),
    ("exercises/dev", stat.S_IFCHR | 0o644, "a device or other special file"),
])
def test_zip_hazards_are_refused_before_reading(tmp_path, name, mode, message):
    zipped(tmp_path, "mallory.zip", {module(EX1): b"A = 1\n", name: b"x"}, mode=mode)
    entry = by_id(tmp_path)["mallory"]
    assert message in entry.problem and entry.files == {}


def test_a_zip_bomb_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(module(EX1), b"A = 1\n")
        z.writestr("exercises/data.bin", b"\0" * (50 * 1024**2))  # 50 MB of zeros: ~50 KB compressed
    assert path.stat().st_size < 1024**2
    entry = by_id(tmp_path)["bomb"]
    assert "looks like a zip bomb" in entry.problem and "expands" in entry.problem


def test_zip_caps_on_count_and_declared_size(tmp_path):
    zipped(tmp_path, "many.zip", {module(EX1): b"A", **{f"f{i}.txt": b"x" for i in range(30)}})
    assert "holds 31 files, more than 20" in by_id(tmp_path, limits=Limits(files=20))["many"].problem
    limits = Limits(zip_bytes=1000, zip_ratio=10**9)
    other = tmp_path / "b"
    other.mkdir()
    zipped(other, "big.zip", {module(EX1): b"A = 1\n" * 300})
    assert "expands to 1,800 bytes, more than 1,000" in by_id(other, limits=limits)["big"].problem


def test_a_zip_that_is_not_one(tmp_path):
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really")
    assert "is not a readable zip file" in by_id(tmp_path)["broken"].problem


def test_folders_never_follow_links_and_skip_caches(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the TA's notes")
    root = folder(tmp_path / "subs", "alice", {module(EX1): b"A = 1\n", ".git/config": b"x", "__pycache__/a.pyc": b"x"})
    (root / "notes.txt").symlink_to(secret)
    (root / module(EX3)).symlink_to(secret)
    entry = by_id(tmp_path / "subs")["alice"]
    assert sorted(entry.files) == [module(EX1)]
    assert any("notes.txt is a symbolic link" in n for n in entry.notes)
    assert not any(b"the TA's notes" in data for data in entry.files.values())


def test_oversized_files_are_left_out_and_oversized_submissions_refused(tmp_path):
    folder(tmp_path, "alice", {module(EX1): b"A = 1\n", "data.bin": b"x" * 5000})
    entry = by_id(tmp_path, limits=Limits(file_bytes=1000))["alice"]
    assert "data.bin" not in entry.files and any("data.bin has 5,000 bytes" in n for n in entry.notes)
    assert "is larger than a submission may be" in by_id(tmp_path, limits=Limits(bytes=1000))["alice"].problem


def test_an_unreadable_module_is_reported_per_file(tmp_path):
    root = folder(tmp_path, "alice", {module(EX1): b"A = 1\n"})
    os.mkfifo(root / module(EX3))  # not a regular file: never opened (it would block)
    entry = by_id(tmp_path)["alice"]
    assert any(f"{module(EX3)} is not a regular file" in n for n in entry.notes)


def test_content_hashes_follow_each_exercises_own_module_and_the_data(tmp_path):
    files = {f"exercises/{module(ex)}": f"# {ex.id}\n".encode() for ex in KIT.exercises}
    root = folder(tmp_path, "alice", {**files, "data/w.bin": b"1"})

    def hashes():
        entry = by_id(tmp_path)["alice"]
        return {ex.id: entry.content_hash(ex, KIT.exercises) for ex in KIT.exercises}
    first = hashes()
    (root / "exercises" / module(EX3)).write_text("# changed\n")
    second = hashes()
    assert {e for e in first if first[e] != second[e]} == {"exercise3"}
    (root / "data" / "w.bin").write_bytes(b"2")
    assert all(v != second[k] for k, v in hashes().items())  # data may be read by any module


def test_roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("Student,Name,Email,SIS User ID\nalice,Alice A,a@x.edu,1001\nbob,Bob B,b@x.edu,1002\n")
    roster = read_roster(path)
    assert roster["alice"] == {"student": "alice", "name": "Alice A", "email": "a@x.edu", "sis_user_id": "1001"}
    path.write_text("student,name\nalice,A\nalice,B\n")
    with pytest.raises(ValueError, match="line 3: student 'alice' is listed twice"):
        read_roster(path)
