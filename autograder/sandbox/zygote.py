"""Parent half of the zygote: start workers, from a warm zygote or a fresh interpreter.

Two launchers with one interface.  ``ZygoteLauncher`` (POSIX) starts a clean zygote
(``autograder.worker.zygote``) at once, in parallel with the parent's own start-up, and
forks a worker from it in milliseconds whenever one is needed (first call, or after a crash
or timeout).  ``SpawnLauncher`` (any platform without fork/fd passing) starts a fresh
interpreter per worker.  Both hand out ``WorkerProcess`` objects (``process``).

``make_launcher(preload, sandbox="auto")`` starts the zygote inside the strongest isolation
that ``isolation`` finds here (bubblewrap, else unshare, else rlimits only) and falls back
to the next plan if the zygote cannot start there; ``describe()`` reports the level and
layers in force for the result document.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess

from autograder.sandbox import isolation
from autograder.sandbox.process import (WorkerDied, WorkerProcess, kill_tree, peer_pid, process_tag,
                                        python_command)

START_TIMEOUT = 120.0  # seconds for a zygote's imports on a slow laptop


class ZygoteLauncher:
    """Fork workers from a zygote that has imported only ``preload``, inside the isolation
    layers of ``plan`` (see ``autograder.sandbox.isolation``)."""

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
            self.plan.config["wipe"] = [self.scratch]
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        command = self.plan.prefix + python_command(
            "autograder.worker.zygote", str(theirs.fileno()), ",".join(self.preload), json.dumps(self.plan.config),
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
            kill_tree(self.process.pid, True)
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

    def spawn(self) -> WorkerProcess:
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

    def _spawn(self) -> WorkerProcess:
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
        pid = peer_pid(sock)
        if pid is None and not self.namespaced():
            pid = int(info.get("pid", 0))
        return WorkerProcess(sock, pid or 0, own_group=True)

    def reset(self) -> dict:
        """Kill every worker and wipe what they could write (``worker/zygote.py``): a warm
        zygote then serves the next student as if fresh.  Call it with no session open."""
        self._wait_ready()
        self.restarts = 0  # restarts are counted per grading: the next student gets the full allowance
        try:
            self.control.settimeout(30)
            self.control.send(b'{"op": "reset"}')
            message = self.control.recv(4096)
            reply = json.loads(message) if message else {}
            if reply.get("reset") is True:
                return reply
        except (OSError, ValueError):
            pass
        # The zygote is gone or confused (the last submission killed it?): a new one is clean.
        self._stop()
        self._start()
        self._wait_ready()
        return {"reset": True, "restarted": True}

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

    def spawn(self) -> WorkerProcess:
        listener = socket.create_server(("127.0.0.1", 0))
        token = secrets.token_hex(16)
        port = listener.getsockname()[1]
        flags = {"start_new_session": True} if os.name == "posix" else {}
        process = subprocess.Popen(
            python_command("autograder.worker.child", str(port), token, ",".join(self.preload)),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **flags)
        self.processes.append(process)
        listener.settimeout(START_TIMEOUT)
        try:
            while True:
                conn, _ = listener.accept()
                conn.settimeout(10)
                if secrets.compare_digest(conn.recv(32), token.encode()):
                    return WorkerProcess(conn, process.pid, own_group=os.name == "posix")
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
                kill_tree(process.pid, os.name == "posix")
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


