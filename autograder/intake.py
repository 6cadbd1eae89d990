"""What a batch grades: a folder with one entry per student, read safely into memory.

An entry is a folder (a repository root with ``exercises/``, or the modules directly, as
``grade`` accepts) or a ``.zip`` of one; the student id is the entry's name without
``.zip``.  Names starting with ``.`` are not students (``.DS_Store``, ``.git``) and are
skipped.  A submission becomes ``{relative path: bytes}``; nothing is extracted to disk and
nothing is executed here.

* Folders are walked without following symbolic links (a link could point at the solutions
  or at the TA's files: it is left out and noted); ``.git``, caches and virtual
  environments are skipped; files and totals are capped (``LIMITS``).
* Zips are checked before anything is read out of them: no absolute paths, no ``..``, no
  links or devices, caps on size, file count and compression ratio, and every member is
  read with its real size capped (a header can lie).  A zip that holds one top-level folder
  (a repository downloaded from GitHub) is read from inside it.

Each exercise gets a content hash: its module's bytes plus every other file of the
submission except the other exercises' modules (data files the module may read).  So
editing ``exercise3_custom_layers.py`` changes exercise3's hash and no other.
"""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import os
import stat
import zipfile
from pathlib import Path
from typing import Iterable

from autograder.registry import Exercise


@dataclasses.dataclass(frozen=True)
class Limits:
    bytes: int = 64 * 1024**2  # all files of one submission
    file_bytes: int = 16 * 1024**2  # one file (larger ones are left out and noted)
    files: int = 2000
    zip_bytes: int = 256 * 1024**2  # what a zip's members claim, in all
    zip_ratio: int = 200  # uncompressed / compressed, per member (a zip bomb's is in the thousands)


LIMITS = Limits()
SKIPPED_FOLDERS = {".git", "__pycache__", ".venv", "venv", "node_modules", ".ipynb_checkpoints", ".pytest_cache"}


class Rejected(ValueError):
    """An entry that cannot be graded at all; the message says why, for the student."""


@dataclasses.dataclass
class Entry:
    student: str
    source: Path  # the folder or zip, as found in SUBMISSIONS
    kind: str  # "folder" or "zip" (or "other": not gradable)
    files: dict[str, bytes] = dataclasses.field(default_factory=dict)
    problem: str | None = None  # why it cannot be graded at all
    notes: list[str] = dataclasses.field(default_factory=list)  # what was left out, and why
    unreadable: dict[str, str] = dataclasses.field(default_factory=dict)  # relative path -> why

    @property
    def prefix(self) -> str | None:
        """Where the exercise modules are (``exercises/`` or the top level); None if nowhere."""
        if any(p.startswith("exercises/") for p in [*self.files, *self.unreadable]):
            return "exercises/"
        if any("/" not in p and p.startswith("exercise") and p.endswith(".py") for p in [*self.files, *self.unreadable]):
            return ""
        return None

    def module_path(self, exercise: Exercise) -> str:
        prefix = self.prefix
        return f"{'exercises/' if prefix is None else prefix}{exercise.module}.py"

    def files_for(self, exercise: Exercise, exercises: Iterable[Exercise]) -> dict[str, bytes]:
        """What a worker gets to grade ``exercise``: every file but the other exercises' modules."""
        others = {self.module_path(ex) for ex in exercises if ex.id != exercise.id}
        return {p: data for p, data in self.files.items() if p not in others}

    def content_hash(self, exercise: Exercise, exercises: Iterable[Exercise]) -> str:
        digest = hashlib.sha256(self.module_path(exercise).encode())
        for path, data in sorted(self.files_for(exercise, exercises).items()):
            digest.update(b"\0" + path.encode() + b"\0" + hashlib.sha256(data).digest())
        return digest.hexdigest()[:32]


