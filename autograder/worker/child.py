"""The untrusted side: a worker that imports one student module and runs calls on request.

This module runs inside the child process only, like everything in ``autograder.worker``:
it imports nothing of the grader outside this package, so a submission that walks
``gc.get_objects()`` or ``sys.modules`` here finds no reference solution, suite or expected
value.  Requests and replies follow ``protocol``; everything sent back is plain data
(``wire``).  The parent half is ``autograder.sandbox.session``.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import io
import os
import random
import socket
import sys
import time
import traceback
from typing import Any

from autograder.worker import protocol, wire

OUTPUT_LIMIT = 4000  # characters of captured stdout/stderr sent back per call
SCRATCH_PROBLEM: str | None = None  # why this worker has no private scratch folder (the zygote sets it)


class _CappedIO(io.TextIOBase):
    """A stdout/stderr stand-in that keeps the first ``OUTPUT_LIMIT`` characters only."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        if self.size < OUTPUT_LIMIT:
            self.parts.append(str(s)[: OUTPUT_LIMIT - self.size])
            self.size += len(self.parts[-1])
        return len(s)

    def text(self) -> str:
        return "".join(self.parts)


class Worker:
    def __init__(self) -> None:
        self.module: Any = None
        self.path = ""
        self.display = ""
        self.objects: dict[int, Any] = {}  # student objects kept alive for drivers (handles)

    # -- requests -------------------------------------------------------------
    def handle(self, request: dict) -> dict:
        op = request.get("op")
        if op == "load":
            path = request["path"]
            if request.get("files") is not None:  # the submission as data (a warm zygote serves many)
                try:
                    path = stage(request["files"], path)
                except (OSError, ValueError) as exc:
                    why = f" ({SCRATCH_PROBLEM})" if SCRATCH_PROBLEM else ""
                    return protocol.failure(protocol.STAGE_FAILED, f"the submission could not be copied in: {exc}{why}")
            return self.load(path, request["module"], request.get("display", request["path"]))
        if op == "call":
            return self.call(request)
        if op == "drive":
            return self.drive(request)
        return protocol.failure(protocol.PROTOCOL_ERROR, f"unknown op {op!r}")

    def load(self, path: str, name: str, display: str) -> dict:
        self.path, self.display = path, display
        before = set(sys.modules)
        try:
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            with self._captured() as out:
                spec.loader.exec_module(module)
        except BaseException as exc:  # noqa: BLE001 - any failure is reported, never raised
            return self._error(exc)
        self.module = module
        imported = sorted({m.split(".")[0] for m in set(sys.modules) - before if m != name})
        names = {}
        for key, value in vars(module).items():
            if callable(value) and not key.startswith("_"):
                names[key] = _signature(value)
        return {"ok": True, "names": names, "imported": imported, "uses": _module_refs(module),
                "stdout": out.text()}

    def call(self, request: dict) -> dict:
        if self.module is None:
            return protocol.failure(protocol.PROTOCOL_ERROR, "no module loaded")
        try:
            func = self.lookup(request["func"])
        except protocol.MissingFunction as exc:
            return protocol.failure(protocol.MISSING_FUNCTION, str(exc), missing=[exc.what, exc.name])
        args = request.get("args", [])
        kwargs = request.get("kwargs", {})
        _seed(request.get("seed"))
        try:
            with self._captured() as out:
                result = func(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001
            reply = self._error(exc)
            reply["error"]["signature"] = _signature(func)
            return reply
        reply = {"ok": True, "result": result, "stdout": out.text()}
        if request.get("return_args"):
            reply["args"] = list(args)
            reply["kwargs"] = kwargs
        return reply

    def drive(self, request: dict) -> dict:
        """Run a grader-side driver (``autograder.worker.drivers.NAME:FUNCTION``) in this process.

        Drivers are the grader's own code for what cannot be one plain call: autograd
        through the student's function, recording aten ops, handles on student objects.
        They receive this worker (``module``, ``objects``, ``display``) and return plain data.
        """
        if self.module is None:
            return protocol.failure(protocol.PROTOCOL_ERROR, "no module loaded")
        target = str(request.get("driver", ""))
        module_name, _, func_name = target.partition(":")
        if not module_name.isidentifier() or not func_name.isidentifier():
            return protocol.failure(protocol.PROTOCOL_ERROR, f"bad driver {target!r}")
        driver = getattr(importlib.import_module(f"autograder.worker.drivers.{module_name}"), func_name)
        _seed(request.get("seed"))
        try:
            with self._captured() as out:
                result = driver(self, *request.get("args", []), **request.get("kwargs", {}))
        except BaseException as exc:  # noqa: BLE001
            return self._error(exc)
        return {"ok": True, "result": result, "stdout": out.text()}

    # -- helpers ----------------------------------------------------------------
    def lookup(self, name: str, what: str = "function") -> Any:
        """The student's function or class ``name`` (``protocol.MissingFunction`` if absent)."""
        return protocol.lookup(self.module, name, display=self.display, what=what)

    @contextlib.contextmanager
    def _captured(self):
        out = _CappedIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            yield out

    def _error(self, exc: BaseException) -> dict:
        frames = traceback.extract_tb(exc.__traceback__)
        # Only the student's own frames are named (as the student's path); a failure before
        # any student line ran (a wrong signature) names none rather than the grader's.
        mine = [f for f in frames if f.filename == self.path]
        where = [f"{self.display}, line {f.lineno}, in {f.name}: {(f.line or '').strip()}" for f in mine]
        if isinstance(exc, SyntaxError) and exc.filename == self.path:
            where = [f"{self.display}, line {exc.lineno}: {(exc.text or '').strip()}"]
        try:
            message = str(exc)
        except BaseException:  # noqa: BLE001 - a student's __str__ may raise
            message = "<unprintable exception>"
        error = {"type": type(exc).__name__, "message": message[:2000], "where": where[-5:],
                 "func": mine[-1].name if mine else None}
        if isinstance(exc, protocol.MissingFunction):
            error["missing"] = [exc.what, exc.name]
        return {"ok": False, "error": error}


def stage(files: list, module_path: str) -> str:
    """Write a submission sent as data (``[[relative path, bytes], ...]``) into a new folder of
    this worker's private scratch space; returns where ``module_path`` now is."""
    import tempfile
    root = tempfile.mkdtemp(prefix="submission-")  # TMPDIR is the worker's own scratch folder
    for rel, data in files:
        parts = str(rel).split("/")
        if type(data) is not bytes or not rel or any(p in ("", ".", "..") for p in parts) or str(rel).startswith("/"):
            raise ValueError(f"bad file name {rel!r}")
        target = os.path.join(root, *parts)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(data)
    return os.path.join(root, *str(module_path).split("/"))


def _module_refs(module: Any) -> list:
    """Top-level packages that the student module's globals come from (``np``, ``torch.mm``...)."""
    found = set()
    for key, value in list(vars(module).items()):
        if key.startswith("__"):
            continue
        try:
            origin = value.__name__ if inspect.ismodule(value) else getattr(value, "__module__", None)
        except Exception:  # noqa: BLE001 - a student object's attributes may raise
            continue
        if type(origin) is str and origin != module.__name__:
            found.add(origin.split(".")[0])
    return sorted(found)


def _signature(func: Any) -> str:
    try:
        return f"{getattr(func, '__name__', '?')}{inspect.signature(func)}"
    except (TypeError, ValueError):
        return f"{getattr(func, '__name__', '?')}(...)"


def _seed(seed: Any) -> None:
    if type(seed) is not int:
        return
    random.seed(seed)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed % 2**32)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def serve(sock: Any) -> None:
    """Answer requests on ``sock`` until the parent closes it."""
    worker = Worker()
    while True:
        try:
            request = wire.recv(sock, tensors="torch")
        except EOFError:
            return
        start = time.process_time()
        reply = worker.handle(request)
        reply["cpu_s"] = time.process_time() - start  # what this request cost here, for the batch's figures
        try:
            wire.send(sock, reply)
        except wire.WireError as exc:
            wire.send(sock, protocol.failure(protocol.UNSENDABLE, str(exc)))


