"""Look-alike submissions: code that is near-identical after normalisation, worth a look.

Each module is parsed (never run) and normalised: docstrings and comments go, names a
student chooses (parameters, locals, helpers) become placeholders numbered in order of
appearance within each top-level function, string constants become one token; attribute
names (``np.maximum``, ``.sum``) stay, since they are what the code does.  Each top-level
definition becomes a token sequence; k-grams of tokens are hashed and winnowed (the
fingerprinting of Schleimer et al., as in MOSS).  Fingerprints that the stub every student
starts from also has are boilerplate and are dropped, so the template never counts as
similarity.

Two submissions' similarity is the share of the smaller one's fingerprints found in the
other.  Renaming, reformatting, re-commenting and reordering functions leave it near 1;
independent correct solutions of the same exercise stay well below (bench/similarity.py
measures it, and compares with copydetect).  Pairs above ``THRESHOLD`` are reported with
the matching lines of both sides; pairs that chain together form clusters.
"""
from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import itertools
from collections import defaultdict
from pathlib import Path
from typing import Iterable

# Which fingerprints these are: stored ones made by another version of this file are stale.
METHOD = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
K = 10  # tokens per k-gram
WINDOW = 4  # winnowing window: of every WINDOW consecutive k-grams, at least one is kept
THRESHOLD = 0.7  # share of fingerprints (of the smaller submission) that makes a pair worth a look
MIN_FINGERPRINTS = 8  # below this, a submission is too small (or all template) to compare
# k-gram hashes are polynomial (Rabin-Karp), rolled along the tokens: each token is hashed
# once, not K times; the modulus is a Mersenne prime, so collisions need ~2**30 k-grams.
_MOD = (1 << 61) - 1
_BASE = 1_000_003
_BASE_K = pow(_BASE, K - 1, _MOD)
_CONTEXTS = (ast.Load, ast.Store, ast.Del)


@dataclasses.dataclass
class Fingerprint:
    name: str
    source: str
    hashes: dict[int, list[int]]  # fingerprint -> the source lines it covers


@dataclasses.dataclass
class Pair:
    a: str
    b: str
    similarity: float
    lines_a: list[tuple[int, int]]  # matching regions, as (first, last) line numbers
    lines_b: list[tuple[int, int]]

    def plain(self) -> dict:
        """As JSON wants it (``dataclasses.asdict`` deep-copies: seconds for thousands of pairs)."""
        return {"a": self.a, "b": self.b, "similarity": self.similarity, "lines_a": [list(r) for r in self.lines_a],
                "lines_b": [list(r) for r in self.lines_b]}


def fingerprint(name: str, source: str, *, boilerplate: set[int] = frozenset(),
                known: dict[int, list[int]] | None = None) -> Fingerprint | None:
    """``None`` for a source that does not parse (it cannot be compared).  ``known``: the
    source's ``raw_hashes``, computed before (the grade-book keeps them)."""
    hashes = raw_hashes(source) if known is None else known
    if hashes is None:
        return None
    return Fingerprint(name, source, {h: lines for h, lines in hashes.items() if h not in boilerplate})


