"""Recording a reference's answers: how ``grade release`` makes a suite replayable.

At release time the public checks run against the reference solution through a
``Recorder``: every call a check makes on its ``reference`` fixture (and every ``@oracle``
helper) is answered by the real solution and written down as plain data in the format of
``autograder.engine.replay``, which replays it in the student release.  Objects a reference
returns that are not plain data (an ``nn.Module`` instance) are recorded through a
``RecordingProxy``: each attribute read and method call is recorded under the object's path
plus a per-object sequence number (objects have state).  Arguments that mutate in place
are recorded after the call.  Anything else that cannot be recorded faithfully raises
``RecordError`` at release time, naming the call, so a release is never built on values
that would replay differently.
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
from pathlib import Path
from typing import Any, Sequence

from autograder.checks.oracle import oracle_path
from autograder.kit import Kit
from autograder.registry import Exercise
from autograder.release import ReleaseError
from autograder.engine.replay import (CALLABLE, FORMAT, GETATTR, Proxy, RecordError, call_key, encode,
                                      faithful, fingerprint, recordable)
from autograder.worker import wire


@dataclasses.dataclass
class _Record:
    path: str
    result: Any  # plain (proxies tagged)
    structure: str
    numbers: list
    mutated: dict  # argument position (int) or keyword (str) -> plain value after the call
    checks: set


class Recorder:
    """The ``reference`` fixture at release time: the real solution, writing down every call."""

    def __init__(self, module: Any, exercise_id: str) -> None:
        self._module = module
        self._exercise = exercise_id
        self._records: dict[str, _Record] = {}
        self._attributes: dict[str, Any] = {}
        self._check = "?"
        self._objects = 0
        self.errors: dict[str, str] = {}  # check -> the first RecordError it raised

    def bind_check(self, check: str) -> "Recorder":
        self._check = check
        self._objects = 0  # object paths restart per check, so that -k reproduces them
        return self

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self._module, name)
        if callable(value):
            return self._wrap(value, name, stateful=False)
        self._attributes[name] = recordable(value, f"reference.{name}")
        return value

    def _oracle(self, func: Any, args: tuple, kwargs: dict) -> Any:
        def run(*a: Any, **k: Any) -> Any:
            result = func(self._module, *a, **k)
            recordable(result, f"{self._exercise}::{self._check}: oracle {func.__qualname__}() result")
            return result
        return self._call(run, oracle_path(func), args, kwargs, stateful=False, owner=None)

    def _wrap(self, func: Any, path: str, *, stateful: bool, owner: Any = None) -> Any:
        @functools.wraps(func)
        def recorded(*args: Any, **kwargs: Any) -> Any:
            return self._call(func, path, args, kwargs, stateful=stateful, owner=owner)
        return recorded

    def _call(self, func: Any, path: str, args: tuple, kwargs: dict, *, stateful: bool, owner: Any) -> Any:
        try:
            return self._record_call(func, path, args, kwargs, stateful=stateful, owner=owner)
        except RecordError as exc:
            self.errors.setdefault(self._check, str(exc))
            raise

    def _record_call(self, func: Any, path: str, args: tuple, kwargs: dict, *, stateful: bool, owner: Any) -> Any:
        where = f"{self._exercise}::{self._check}: reference.{path}()"
        plain_args = recordable(args, where + " argument")
        plain_kwargs = recordable(kwargs, where + " argument")
        if stateful:
            path = f"{path}#{owner._next()}"
        key = call_key(path, plain_args, plain_kwargs)
        structure, numbers = fingerprint(plain_args, plain_kwargs)  # before the call may change them
        before = [encode(a) for a in plain_args], {k: encode(v) for k, v in plain_kwargs.items()}
        real_args = tuple(_unwrap(a) for a in args)
        real_kwargs = {k: _unwrap(v) for k, v in kwargs.items()}
        result = func(*real_args, **real_kwargs)
        mutated = {}
        for i, (arg, old) in enumerate(zip(args, before[0])):
            if encode(recordable(arg, where)) != old:
                mutated[i] = recordable(arg, where + " argument (changed in place)")
        for k, arg in kwargs.items():
            if encode(recordable(arg, where)) != before[1][k]:
                mutated[k] = recordable(arg, where + " argument (changed in place)")
        result = self._result(result, key, where)
        record = self._records.get(key)
        if record is None:
            self._records[key] = _Record(path, recordable(result, where), structure, numbers, mutated, {self._check})
        else:
            record.checks.add(self._check)
        return result

    def _result(self, value: Any, key: str, where: str) -> Any:
        """Plain values as they are; other objects behind a recording proxy (recursively)."""
        t = type(value)
        if t in (list, tuple):
            return t(self._result(v, f"{key}/{i}", where) for i, v in enumerate(value))
        if t is dict:
            return {k: self._result(v, f"{key}/{k!r}", where) for k, v in value.items()}
        if faithful(value) or isinstance(value, RecordingProxy):
            return value
        if callable(value) or hasattr(value, "__dict__"):
            self._objects += 1  # objects are numbered per check, in the order the check made them
            return RecordingProxy(self, value, f"@{self._check}/{self._objects}")
        raise RecordError(f"{where} returned {wire._type_name(value)}, which cannot be recorded")

    def records(self) -> dict:
        """Everything recorded, as one plain-data value (sorted, so the file is deterministic)."""
        calls = []
        for key in sorted(self._records):
            r = self._records[key]
            calls.append({"key": key, "path": r.path, "result": r.result, "structure": r.structure,
                          "numbers": r.numbers, "mutated": {str(k): v for k, v in sorted(r.mutated.items(), key=str)},
                          "checks": sorted(r.checks)})
        signatures = {}
        for name in sorted(vars(self._module)):
            obj = getattr(self._module, name)
            if not name.startswith("_") and callable(obj) and getattr(obj, "__module__", None) == self._module.__name__:
                sig = signature_text(obj)
                if sig is not None:
                    signatures[name] = sig
        return {"format": FORMAT, "exercise": self._exercise, "signatures": signatures,
                "attributes": dict(sorted(self._attributes.items())), "calls": calls}

    def checks_recorded(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self._records.values():
            for c in r.checks:
                counts[c] = counts.get(c, 0) + 1
        return counts


def _unwrap(value: Any) -> Any:
    if isinstance(value, RecordingProxy):
        return object.__getattribute__(value, "_obj")
    t = type(value)
    if t in (list, tuple):
        return t(_unwrap(v) for v in value)
    if t is dict:
        return {k: _unwrap(v) for k, v in value.items()}
    return value


class RecordingProxy(Proxy):
    """A non-plain object a reference returned (e.g. a module instance), recorded per access."""

    def __init__(self, recorder: Recorder, obj: Any, path: str) -> None:
        object.__setattr__(self, "_recorder", recorder)
        object.__setattr__(self, "_obj", obj)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_seq", 0)

    def _next(self) -> int:
        seq = object.__getattribute__(self, "_seq")
        object.__setattr__(self, "_seq", seq + 1)
        return seq

    def __getattr__(self, name: str) -> Any:
        recorder, obj = object.__getattribute__(self, "_recorder"), object.__getattribute__(self, "_obj")
        path = f"{object.__getattribute__(self, '_path')}.{name}"
        value = getattr(obj, name)
        if callable(value) and not faithful(value):
            recorder._call(lambda *_: CALLABLE, path, (GETATTR,), {}, stateful=True, owner=self)
            return recorder._wrap(value, path, stateful=True, owner=self)
        return recorder._call(lambda *_: value, path, (GETATTR,), {}, stateful=True, owner=self)

    def __setattr__(self, name: str, value: Any) -> None:
        raise RecordError(f"setting {name!r} on a reference object cannot be recorded; call a method instead")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        recorder, obj = object.__getattribute__(self, "_recorder"), object.__getattribute__(self, "_obj")
        path = f"{object.__getattribute__(self, '_path')}()"
        return recorder._call(obj, path, args, kwargs, stateful=True, owner=self)


def signature_text(obj: Any) -> str | None:
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- the public suites, recorded

def record(kit: Kit, exercises: Sequence[Exercise], suites: dict[str, Path], *, seed: int | None = None) -> dict[str, dict]:
    """Run ``suites`` (the public suites of a release, the whole suites of a platform package)
    on the reference solutions with recording references, at ``seed`` (default: the public seed).

    Returns ``{exercise id: recorded data}``; raises ``ReleaseError`` when a public check does
    not pass on the reference solution or a reference call cannot be recorded.
    """
    from autograder.kit import PUBLIC_SEED
    from autograder.engine.runner import run_suites
    seed = PUBLIC_SEED if seed is None else seed
    from autograder.sandbox.session import Session, Submission
    from autograder.sandbox.zygote import make_launcher

    recorders = {ex.id: Recorder(kit.solution(ex), ex.id) for ex in exercises}
    preload = tuple(dict.fromkeys(m for ex in exercises for m in ex.preload))
    launcher = make_launcher(preload, sandbox="none")  # the "submission" is the trusted solution
    sessions = {ex.id: Session(launcher, Submission(path=str(kit.solution_path(ex)), module=ex.module,
                                                    display=f"solutions/{ex.module}.py")) for ex in exercises}
    try:
        document = run_suites(kit=kit, exercises=exercises, sessions=sessions, seed=seed, pattern=None,
                              reproduce=lambda e, c: "", references=lambda ex: recorders[ex.id],
                              suite_paths={k: str(v) for k, v in suites.items()})
    finally:
        for session in sessions.values():
            session.close()
        launcher.close()
    problems = []
    for entry in document["exercises"]:
        for c in entry["checks"]:
            if c["status"] != "passed" or c["score"] != c["max_score"]:
                why = recorders[entry["id"]].errors.get(c["id"])
                if why is None:  # e.g. a proxy used where a real object is needed: the exception's last line
                    lines = [line for line in c["message"].splitlines() if line.strip()]
                    why = f"{c['status']} on the reference solution: {lines[-1] if lines else ''}"
                where = f"{entry['id']}::{c['id']}: "
                problems.append(where + why.removeprefix(where))
    if problems:
        raise ReleaseError(
            "public checks that cannot be recorded:\n  " + "\n  ".join(problems) + "\n"
            "A check may call the reference's functions and methods with plain data (numbers, arrays, "
            "tensors); to use reference objects as real objects (in an nn.Sequential, autograd through "
            "them), compute the expected values in a helper decorated with autograder.checks.oracle "
            "that takes and returns plain data.")
    return {ex.id: dict(recorders[ex.id].records(), seed=seed) for ex in exercises}