def configure_process() -> None:
    """Settings every worker needs before running student code (a preloaded torch already
    runs one thread: ``preload``); a torch the student imports later reads this.

    No bytecode is written: importing the student's module would otherwise leave
    ``__pycache__/*.pyc`` in the submission wherever it is writable (``--sandbox none``, a
    release's own stubs), and grading must leave a submission byte-identical."""
    os.environ["OMP_NUM_THREADS"] = "1"
    sys.dont_write_bytecode = True


def preload(modules: str) -> list[str]:
    """Import the exercise's preload (``"numpy,torch"``) and set torch up for workers
    (``autograder.worker.drivers.lean``); done once by the zygote, or by each spawned worker."""
    loaded = []
    for name in filter(None, modules.split(",")):
        importlib.import_module(name)
        loaded.append(name)
    if "torch" in sys.modules:
        from autograder.worker.drivers import lean
        lean.prepare()
    return loaded


def _main(argv: list[str]) -> None:
    """Entry point for ``SpawnLauncher``: ``python -I -m autograder.worker.child PORT TOKEN MODULES``."""
    port, token, modules = argv
    preload(modules)
    sock = socket.create_connection(("127.0.0.1", int(port)))
    sock.sendall(token.encode())
    configure_process()
    serve(sock)


if __name__ == "__main__":
    _main(sys.argv[1:])
