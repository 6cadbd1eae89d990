"""A batch run: read the submissions, grade what the grade-book does not have, write the outputs.

``run_batch(submissions, out=...)`` is the keyword-only API under ``grade batch``:

1. intake (``intake``): every entry read into memory, checked, hashed per exercise; the
   grade-book (``gradebook``) records what was found, replacing the last intake;
2. plan: an exercise whose key (exercise, content hash, kit version, seed) the grade-book
   already holds is unchanged; identical submissions are graded once; what is left becomes
   one task per student;
3. grading: tasks go to warm lanes (``lanes``, or a cluster's); each result is committed as
   it arrives, in its own transaction.  A grader failure (a lane that died, an exception in
   the engine) is retried once, then recorded as an error with its message, and the batch
   goes on.  Ctrl-C stops at once: what was committed stays;
4. outputs (``export``): regenerated from the grade-book.

The batch process is the grade-book's only writer; lanes return plain data.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections import deque
from pathlib import Path
from typing import Iterable, Sequence

import autograder
from autograder.kit import PUBLIC_SEED
from autograder.batch import similarity
from autograder.batch.export import write_outputs, write_summary
from autograder.batch.gradebook import Gradebook
from autograder.intake import Entry, read_roster, read_submissions
from autograder.batch.lane import KitMismatch, Task
from autograder.batch.progress import Progress
from autograder.batch.results import class_results
from autograder.batch.summary import summarize
from autograder.kit import Kit


@dataclasses.dataclass
class Job:
    """A task as the batch tracks it: the grade-book key of each exercise, and its attempts."""

    task: Task
    keys: dict[str, tuple]
    attempt: int = 1

    def plain(self) -> dict:
        return self.task.plain()


def run_batch(submissions: str | os.PathLike, *, out: str | os.PathLike, exercises: Sequence[str] | str = "all",
              jobs: int | None = None, seed: int = PUBLIC_SEED, roster: str | os.PathLike | None = None,
              lms: str = "plain", sandbox: str = "auto", kit: Kit | None = None, students: Iterable[str] | None = None,
              lanes=None, progress: Progress | None = None, scheduler: str | None = None) -> dict:
    """Grade the submissions folder into the grade-book in ``out`` and write its outputs.

    ``students`` limits the run to those ids (a regrade); ``lanes`` are where tasks run
    (default: the workers of the Dask ``scheduler`` at that address, or else ``jobs`` local
    lanes, all cores).  Returns what happened: counts, the kit's exercise ids, the roster's
    mismatches and the lanes' peak memory.
    """
    kit = kit or Kit.installed()
    chosen = kit.resolve(exercises)
    out = Path(out)
    book = Gradebook(out)
    try:
        book.claim(ex.id for ex in kit.exercises)
        entries = read_submissions(submissions)
        if students is not None:
            wanted = set(students)
            entries = [e for e in entries if e.student in wanted]
            unknown = wanted - {e.student for e in entries}
            if unknown:
                raise FileNotFoundError(f"no submission named {', '.join(sorted(unknown))} in {submissions}")
        roster_map = read_roster(roster) if roster else None
        book.set_meta(seed=seed, lms=lms, roster=str(Path(roster).resolve()) if roster else None,
                      submissions=str(Path(submissions).resolve()))
        versions = {ex.id: kit.version(ex) for ex in kit.exercises}
        _record_intake(book, kit, entries, submissions, only={e.student for e in entries} if students is not None else None)
        queue, settled = _plan(book, kit, chosen, entries, versions, seed)
        progress = progress or Progress(sum(len(job.task.exercises) for job in queue))
        progress.count("unchanged", settled["unchanged"])
        progress.count("failed", settled["failed"])
        peak = {}
        if queue:
            if lanes is None and scheduler:
                from autograder.batch.cluster import DaskLanes  # the dask extra: imported only here
                lanes = DaskLanes(scheduler, kit=kit, sandbox=sandbox, say=progress.say)
            elif lanes is None:
                from autograder.batch.lanes import LocalLanes
                lanes = LocalLanes(jobs or os.cpu_count() or 1, sandbox=sandbox, log=out / "lanes.log")
            try:
                lanes.run(queue, lambda job, reply: _done(book, queue, progress, job, reply))
            finally:
                lanes.close()
            peak = dict(getattr(lanes, "peak_rss", {}))
        line = progress.finish()
        exported = _outputs(book, kit, out, seed=seed, lms=lms, roster=roster_map, unless_unchanged=True)
        return {"line": line, "counts": progress.counts, "peak_rss": peak, **exported}
    finally:
        book.close()


def regrade(out: str | os.PathLike, *, students: list[str], exercises: Sequence[str] | str = "all",
            jobs: int | None = None, kit: Kit | None = None, lanes=None) -> dict:
    """Grade ``students`` again on purpose, from their current files, with the last run's
    settings (an identical submission of someone else shares the new result)."""
    kit = kit or Kit.installed()
    book = Gradebook.existing(out)
    try:
        submissions, seed = book.meta("submissions"), book.meta("seed", PUBLIC_SEED)
        versions = {ex.id: kit.version(ex) for ex in kit.exercises}
        known = {s["student"] for s in book.students()}
        missing = sorted(set(students) - known)
        if missing:
            raise ValueError(f"{', '.join(missing)}: not in the grade-book (students: {len(known)}); check the id")
        chosen = {ex.id for ex in kit.resolve(exercises)}
        book.forget([(row["exercise"], row["content_hash"], versions[row["exercise"]], seed)
                     for student in students for row in book.assignments(student)
                     if row["exercise"] in chosen and row["content_hash"]])
        roster, lms = book.meta("roster"), book.meta("lms", "plain")
    finally:
        book.close()
    return run_batch(submissions, out=out, exercises=exercises, jobs=jobs, seed=seed, roster=roster, lms=lms, kit=kit,
                     students=students, lanes=lanes)


def export_outputs(out: str | os.PathLike, *, lms: str | None = None, kit: Kit | None = None,
                   report_only: bool = False) -> dict:
    """Write the outputs again from the grade-book alone (``lms``: another shape of grades.csv;
    ``report_only``: summary.json and report.html only)."""
    kit = kit or Kit.installed()
    book = Gradebook.existing(out)
    try:
        roster_path = book.meta("roster")
        roster = read_roster(roster_path) if roster_path else None
        if lms:
            book.set_meta(lms=lms)
        return _outputs(book, kit, Path(out), seed=book.meta("seed", PUBLIC_SEED), lms=book.meta("lms", "plain"),
                        roster=roster, report_only=report_only)
    finally:
        book.close()


OUTPUTS = ("grades.csv", "summary.json", "report.html")


def _outputs(book: Gradebook, kit: Kit, out: Path, *, seed: int, lms: str, roster: dict | None,
             report_only: bool = False, unless_unchanged: bool = False) -> dict:
    """Every output, from the grade-book (``report_only``: summary.json and report.html).
    Returns the number of students, the roster's mismatches and whether the outputs were
    ``written`` or (``unless_unchanged``, when the grade-book is as they were written from)
    left ``unchanged``: an unchanged rerun of a class costs no report."""
    state = hashlib.sha256(json.dumps([book.state({ex.id: kit.version(ex) for ex in kit.exercises}, seed), lms,
                                       roster, autograder.__version__]).encode()).hexdigest()
    last = book.meta("exported")
    if unless_unchanged and last and last["state"] == state and all((out / name).is_file() for name in OUTPUTS):
        return {"students": last["students"], "roster": last["roster"], "outputs": "unchanged"}
    results = class_results(book, kit, seed)
    sources = {ex.id: book.sources(ex.id) for ex in kit.exercises}
    summary = summarize(results, kit, roster=roster, sources=sources, fingerprints=_fingerprints(book, sources))
    exported = {"students": summary["students"]["total"], "roster": summary["roster"]}
    if report_only:
        write_summary(out, results, summary, kit, sources=sources)
    else:
        write_outputs(out, results, summary, kit, lms=lms, roster=roster, sources=sources)
        book.set_meta(exported={"state": state, **exported})
    return {**exported, "outputs": "written", "summary": summary}


def _fingerprints(book: Gradebook, sources: dict[str, dict[str, str]]) -> dict[str, dict | None]:
    """source -> its look-alike fingerprints: stored ones, and the new ones made and stored."""
    digests = {hashlib.sha256(text.encode("utf-8")).hexdigest(): text
               for by_student in sources.values() for text in by_student.values()}
    known = book.fingerprints(similarity.METHOD, digests)
    made = {digest: similarity.raw_hashes(digests[digest]) for digest in digests.keys() - known.keys()}
    if made:
        book.save_fingerprints(similarity.METHOD, made)
    return {digests[digest]: hashes for digest, hashes in {**known, **made}.items()}


def _record_intake(book: Gradebook, kit: Kit, entries: list[Entry], submissions, only) -> None:
    students, assignments = [], []
    for entry in entries:
        students.append({"student": entry.student, "entry": str(Path(submissions) / entry.source.name),
                         "kind": entry.kind, "problem": entry.problem,
                         "notes": entry.notes + [f"{p} could not be read ({why})" for p, why in entry.unreadable.items()]})
        if entry.problem:
            continue
        for ex in kit.exercises:
            path = entry.module_path(ex)
            problem = (f"{path} could not be read ({entry.unreadable[path]}): submit a readable file"
                       if path in entry.unreadable else None)
            source = entry.files.get(path)
            assignments.append({"student": entry.student, "exercise": ex.id, "problem": problem,
                                "content_hash": None if problem else entry.content_hash(ex, kit.exercises),
                                "source": source.decode("utf-8", errors="replace") if source is not None else None})
    book.record_intake(students, assignments, only=only)


def _plan(book: Gradebook, kit: Kit, chosen, entries: list[Entry], versions: dict, seed: int) -> tuple[deque, dict]:
    """The jobs to run, and how many results are settled without grading."""
    queue: deque[Job] = deque()
    settled = {"unchanged": 0, "failed": 0}
    planned: set[tuple] = set()
    for entry in entries:
        if entry.problem:
            settled["failed"] += len(chosen)
            continue
        task = Task(entry.student, [], {}, {}, seed, {})
        keys = {}
        for ex in chosen:
            path = entry.module_path(ex)
            if path in entry.unreadable:
                settled["failed"] += 1
                continue
            key = (ex.id, entry.content_hash(ex, kit.exercises), versions[ex.id], seed)
            known = book.grading(*key)
            if (known is not None and known["outcome"] != "error") or key in planned:
                settled["unchanged"] += 1  # graded before, or an identical submission graded in this run
                continue
            planned.add(key)
            keys[ex.id] = key
            task.exercises.append(ex.id)
            task.files[ex.id] = entry.files_for(ex, kit.exercises)
            task.modules[ex.id] = path
            task.versions[ex.id] = versions[ex.id]
        if task.exercises:
            queue.append(Job(task, keys))
    return queue, settled


def _done(book: Gradebook, queue: deque, progress: Progress, job: Job, reply: dict) -> None:
    """Commit a lane's reply: each exercise's document, or (the second time) the error."""
    if reply.get("ok"):
        for result in reply["results"]:
            document = json.loads(result["document"])
            book.record(job.keys[result["exercise"]], outcome="graded", document=document, score=document["score"],
                        max_score=document["max_score"], attempts=job.attempt, duration_s=result["duration_s"])
            progress.add("graded", f"{job.task.student} {result['exercise']}: "
                                   f"{document['score']:g}/{document['max_score']:g}")
        return
    if reply.get("kit_mismatch"):
        raise KitMismatch(reply["error"])  # never grade with another kit
    if job.attempt < 2:
        queue.append(dataclasses.replace(job, attempt=job.attempt + 1))
        return
    for exercise, key in job.keys.items():
        book.record(key, outcome="error", error=str(reply.get("error")), attempts=job.attempt)
        progress.add("errors", f"{job.task.student} {exercise}: the grader failed twice: "
                               f"{str(reply.get('error')).strip().splitlines()[-1:]}")
