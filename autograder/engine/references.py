"""Where a check's expected values come from, loaded once per process (``Kit.references``).

* the instructor's kit: the reference solution itself, trusted code imported here;
* a student release: the values recorded from it (``autograder.engine.replay``);
* a batch lane grading many students: the solution behind a ``ReferenceCache``, which
  answers every call it has seen before from memory.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from autograder.checks.oracle import oracle_path
from autograder.engine.replay import RecordError, Replayer, decode, encode, load_replay, recordable, write_back

CACHE_BYTES = 256 * 1024**2  # most a ReferenceCache keeps (student-dependent calls never repeat)


@functools.cache
def load_solution(path: Path, module: str) -> ModuleType:
    name = f"_torchgrade_reference_{module}"
    spec = importlib.util.spec_from_file_location(name, path)
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded  # classes and dataclasses in a solution look themselves up here
    spec.loader.exec_module(loaded)
    return loaded


@functools.cache
def load_recorded(path: Path) -> Replayer:
    return load_replay(path)


class ReferenceCache:
    """Expected values computed once per process, for every submission graded after the first.

    A batch lane grades many students with the same checks and seeds, so ``reference.f(args)``
    gets the same plain-data arguments for each of them.  The first call runs the solution;
    its result, and what it changed in its arguments, are kept as plain data (the recorded
    values' format) and given back, as fresh objects, to every identical call after it.  A
    call whose arguments or result are not plain data (reference objects) runs every time.
    """

    def __init__(self, limit: int = CACHE_BYTES) -> None:
        self.entries: dict[str, tuple[bytes, dict]] = {}
        self.size, self.limit = 0, limit
        self.hits = self.misses = 0

    def wrap(self, module: Any, exercise_id: str) -> "CachedReference":
        return CachedReference(module, self, exercise_id)

    def call(self, fn: Callable, path: str, args: tuple, kwargs: dict) -> Any:
        try:
            before = [encode(recordable(a, path)) for a in args]
            before_kw = {k: encode(recordable(v, path)) for k, v in sorted(kwargs.items())}
        except RecordError:
            return fn(*args, **kwargs)
        key = hashlib.sha256(b"\0".join([path.encode(), *before, *(k.encode() + v for k, v in before_kw.items())]))
        entry = self.entries.get(key.hexdigest())
        if entry is not None:
            self.hits += 1
            result, mutated = entry
            for where, value in mutated.items():
                write_back(args[where] if type(where) is int else kwargs[where], decode(value))
            return decode(result)
        self.misses += 1
        result = fn(*args, **kwargs)
        try:
            after = [encode(recordable(a, path)) for a in args]
            after_kw = {k: encode(recordable(v, path)) for k, v in kwargs.items()}
            stored = encode(recordable(result, path))
        except RecordError:  # a reference object: nothing to keep
            return result
        mutated: dict = {i: a for i, (a, b) in enumerate(zip(after, before)) if a != b}
        mutated.update({k: v for k, v in after_kw.items() if v != before_kw[k]})
        size = len(stored) + sum(len(v) for v in mutated.values())
        if self.size + size <= self.limit:
            self.entries[key.hexdigest()] = (stored, mutated)
            self.size += size
        return result


class CachedReference:
    """The ``reference`` fixture of a batch lane: the solution module, calls cached."""

    def __init__(self, module: Any, cache: ReferenceCache, exercise_id: str) -> None:
        self._module, self._cache, self._exercise = module, cache, exercise_id

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        if not callable(value) or isinstance(value, type):  # constants; classes build objects
            return value
        path = f"{self._exercise}:{name}"

        @functools.wraps(value)  # messages quote the reference's signature
        def cached(*args: Any, **kwargs: Any) -> Any:
            return self._cache.call(value, path, args, kwargs)
        return cached

    def _oracle(self, func: Callable, args: tuple, kwargs: dict) -> Any:
        """``@oracle`` helpers (``autograder.checks.oracle``) get the real module."""
        return self._cache.call(functools.partial(func, self._module), f"{self._exercise}:{oracle_path(func)}",
                                args, kwargs)
