"""Parent side of the process split: start workers, talk to them, kill them.

Two launchers with one interface.  ``ZygoteLauncher`` (POSIX) starts a clean zygote at once,
in parallel with the parent's own start-up, and forks a worker from it in milliseconds
whenever one is needed (first call, or after a crash or timeout).  ``SpawnLauncher`` (any
platform without fork/fd passing) starts a fresh interpreter per worker.

A ``Worker`` is one live child with a socket; ``Session`` keeps one student module loaded
in a worker and replaces the worker when it dies, so one bad call fails only itself.

``make_launcher(preload, sandbox="auto")`` starts the zygote inside the strongest isolation
that ``autograder.isolation`` finds here (bubblewrap, else unshare, else rlimits only) and
falls back to the next plan if the zygote cannot start there; ``describe()`` reports the
level and layers in force for the result document.  Workers are killed through a pidfd
(never by a pid that may have been reused) and, in a pid namespace, with all they spawned.
"""
from __future__ import annotations

import dataclasses
import json
import os
import secrets
import signal
import socket
import struct
import subprocess
import sys
import time
from typing import Any

from autograder import isolation, wire

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
        self.pidfd: int | None = None  # kills go through it: safe against pid reuse
        if hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal") and pid > 1:
            try:
                self.pidfd = os.pidfd_open(pid)
            except OSError:
                pass

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
            _kill_tree(self.pid, self.own_group, self.pidfd)
            if self.pidfd is not None:
                os.close(self.pidfd)
                self.pidfd = None


def _recv_until(sock: socket.socket, deadline: float) -> Any:
    class _Deadline:
        def recv(self, n: int) -> bytes:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout()
            sock.settimeout(remaining)
            return sock.recv(n)
    return wire.recv(_Deadline())


def _kill_tree(pid: int, own_group: bool, pidfd: int | None = None) -> None:
    """Kill ``pid`` and its process group.  A worker in its own pid namespace is that
    namespace's init: killing it makes the kernel kill everything inside, ``setsid`` or not.

    With ``pidfd`` (Linux), nothing is sent once the process is gone: its pid and group id
    may already belong to another process."""
    if type(pid) is not int or pid <= 1:  # never kill(-1) or init, whatever a reply said
        return
    kill = getattr(signal, "SIGKILL", signal.SIGTERM)
    if pidfd is not None:
        import select
        try:
            if select.select([pidfd], [], [], 0)[0]:
                return  # already exited (the pidfd is readable)
            if own_group:
                try:  # its group id cannot be reused while the leader is alive
                    os.killpg(pid, kill)
                except (ProcessLookupError, PermissionError):
                    pass
            signal.pidfd_send_signal(pidfd, kill)
        except (OSError, ValueError):
            pass
        return
    if own_group and hasattr(os, "killpg"):
        try:
            os.killpg(pid, kill)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        os.kill(pid, kill)
    except (ProcessLookupError, PermissionError, OSError):
        pass


def _python_command(module: str, *args: str) -> list[str]:
    # -I: ignore PYTHON* variables, the user site and the current directory, so a
    # submission's sitecustomize.py or a stray PYTHONPATH cannot run before we do.
    return [sys.executable, "-I", "-m", module, *args]


def process_tag(pid: int | None = None) -> str:
    """A word in the command line of the zygote, and so of every process forked from it
    (workers, what they spawn without exec), naming the grader process that started it:
    tests look for survivors with it."""
    return f"torchgrade-parent={os.getpid() if pid is None else pid}"