def raw_hashes(source: str) -> dict[int, list[int]] | None:
    """Every winnowed fingerprint of a module and the lines it covers, the stub's included;
    ``None`` when the source does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    hashes: dict[int, list[int]] = {}
    for node in tree.body:
        tokens, lines = _tokens(node)
        for h, line in _winnow(_grams(tokens), lines):
            hashes.setdefault(h, []).append(line)
    return hashes


def template_hashes(stub_source: str) -> set[int]:
    """The fingerprints of the stub students start from (every k-gram, not only winnowed ones)."""
    try:
        tree = ast.parse(stub_source)
    except SyntaxError:
        return set()
    found = set()
    for node in tree.body:
        found.update(_grams(_tokens(node)[0]))
    return found


def similar_pairs(prints: Iterable[Fingerprint], *, threshold: float = THRESHOLD) -> list[Pair]:
    """Pairs at or above ``threshold``, most similar first."""
    prints = [p for p in prints if p is not None and len(p.hashes) >= MIN_FINGERPRINTS]
    index: dict[int, list[int]] = defaultdict(list)
    for i, p in enumerate(prints):
        for h in p.hashes:
            index[h].append(i)
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for owners in index.values():
        if len(owners) > 1 and len(owners) <= max(2, len(prints) // 2):  # in half the class: an idiom
            for i, j in itertools.combinations(owners, 2):
                shared[i, j] += 1
    pairs = []
    for (i, j), count in shared.items():
        a, b = prints[i], prints[j]
        score = count / min(len(a.hashes), len(b.hashes))
        if score >= threshold:
            common = set(a.hashes) & set(b.hashes)
            pairs.append(Pair(a.name, b.name, round(score, 3), _regions(a, common), _regions(b, common)))
    return sorted(pairs, key=lambda p: (-p.similarity, p.a, p.b))


def clusters(pairs: list[Pair]) -> list[list[str]]:
    """Groups of submissions linked by similar pairs (largest first)."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x
    for p in pairs:
        parent[root(p.a)] = root(p.b)
    groups: dict[str, list[str]] = defaultdict(list)
    for name in parent:
        groups[root(name)].append(name)
    return sorted((sorted(g) for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g))


# ---------------------------------------------------------------- normalisation

def _tokens(node: ast.AST) -> tuple[list[str], list[int]]:
    """The tokens of a top-level statement, names normalised within it, and each one's line."""
    names: dict[str, str] = {}
    tokens: list[str] = []
    lines: list[int] = []
    stack = [(node, 0)]
    while stack:  # depth first, children in order: iterative, a deep expression is no recursion
        n, line = stack.pop()
        kind = type(n)
        if kind in _CONTEXTS:
            continue  # Load / Store: the parent says it
        if kind is ast.Expr and type(n.value) is ast.Constant and isinstance(n.value.value, str):
            continue  # a docstring or a bare string
        line = getattr(n, "lineno", line)
        if kind is ast.Name:
            token = names.setdefault(n.id, f"v{len(names)}")
        elif kind is ast.arg:
            token = names.setdefault(n.arg, f"v{len(names)}")
        elif kind is ast.Constant:
            token = "S" if isinstance(n.value, str) else repr(n.value)
        else:
            tokens.append(kind.__name__)
            lines.append(line)
            if kind is ast.Attribute:
                tokens.append("." + n.attr)
                lines.append(line)
            elif kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
                tokens.append("def:" + n.name)  # the API's names are fixed by the stub
                lines.append(line)
            stack.extend((child, line) for child in reversed(list(ast.iter_child_nodes(n))))
            continue
        tokens.append(token)
        lines.append(line)
    return tokens, lines


@functools.lru_cache(maxsize=4096)
def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "big") % _MOD


def _grams(tokens: list[str]) -> list[int]:
    """The hash of every K consecutive tokens."""
    values = [_token_hash(t) for t in tokens]
    if len(values) < K:
        return []
    h = 0
    for v in values[:K]:
        h = (h * _BASE + v) % _MOD
    grams = [h]
    for out, new in zip(values, values[K:]):
        h = ((h - out * _BASE_K) * _BASE + new) % _MOD
        grams.append(h)
    return grams


def _winnow(grams: list[int], lines: list[int]) -> list[tuple[int, int]]:
    """The minimum hash of every window (rightmost on ties), with its k-gram's first line."""
    if not grams:
        return []
    kept, last = [], None
    for start in range(max(1, len(grams) - WINDOW + 1)):
        window = grams[start:start + WINDOW]
        smallest = min(window)
        index = start + len(window) - 1 - window[::-1].index(smallest)
        if index != last:
            kept.append((smallest, lines[index]))
            last = index
    return kept


def _regions(p: Fingerprint, common: set[int]) -> list[tuple[int, int]]:
    """Runs of lines holding shared fingerprints (a k-gram spans a few lines past its first)."""
    lines = sorted({line for h in common for line in p.hashes.get(h, [])})
    regions: list[list[int]] = []
    for line in lines:
        if regions and line <= regions[-1][1] + 3:
            regions[-1][1] = line
        else:
            regions.append([line, line])
    return [(a, b + 2) for a, b in regions]
