"""Look-alike detection: copies are found however they are disguised, independent solutions
and the stub are not, and the fingerprints do not depend on the process that made them."""
from __future__ import annotations

import importlib.util
import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.batch import similarity
from autograder.batch.summary import look_alikes
from conftest import KIT

INDEPENDENT = Path(__file__).parent / "independent"
EXERCISE1 = KIT.find("exercise1")
STUB = KIT.stub_path(EXERCISE1).read_text()


def _bodies():
    spec = importlib.util.spec_from_file_location("independent_bodies", INDEPENDENT / "bodies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


STYLES = {style: _bodies().make_submission(STUB, style) for style in _bodies().STYLES}
STYLES["reference"] = KIT.solution_path(EXERCISE1).read_text()


def score(a: str, b: str) -> float:
    boiler = similarity.template_hashes(STUB)
    pairs = similarity.similar_pairs([similarity.fingerprint("a", a, boilerplate=boiler),
                                      similarity.fingerprint("b", b, boilerplate=boiler)], threshold=0.0)
    return pairs[0].similarity if pairs else 0.0


def renamed(source: str) -> str:
    """Local variables renamed (not attributes: ``self.pre`` stays, and so does ``np.outer``)."""
    for old, new in (("hidden", "hid_layer"), ("out", "result"), ("diff", "delta"), ("history", "losses"),
                     ("err", "e_out"), ("back", "e_hid"), ("pre", "z1"), ("act", "a1"), ("step", "it")):
        source = re.sub(rf"(?<![.\w]){old}\b", new, source)
    return source


def reformatted(source: str) -> str:
    lines = []
    for line in source.splitlines():
        lines.append(line)
        if line.startswith("def "):
            lines += ["    # my own work", ""]
    return "\n".join(lines).replace(" = ", "=") + "\n"


def reordered(source: str) -> str:
    head, *defs = source.split("\ndef ")
    return head + "".join("\ndef " + d.rstrip("\n") + "\n\n" for d in reversed(defs))


@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("disguise", [renamed, reformatted, reordered, lambda s: reordered(reformatted(renamed(s)))],
                         ids=["renamed", "reformatted", "reordered", "all three"])
def test_a_disguised_copy_is_found(style, disguise):
    copy = disguise(STYLES[style])
    assert copy != STYLES[style]
    assert score(STYLES[style], copy) >= 0.95


def test_independent_solutions_are_not_paired():
    scores = {(a, b): score(STYLES[a], STYLES[b]) for a, b in itertools.combinations(sorted(STYLES), 2)}
    worst = max(scores, key=scores.get)
    assert scores[worst] < similarity.THRESHOLD, (worst, scores[worst])


@pytest.mark.parametrize("edit", ["untouched", "one line"])
@pytest.mark.parametrize("exercise", ["exercise3", "exercise4", "exercise7"])  # the stubs with the most code
def test_the_stub_is_not_similarity(exercise, edit):
    """Two students who kept the stub (or answered one function with the same line) are not
    look-alikes: in a class of two, where nothing is common enough to be an idiom."""
    path = KIT.stub_path(KIT.find(exercise))
    stub = path.read_text()
    if edit == "one line":
        stub = stub.replace("raise NotImplementedError", "return None", 1)
    assert len(similarity.raw_hashes(stub)) >= similarity.MIN_FINGERPRINTS  # big enough to be compared
    found = look_alikes({"s1": stub, "s2": stub}, path)
    assert found["pairs"] == [] and found["compared"] == 2


def test_what_half_the_class_wrote_is_an_idiom():
    """The expected answer, written by most of the class, is not evidence of copying; a
    pair that shares a rarer solution still is."""
    sources = {f"r{i}": renamed(STYLES["reference"]) + f"\nNOTE = {i}\n" for i in range(6)}
    sources |= {"a": STYLES["oop"], "b": reformatted(STYLES["oop"]), "c": STYLES["loops"]}
    found = look_alikes(sources, KIT.stub_path(EXERCISE1))
    assert [(p["a"], p["b"]) for p in found["pairs"]] == [("a", "b")]
    assert found["clusters"] == [["a", "b"]]


def test_regions_are_the_matching_lines():
    copy = reordered(STYLES["matrix"])
    pair = similarity.similar_pairs([similarity.fingerprint("a", STYLES["matrix"]),
                                     similarity.fingerprint("b", copy)])[0]
    marked = {n for a, b in pair.lines_b for n in range(a, b + 1)}
    stub = {line.strip() for line in STUB.splitlines()}
    own = {n for n, line in enumerate(copy.splitlines(), start=1) if line.strip() not in stub}  # the student's lines
    assert len(own & marked) >= 0.9 * len(own), sorted(own - marked)


def test_clusters_chain_pairs():
    pairs = [similarity.Pair("a", "b", 0.9, [], []), similarity.Pair("b", "c", 0.8, [], []),
             similarity.Pair("x", "y", 0.9, [], [])]
    assert similarity.clusters(pairs) == [["a", "b", "c"], ["x", "y"]]


def test_a_module_that_does_not_parse_is_left_out():
    assert similarity.fingerprint("s", "def forward(:\n") is None
    found = look_alikes({"s1": "def forward(:\n", "s2": STYLES["loops"]}, KIT.stub_path(EXERCISE1))
    assert found == {"threshold": similarity.THRESHOLD, "compared": 1, "pairs": [], "clusters": []}


def test_stored_fingerprints_give_the_same_pairs():
    sources = {"a": STYLES["oop"], "b": renamed(STYLES["oop"]), "c": STYLES["loops"]}
    known = {text: similarity.raw_hashes(text) for text in sources.values()}
    assert look_alikes(sources, KIT.stub_path(EXERCISE1), known=known) == look_alikes(sources, KIT.stub_path(EXERCISE1))


def test_fingerprints_do_not_depend_on_the_process():
    """Stored fingerprints are reused by later runs: Python's salted ``hash()`` would make
    them differ from one process to the next (copydetect's do)."""
    code = ("import sys, json; from autograder.batch import similarity; "
            "print(json.dumps(sorted(similarity.raw_hashes(sys.stdin.read()))))")
    runs = {subprocess.run([sys.executable, "-c", code], input=STYLES["loops"], capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}, timeout=60, check=True).stdout
            for seed in ("1", "2")}
    assert len(runs) == 1
