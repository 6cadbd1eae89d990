"""The grade-book: every grading of a batch, in one SQLite file (``DIR/gradebook.sqlite``).

Tables:

* ``gradings``: one row per (exercise, content hash, kit version, seed), holding the
  canonical JSON document of that exercise for that content.  Two students with identical
  files share a row, so a submission is graded once however many copies there are; a
  changed submission or a changed suite makes a new key, so a rerun grades exactly what
  changed.  ``outcome`` is ``graded`` (a document), ``rejected`` (a score of 0 with a
  reason, e.g. an unreadable module) or ``error`` (the grader failed twice; no score).
* ``students`` and ``assignments``: what the latest intake found (each student's entry and,
  per exercise, the content hash and the module's source, which the report compares),
  replaced as a whole at the start of each run.
* ``fingerprints``: each module's look-alike fingerprints (``similarity``), keyed by the
  source's hash and the fingerprinting method, so a report is not parsed again for code
  it has seen.
* ``meta``: the kit this grade-book belongs to; a grade-book of another kit is refused.

The batch process (or ``grade batch report``) is the only writer.  Each result is committed in its own transaction
(WAL journal), so a batch killed at any moment keeps every committed result, loses only
what was in flight and leaves no torn row.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterable

FILENAME = "gradebook.sqlite"
FORMAT = "torchgrade-gradebook/2"
SUBMISSION = "\x00submission\x00"  # stands for the student's path in stored reproduce commands

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS students (
    student TEXT PRIMARY KEY, entry TEXT NOT NULL, kind TEXT NOT NULL, problem TEXT, notes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS assignments (
    student TEXT NOT NULL, exercise TEXT NOT NULL, content_hash TEXT, problem TEXT, source TEXT,
    PRIMARY KEY (student, exercise));
CREATE TABLE IF NOT EXISTS gradings (
    exercise TEXT NOT NULL, content_hash TEXT NOT NULL, kit_version TEXT NOT NULL, seed INTEGER NOT NULL,
    outcome TEXT NOT NULL, score REAL, max_score REAL, document TEXT, error TEXT,
    attempts INTEGER NOT NULL, duration_s REAL, graded_at TEXT NOT NULL,
    PRIMARY KEY (exercise, content_hash, kit_version, seed));
CREATE TABLE IF NOT EXISTS fingerprints (
    source_hash TEXT NOT NULL, method TEXT NOT NULL, hashes TEXT, PRIMARY KEY (source_hash, method));
"""


class ForeignGradebook(ValueError):
    """The folder holds the grade-book of another kit."""