def _peer_pid(sock: socket.socket) -> int | None:
    """The pid of the process that created the peer's socket, as this process sees it
    (the kernel translates it across pid namespaces)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    try:
        pid, _uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i")))
    except OSError:
        return None
    return pid if pid > 0 else None


class ZygoteLauncher:
    """Fork workers from a zygote that has imported only ``preload``, inside the isolation
    layers of ``plan`` (see ``autograder.isolation``)."""

    RESTARTS = 3  # a zygote killed by a submission is restarted this many times

    def __init__(self, preload: tuple[str, ...], plan: isolation.Plan | None = None) -> None:
        self.preload = preload
        self.plan = self._first_plan = plan or isolation.plan("none", [])
        self.restarts = 0
        self.zygote_layers: list[str] = []
        self.scratch: str | None = None
        self._start()

    def _start(self) -> None:
        if not self.plan.config.get("scratch") or self.scratch:
            # No private /tmp in this plan: the workers' folders go in a temporary folder of
            # ours, removed by close() even if a submission killed the zygote.
            import tempfile
            self.scratch = self.scratch or tempfile.mkdtemp(prefix="torchgrade-")
            if self.plan.config.get("uid") is not None:
                os.chown(self.scratch, self.plan.config["uid"], self.plan.config["uid"])
            self.plan.config["scratch"] = self.scratch
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        command = self.plan.prefix + _python_command(
            "autograder.zygote", str(theirs.fileno()), ",".join(self.preload), json.dumps(self.plan.config),
            process_tag())
        try:
            self.process = subprocess.Popen(command, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                            env=self.plan.env, start_new_session=True)
        finally:
            theirs.close()
        self.ready = False

    def _stop(self) -> None:
        self.control.close()  # the zygote exits on EOF
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            # Only while it is unreaped: a reaped pid (and its group id) may belong to
            # someone else a moment later.
            _kill_tree(self.process.pid, True)
            self.process.wait()

    def _wait_ready(self) -> None:
        while not self.ready:
            self.control.settimeout(START_TIMEOUT)
            try:
                message = self.control.recv(4096)
            except socket.timeout:
                message = None
            if message:
                info = json.loads(message)
                self.zygote_layers = [x for x in info.get("layers", []) if type(x) is str]
                failed = set(info.get("failed", []))
                self.plan.layers = [x for x in self.plan.layers if x not in failed]
                self.ready = True
                return
            # The zygote could not start here (a namespace refused, a locked-down runner):
            # fall back to the next weaker plan rather than fail.
            code = self.process.poll()
            self._stop()
            weaker = self.plan.weaker()
            if weaker is None:
                what = "did not start" if message is None else f"exited with status {code}"
                raise WorkerDied(f"the zygote {what} while importing {','.join(self.preload)}")
            self.plan = weaker
            self._start()

    def namespaced(self) -> bool:
        return bool(self.plan.prefix) or "pid-namespace" in self.zygote_layers

    def describe(self) -> dict:
        """``{"sandbox": full|partial|none, "sandbox_layers": [...]}`` as actually set up."""
        try:
            self._wait_ready()
        except (WorkerDied, OSError, ValueError):
            pass
        layers = list(dict.fromkeys(self.plan.layers + self.zygote_layers))
        return {"sandbox": isolation.level(layers), "sandbox_layers": layers}

    def spawn(self) -> Worker:
        while True:
            try:
                return self._spawn()
            except (OSError, EOFError, ValueError) as exc:
                # The zygote is gone (a submission killed it?): start a fresh one.
                if self.restarts >= self.RESTARTS:
                    raise WorkerDied(f"the zygote is not running ({exc})") from None
                self.restarts += 1
                self._stop()
                self._start()

    def _spawn(self) -> Worker:
        self._wait_ready()
        self.control.settimeout(30)
        self.control.send(b'{"op": "spawn"}')
        message, fds, _flags, _addr = socket.recv_fds(self.control, 4096, 1)
        if not message:
            raise EOFError("the zygote closed its socket")
        info = json.loads(message)
        if not fds:
            raise WorkerDied(str(info.get("error") or "the zygote did not hand over a worker"))
        sock = socket.socket(fileno=fds[0])
        # The pid as the kernel sees it from here; the worker's own word only where the
        # kernel cannot say (no SO_PEERCRED), and never when it lives in a pid namespace.
        pid = _peer_pid(sock)
        if pid is None and not self.namespaced():
            pid = int(info.get("pid", 0))
        return Worker(sock, pid or 0, own_group=True)

    def close(self) -> None:
        import shutil
        self._stop()
        for plan in self._first_plan.made():  # the plans fallen back from may have staged folders too
            for folder in plan.cleanup:
                shutil.rmtree(folder, ignore_errors=True)
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)


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

    def describe(self) -> dict:
        layers = ["process-split", "plain-data", "timeouts", "output-caps"]
        return {"sandbox": "none", "sandbox_layers": layers}

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                _kill_tree(process.pid, os.name == "posix")
            process.wait()


def make_launcher(preload: tuple[str, ...], *, sandbox: str = "auto",
                  submission_dirs: list | tuple = ()) -> ZygoteLauncher | SpawnLauncher:
    """A launcher for workers that preload ``preload``.  ``sandbox="auto"`` uses the
    strongest isolation available here (``submission_dirs`` are made visible, read-only);
    ``"none"`` the process split only.  ``describe()`` says what is in force."""
    plan = isolation.plan(sandbox, list(submission_dirs))
    if hasattr(os, "fork") and hasattr(socket, "send_fds") and hasattr(socket, "SOCK_SEQPACKET"):
        return ZygoteLauncher(preload, plan)
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
        real_folder = os.path.realpath(os.path.dirname(os.path.abspath(s.path)))
        if os.path.islink(s.path) or os.path.realpath(s.path) != os.path.join(real_folder, os.path.basename(s.path)):
            # A link could point at the reference solution: only the submission's own file is graded.
            self.loaded = _failure("MissingFile", f"{s.display} is a symbolic link: submit the file itself")
            return None
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
