"""Parent side of the process split: start workers, talk to them, kill them.

Two launchers with one interface.  ``ZygoteLauncher`` (POSIX) starts a clean zygote at once,
in parallel with the parent's own start-up, and forks a worker from it in milliseconds
whenever one is needed (first call, or after a crash or timeout).  ``SpawnLauncher`` (any
platform without fork/fd passing) starts a fresh interpreter per worker.

A ``Worker`` is one live child with a socket; ``Session`` keeps one student module loaded
in a worker and replaces the worker when it dies, so one bad call fails only itself.
"""
from __future__ import annotations

import dataclasses
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from autograder import wire

START_TIMEOUT = 120.0  # seconds for a zygote's imports on a slow laptop


class WorkerDied(Exception):
    """The worker exited or closed its socket without a reply (crash, os._exit, kill)."""


class WorkerTimeout(Exception):
    """The worker did not answer within the call's time limit."""


class WorkerProtocolError(Exception):
    """The worker's reply was malformed or oversized."""


class Worker:
    def __init__(self, sock: socket.socket, pid: int, *, own_group: bool) -> None:
        self.sock = sock
        self.pid = pid
        self.own_group = own_group
        self.alive = True

    def request(self, message: dict, *, timeout: float) -> dict:
        if not self.alive:
            raise WorkerDied("worker is not running")
        deadline = time.monotonic() + timeout
        try:
            self.sock.settimeout(timeout)
            wire.send(self.sock, message)
            reply = _recv_until(self.sock, deadline)
        except (socket.timeout, TimeoutError):
            self.kill()
            raise WorkerTimeout(f"no answer within {timeout:g} s") from None
        except (EOFError, ConnectionError, BrokenPipeError, OSError) as exc:
            self.kill()
            raise WorkerDied(str(exc) or type(exc).__name__) from None
        except wire.WireError as exc:
            self.kill()
            raise WorkerProtocolError(str(exc)) from None
        if type(reply) is not dict or type(reply.get("ok")) is not bool:
            self.kill()
            raise WorkerProtocolError("reply is not a well-formed answer")
        return reply

    def kill(self) -> None:
        if not self.alive:
            return
        self.alive = False
        try:
            self.sock.close()
        finally:
            _kill_tree(self.pid, self.own_group)


def _recv_until(sock: socket.socket, deadline: float) -> Any:
    class _Deadline:
        def recv(self, n: int) -> bytes:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout()
            sock.settimeout(remaining)
            return sock.recv(n)
    return wire.recv(_Deadline())


def _kill_tree(pid: int, own_group: bool) -> None:
    try:
        if own_group and hasattr(os, "killpg"):
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
    except (ProcessLookupError, PermissionError):
        pass


def _python_command(module: str, *args: str) -> list[str]:
    # -I: ignore PYTHON* variables, the user site and the current directory, so a
    # submission's sitecustomize.py or a stray PYTHONPATH cannot run before we do.
    return [sys.executable, "-I", "-m", module, *args]


class ZygoteLauncher:
    """Fork workers from a zygote that has imported only ``preload``."""

    def __init__(self, preload: tuple[str, ...]) -> None:
        self.preload = preload
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            _python_command("autograder.zygote", str(theirs.fileno()), ",".join(preload)),
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, start_new_session=True)
        theirs.close()
        self.ready = False

    def _wait_ready(self) -> None:
        if self.ready:
            return
        self.control.settimeout(START_TIMEOUT)
        try:
            message = self.control.recv(4096)
        except socket.timeout:
            raise WorkerDied(f"the zygote did not start within {START_TIMEOUT:g} s") from None
        if not message:
            code = self.process.wait()
            raise WorkerDied(f"the zygote exited with status {code} while importing {','.join(self.preload)}")
        self.ready = True

    def spawn(self) -> Worker:
        self._wait_ready()
        self.control.settimeout(30)
        self.control.send(b'{"op": "spawn"}')
        message, fds, _flags, _addr = socket.recv_fds(self.control, 4096, 1)
        if not message or not fds:
            raise WorkerDied("the zygote did not hand over a worker")
        pid = json.loads(message)["pid"]
        return Worker(socket.socket(fileno=fds[0]), pid, own_group=True)

    def close(self) -> None:
        self.control.close()  # the zygote exits on EOF
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            _kill_tree(self.process.pid, True)
            self.process.wait()