class Gradebook:
    def __init__(self, folder: str | Path) -> None:
        self.path = Path(folder) / FILENAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None)  # explicit transactions only
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit survives a killed process
        self.db.executescript(SCHEMA)

    @classmethod
    def existing(cls, folder: str | Path) -> "Gradebook":
        if not (Path(folder) / FILENAME).is_file():
            raise FileNotFoundError(f"{folder} holds no grade-book ({FILENAME}): run `grade batch` first")
        return cls(folder)

    def close(self) -> None:
        self.db.close()

    # -- the kit ------------------------------------------------------------------
    def claim(self, exercises: Iterable[str]) -> None:
        """Make this the grade-book of a kit with ``exercises``; refuse another kit's."""
        ids = sorted(exercises)
        row = self.db.execute("SELECT value FROM meta WHERE key = 'exercises'").fetchone()
        if row is None:
            with self._transaction():
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (json.dumps(FORMAT),))
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('exercises', ?)", (json.dumps(ids),))
            return
        theirs = json.loads(row[0])
        if theirs != ids:
            raise ForeignGradebook(f"{self.path} belongs to a kit with other exercises ({', '.join(theirs)}; this "
                                   f"kit has {', '.join(ids)}): choose another --out folder")

    def exercises(self) -> list[str]:
        return self.meta("exercises", [])

    def meta(self, key: str, default: Any = None) -> Any:
        """A setting of the last run (``seed``, ``lms``, ``roster``, ``submissions``)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, **values: Any) -> None:
        with self._transaction():
            self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                [(k, json.dumps(v)) for k, v in values.items()])

    # -- the intake ---------------------------------------------------------------
    def record_intake(self, students: list[dict], assignments: list[dict], *, only: set | None = None) -> None:
        """Replace what the grade-book knows of the submissions folder, or of the students
        ``only`` (one transaction)."""
        with self._transaction():
            if only is None:
                self.db.execute("DELETE FROM students")
                self.db.execute("DELETE FROM assignments")
            else:
                self.db.executemany("DELETE FROM students WHERE student = ?", [(s,) for s in only])
                self.db.executemany("DELETE FROM assignments WHERE student = ?", [(s,) for s in only])
            self.db.executemany("INSERT INTO students VALUES (:student, :entry, :kind, :problem, :notes)",
                                [dict(s, notes=json.dumps(s["notes"])) for s in students])
            self.db.executemany("INSERT INTO assignments VALUES (:student, :exercise, :content_hash, :problem, "
                                ":source)", [{"source": None, **a} for a in assignments])

    def students(self) -> list[dict]:
        rows = self.db.execute("SELECT student, entry, kind, problem, notes FROM students ORDER BY student")
        return [{"student": s, "entry": e, "kind": k, "problem": p, "notes": json.loads(n)} for s, e, k, p, n in rows]

    def assignments(self, student: str | None = None) -> list[dict]:
        query = "SELECT student, exercise, content_hash, problem FROM assignments"
        rows = self.db.execute(query + (" WHERE student = ?" if student else "") + " ORDER BY student, exercise",
                               (student,) if student else ())
        return [{"student": s, "exercise": e, "content_hash": h, "problem": p} for s, e, h, p in rows]

    def sources(self, exercise: str) -> dict[str, str]:
        """``student -> source`` of each student's module for ``exercise`` (the latest intake)."""
        rows = self.db.execute("SELECT student, source FROM assignments WHERE exercise = ? AND source IS NOT NULL "
                               "ORDER BY student", (exercise,))
        return dict(rows.fetchall())

    # -- gradings -----------------------------------------------------------------
    def grading(self, exercise: str, content_hash: str, kit_version: str, seed: int) -> dict | None:
        row = self.db.execute("SELECT outcome, score, max_score, document, error, attempts, duration_s FROM gradings "
                              "WHERE exercise = ? AND content_hash = ? AND kit_version = ? AND seed = ?",
                              (exercise, content_hash, kit_version, seed)).fetchone()
        if row is None:
            return None
        outcome, score, max_score, document, error, attempts, duration = row
        return {"outcome": outcome, "score": score, "max_score": max_score, "error": error, "attempts": attempts,
                "duration_s": duration, "document": json.loads(document) if document else None}

    def record(self, key: tuple[str, str, str, int], *, outcome: str, document: dict | None = None,
               score: float | None = None, max_score: float | None = None, error: str | None = None,
               attempts: int = 1, duration_s: float | None = None) -> None:
        """Commit one grading (its own transaction)."""
        with self._transaction():
            self.db.execute("INSERT OR REPLACE INTO gradings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (*key, outcome, score, max_score, json.dumps(document) if document is not None else None,
                             error, attempts, duration_s, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))

    def state(self, versions: dict[str, str], seed: int) -> str:
        """A digest of everything the outputs are made of: the intake, and the grading each
        assignment has under these kit versions and seed."""
        digest = hashlib.sha256()
        for row in self.db.execute("SELECT student, entry, kind, problem, notes FROM students ORDER BY student"):
            digest.update(json.dumps(row).encode())
        gradings = {(e, h, v): [o, at] for e, h, v, o, at in self.db.execute(
            "SELECT exercise, content_hash, kit_version, outcome, graded_at FROM gradings WHERE seed = ?", (seed,))}
        for student, exercise, content_hash, problem in self.db.execute(
                "SELECT student, exercise, content_hash, problem FROM assignments ORDER BY student, exercise"):
            digest.update(json.dumps([student, exercise, content_hash, problem,
                                      gradings.get((exercise, content_hash, versions.get(exercise)))]).encode())
        return digest.hexdigest()

    # -- look-alike fingerprints ----------------------------------------------------
    def fingerprints(self, method: str, digests: Iterable[str]) -> dict[str, dict[int, list[int]] | None]:
        """The stored fingerprints of these sources (``None``: the source did not parse)."""
        found = {}
        for digest in digests:
            row = self.db.execute("SELECT hashes FROM fingerprints WHERE source_hash = ? AND method = ?",
                                  (digest, method)).fetchone()
            if row is not None:
                found[digest] = {int(h): lines for h, lines in json.loads(row[0]).items()} if row[0] else None
        return found

    def save_fingerprints(self, method: str, found: dict[str, dict[int, list[int]] | None]) -> None:
        with self._transaction():
            self.db.executemany("INSERT OR REPLACE INTO fingerprints VALUES (?, ?, ?)",
                                [(digest, method, None if hashes is None else json.dumps(hashes))
                                 for digest, hashes in found.items()])

    def forget(self, keys: Iterable[tuple[str, str, str, int]]) -> int:
        """Drop gradings (a regrade request); returns how many there were."""
        with self._transaction():
            return sum(self.db.execute("DELETE FROM gradings WHERE exercise = ? AND content_hash = ? AND kit_version = ? "
                                       "AND seed = ?", key).rowcount for key in keys)

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM gradings").fetchone()[0]

    @contextlib.contextmanager
    def _transaction(self):
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
