"""How long the instructor's report takes for a large class, from a synthetic grade-book.

Usage: python bench/report_speed.py [--students 300]

Grades, for real, each exercise's reference, stub and the three known wrong implementations
of bench/verdict_snapshot.py (40 gradings, about a minute).  Then fills a grade-book with
--students students × 8 exercises: each student gets one of those five per exercise
(reference 50 %, a wrong one 40 %, the stub 10 %), with their own copy of its source
(variables renamed, a line of their own), so every submission has its own content hash.
Code that half the class shares is an idiom to the look-alike pass, so those classes have
few look-alikes; exercise1 is the look-alike worst case instead: the class of
bench/similarity.py (seven independent styles, each a seventh of the class, and copies),
thousands of pairs, graded as the reference.

Times, in one run: reading the grade-book (``class_results``), the look-alike pass per
exercise, the rest of ``summarize``, and rendering ``report.html``; then the whole
``grade batch report DIR`` path (``export_outputs(report_only=True)``) twice: the first
makes every look-alike fingerprint (as the end of a ``grade batch`` run does for new code),
the second finds them in the grade-book.  Targets: the report
for 300 × 8 in ≤ 10 s; the similarity pass over 300 submissions of one exercise in ≤ 30 s.
"""
from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from similarity import klass, renamed  # this folder: the look-alike bench's copy maker
from verdict_snapshot import submissions  # this folder: the kit's known wrong implementations

import autograder
from autograder.kit import PUBLIC_SEED
from autograder.batch import report as report_module
from autograder.batch.gradebook import Gradebook
from autograder.batch.results import class_results
from autograder.batch.run import export_outputs
from autograder.batch.summary import look_alikes, summarize
from autograder.kit import Kit

SEED = PUBLIC_SEED
WEIGHTS = {"reference": 50, "wrong": 40, "stub": 10}


def graded_variants(kit: Kit, scratch: Path) -> dict[str, dict[str, tuple[str, dict]]]:
    """exercise -> variant -> (the module's source, its document)."""
    found = {}
    for ex in kit.exercises:
        found[ex.id] = {}
        for name, folder in submissions(kit, ex.id, scratch).items():
            document = autograder.grade(ex.id, submission=folder, kit=kit, seed=SEED)
            found[ex.id][name] = ((folder / f"{ex.module}.py").read_text(encoding="utf-8"), document)
            print(f"  {ex.id} {name}: {document['score']:g}/{document['max_score']:g}", flush=True)
    return found


def fill(out: Path, kit: Kit, variants: dict, students: int) -> None:
    rng = random.Random(SEED)
    book = Gradebook(out)
    book.claim(ex.id for ex in kit.exercises)
    book.set_meta(seed=SEED, lms="plain", roster=None, submissions=str(out / "submissions"))
    people, assignments, gradings = [], [], []
    styles = dict(klass(students))
    for i in range(students):
        student = f"student{i:03d}"
        people.append({"student": student, "entry": f"{student}.zip", "kind": "zip", "problem": None, "notes": []})
        for ex in kit.exercises:
            kind = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
            names = [n for n in variants[ex.id] if n not in ("reference", "stub")] if kind == "wrong" else [kind]
            source, document = variants[ex.id][rng.choice(names)]
            if ex.id == "exercise1":
                source, document = styles[f"s{i:03d}"], variants[ex.id]["reference"][1]
            elif kind != "stub":
                source = renamed(source) + f"\n\nSTUDENT_NOTE = 'written by {student}'\n"
            content_hash = hashlib.sha256(source.encode()).hexdigest()
            assignments.append({"student": student, "exercise": ex.id, "content_hash": content_hash, "problem": None,
                                "source": source})
            gradings.append(((ex.id, content_hash, kit.version(ex), SEED), document,
                             sum(c["duration_s"] for c in document["exercises"][0]["checks"]) * rng.uniform(0.8, 1.5)))
    book.record_intake(people, assignments)
    for key, document, spent in gradings:
        book.record(key, outcome="graded", document=document, score=document["score"],
                    max_score=document["max_score"], duration_s=round(spent, 3))
    book.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    args = parser.parse_args()
    kit = Kit.installed()
    scratch = Path(tempfile.mkdtemp(prefix="torchgrade-report-bench-"))
    try:
        print("grading the variants once:", flush=True)
        variants = graded_variants(kit, scratch / "variants")
        out = scratch / "out"
        fill(out, kit, variants, args.students)
        book = Gradebook.existing(out)
        start = time.perf_counter()
        results = class_results(book, kit, SEED)
        sources = {ex.id: book.sources(ex.id) for ex in kit.exercises}
        read_s = time.perf_counter() - start
        book.close()
        alike = {}
        for ex in kit.exercises:
            start = time.perf_counter()
            found = look_alikes(sources[ex.id], kit.stub_path(ex))
            alike[ex.id] = (time.perf_counter() - start, len(found["pairs"]), len(found["clusters"]))
        start = time.perf_counter()
        summary = summarize(results, kit, sources=sources)
        summarize_s = time.perf_counter() - start
        start = time.perf_counter()
        page = report_module.render(results, summary, kit, sources)
        render_s = time.perf_counter() - start
        whole_s = []
        for _ in range(2):  # the first makes and stores every fingerprint; the second reads them
            start = time.perf_counter()
            export_outputs(out, kit=kit, report_only=True)
            whole_s.append(time.perf_counter() - start)
        print(f"\n{args.students} students × {len(kit.exercises)} exercises")
        print(f"  read the grade-book:          {read_s:6.2f} s")
        for ex_id, (spent, pairs, clusters) in alike.items():
            print(f"  look-alikes {ex_id}:        {spent:6.2f} s ({args.students} submissions, {pairs} pairs, "
                  f"{clusters} clusters)")
        print(f"  look-alikes, median exercise: {statistics.median(a[0] for a in alike.values()):6.2f} s")
        print(f"  summarize (with look-alikes): {summarize_s:6.2f} s")
        print(f"  render report.html:           {render_s:6.2f} s ({len(page) / 2**20:.1f} MiB)")
        print(f"  grade batch report DIR:       {whole_s[0]:6.2f} s the first time (read, fingerprint, summarize, "
              "write summary.json and report.html)")
        print(f"  grade batch report DIR:       {whole_s[1]:6.2f} s again (the fingerprints stored in the grade-book)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