class SpawnLauncher:
    """Start a fresh interpreter for each worker (Windows, or where fd passing is missing)."""

    def __init__(self, preload: tuple[str, ...]) -> None:
        self.preload = preload
        self.processes: list[subprocess.Popen] = []

    def spawn(self) -> Worker:
        listener = socket.create_server(("127.0.0.1", 0))
        token = secrets.token_hex(16)
        port = listener.getsockname()[1]
        flags = {"start_new_session": True} if os.name == "posix" else {}
        process = subprocess.Popen(
            _python_command("autograder.child", str(port), token, ",".join(self.preload)),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **flags)
        self.processes.append(process)
        listener.settimeout(START_TIMEOUT)
        try:
            while True:
                conn, _ = listener.accept()
                conn.settimeout(10)
                if secrets.compare_digest(conn.recv(32), token.encode()):
                    return Worker(conn, process.pid, own_group=os.name == "posix")
                conn.close()
        except socket.timeout:
            process.kill()
            raise WorkerDied(f"a worker did not start within {START_TIMEOUT:g} s") from None
        finally:
            listener.close()

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                _kill_tree(process.pid, os.name == "posix")
            process.wait()


def make_launcher(preload: tuple[str, ...]) -> ZygoteLauncher | SpawnLauncher:
    if hasattr(os, "fork") and hasattr(socket, "send_fds") and hasattr(socket, "SOCK_SEQPACKET"):
        return ZygoteLauncher(preload)
    return SpawnLauncher(preload)


def _failure(kind: str, message: str) -> dict:
    return {"ok": False, "error": {"type": kind, "message": message}}


@dataclasses.dataclass
class Submission:
    """Where one exercise's student module is: its file, import name and display path."""

    path: str
    module: str
    display: str


class Session:
    """One student module, loaded in a worker that is replaced whenever it dies."""

    def __init__(self, launcher: Any, submission: Submission, *, load_timeout: float = 30.0) -> None:
        self.launcher = launcher
        self.submission = submission
        self.load_timeout = load_timeout
        self.worker: Worker | None = None
        self.loaded: dict | None = None  # the reply to "load" (names, imports) or its error

    def _ensure(self) -> Worker | None:
        """A worker with the module loaded, or None when loading failed (then for good:
        an import that crashed or hung once will do so again, and each retry costs time)."""
        if self.loaded is not None and not self.loaded["ok"]:
            return None
        s = self.submission
        if not os.path.isfile(s.path):
            self.loaded = _failure("MissingFile", f"{s.display} is missing: create it (start from the stub)")
            return None
        if self.worker is None or not self.worker.alive:
            self.worker = self.launcher.spawn()
            try:
                self.loaded = self.worker.request(
                    {"op": "load", "path": s.path, "module": s.module, "display": s.display},
                    timeout=self.load_timeout)
            except WorkerTimeout:
                self.loaded = _failure("Timeout", f"importing {s.display} took longer than {self.load_timeout:g} s")
            except (WorkerDied, WorkerProtocolError) as exc:
                self.loaded = _failure("Crashed", f"the process died while importing {s.display}: {exc}")
        return self.worker if self.loaded["ok"] else None

    def load_info(self) -> dict:
        """The reply to loading the module: ``ok``, ``names``, ``imported`` or ``error``."""
        self._ensure()
        return self.loaded

    def request(self, message: dict, *, timeout: float) -> dict:
        """Send ``message`` to a worker with the module loaded; the load error if it cannot be."""
        worker = self._ensure()
        if worker is None:
            return self.loaded
        return worker.request(message, timeout=timeout)

    def close(self) -> None:
        if self.worker is not None:
            self.worker.kill()