def read_submissions(folder: str | os.PathLike, *, limits: Limits = LIMITS) -> list[Entry]:
    """Every entry of ``folder``, sorted by student id; problems are recorded, never raised."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"the submissions folder {str(folder)!r} does not exist")
    entries = [read_entry(path, limits=limits) for path in sorted(folder.iterdir()) if not path.name.startswith(".")]
    _refuse_duplicates(entries)
    return sorted(entries, key=lambda e: (e.student, e.source.name))


def read_entry(path: Path, *, limits: Limits = LIMITS) -> Entry:
    """One submission, a folder or a zip; ``problem`` says why it cannot be graded, if so."""
    if path.is_dir() and not path.is_symlink():
        entry, reader = Entry(path.name, path, "folder"), _read_folder
    elif path.suffix.lower() == ".zip" and path.is_file() and not path.is_symlink():
        entry, reader = Entry(path.name[: -len(path.suffix)], path, "zip"), _read_zip
    else:
        what = "a symbolic link" if path.is_symlink() else "neither a folder nor a .zip file"
        return Entry(path.name, path, "other", problem=f"{path.name} is {what}: submit a folder or a zip")
    try:
        reader(path, entry, limits)
        if entry.prefix is None:
            raise Rejected(f"{path.name} holds no exercise modules (no exercises/ folder and no exercise*.py): "
                           "an empty or unrelated submission")
    except Rejected as exc:
        entry.files, entry.problem = {}, str(exc)
    return entry


def _refuse_duplicates(entries: list[Entry]) -> None:
    by_id: dict[str, list[Entry]] = {}
    for entry in entries:
        by_id.setdefault(entry.student, []).append(entry)
    for student, same in by_id.items():
        if len(same) > 1:
            names = " and ".join(e.source.name for e in same)
            for entry in same:
                entry.files, entry.problem = {}, f"duplicate student id {student!r}: {names}; keep one of them"


def _read_folder(root: Path, entry: Entry, limits: Limits) -> None:
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_FOLDERS)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            try:
                st = path.lstat()
            except OSError as exc:
                entry.unreadable[rel] = exc.strerror or str(exc)
                continue
            if stat.S_ISLNK(st.st_mode):
                entry.notes.append(f"{rel} is a symbolic link: left out (submit the file itself)")
                continue
            if not stat.S_ISREG(st.st_mode):
                entry.notes.append(f"{rel} is not a regular file: left out")
                continue
            if st.st_size > limits.file_bytes:
                entry.notes.append(f"{rel} has {st.st_size:,} bytes, more than {limits.file_bytes:,}: left out")
                continue
            if len(entry.files) >= limits.files or total + st.st_size > limits.bytes:
                raise Rejected(f"{root.name} is larger than a submission may be ({limits.files} files, "
                               f"{limits.bytes:,} bytes): submit the exercise files, not data or environments")
            try:
                with open(path, "rb", opener=_no_follow) as f:
                    data = f.read(limits.file_bytes + 1)
            except OSError as exc:
                entry.unreadable[rel] = exc.strerror or str(exc)
                continue
            total += len(data)
            entry.files[rel] = data


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))


def _read_zip(path: Path, entry: Entry, limits: Limits) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise Rejected(f"{path.name} is not a readable zip file ({exc})") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        _check_zip(path.name, members, limits)
        names = [m.filename.replace("\\", "/") for m in members]
        tops = {n.split("/", 1)[0] for n in names}
        strip = next(iter(tops)) + "/" if len(tops) == 1 and all("/" in n for n in names) else ""
        total = 0
        for member, name in zip(members, names):
            rel = name[len(strip):]
            if any(part in SKIPPED_FOLDERS for part in rel.split("/")[:-1]):
                continue
            if member.file_size > limits.file_bytes:
                entry.notes.append(f"{rel} has {member.file_size:,} bytes, more than {limits.file_bytes:,}: left out")
                continue
            try:
                with archive.open(member) as f:
                    data = f.read(limits.file_bytes + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                entry.unreadable[rel] = f"cannot be read from the zip ({exc})"
                continue
            if len(data) > member.file_size:  # the header lied about the size
                raise Rejected(f"{path.name}: {member.filename} is larger than its zip header says")
            total += len(data)
            if total > limits.bytes:
                raise Rejected(f"{path.name} holds more than {limits.bytes:,} bytes: submit the exercise files only")
            entry.files[rel] = data


def _check_zip(name: str, members: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Every hazard is refused before a single byte is read out."""
    if len(members) > limits.files:
        raise Rejected(f"{name} holds {len(members)} files, more than {limits.files}")
    declared = 0
    for m in members:
        mode = m.external_attr >> 16
        path = m.filename.replace("\\", "/")  # some Windows tools write backslashes
        if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
            raise Rejected(f"{name}: {m.filename!r} is an absolute path; a zip must hold relative paths")
        if ".." in path.split("/"):
            raise Rejected(f"{name}: {m.filename!r} leads out of the folder ('..')")
        kind = stat.S_IFMT(mode)  # 0 when the zip says nothing (Windows tools, Python's zipfile)
        if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
            what = "a symbolic link" if stat.S_ISLNK(mode) else "a device or other special file"
            raise Rejected(f"{name}: {m.filename!r} is {what}; a zip must hold plain files")
        if m.flag_bits & 0x1:
            raise Rejected(f"{name}: {m.filename!r} is encrypted")
        declared += m.file_size
        if m.file_size > 1024**2 and m.file_size > limits.zip_ratio * max(m.compress_size, 1):
            raise Rejected(f"{name} looks like a zip bomb: {m.filename!r} expands {m.file_size // max(m.compress_size, 1):,} "
                           f"times ({m.file_size:,} bytes); submit a normal zip of your files")
    if declared > limits.zip_bytes:
        raise Rejected(f"{name} expands to {declared:,} bytes, more than {limits.zip_bytes:,}")


# ---------------------------------------------------------------- the roster

ROSTER_COLUMNS = ("student", "name", "email", "sis_user_id", "sis_login_id", "section", "id_number", "canvas_id")


def read_roster(path: str | os.PathLike) -> dict[str, dict[str, str]]:
    """``student -> {column: value}`` from a CSV with a header; the ``student`` column (or the
    first column) holds the submission id (the entry's name).  Other columns the LMS files
    use: ``name``, ``email``, ``sis_user_id``, ``sis_login_id``, ``section``, ``id_number``,
    ``canvas_id`` (header names are matched case-insensitively, spaces as underscores)."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames:
            raise ValueError(f"{path}: the roster has no header row")
        columns = {name: name.strip().lower().replace(" ", "_") for name in reader.fieldnames}
        key = next((c for c, norm in columns.items() if norm == "student"), reader.fieldnames[0])
        roster = {}
        for line, row in enumerate(reader, start=2):
            student = (row.get(key) or "").strip()
            if not student:
                continue
            if student in roster:
                raise ValueError(f"{path}, line {line}: student {student!r} is listed twice")
            roster[student] = {columns[c]: (v or "").strip() for c, v in row.items() if c in columns}
            roster[student]["student"] = student
    return roster
