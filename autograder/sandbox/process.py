"""One live worker process, as the parent sees it: a socket, a pid, a way to kill it.

``WorkerProcess.request`` sends one request (``autograder.worker.protocol``) and waits at
most the call's time limit; a worker that dies, hangs or answers with something malformed
is killed and reported as ``WorkerDied``, ``WorkerTimeout`` or ``WorkerProtocolError``.
Workers are killed through a pidfd (never by a pid that may have been reused) and, in a pid
namespace, with all they spawned.
"""
from __future__ import annotations

import os
import signal
import socket
import struct
import sys
import time
from typing import Any

from autograder.worker import wire

class WorkerDied(Exception):
    """The worker exited or closed its socket without a reply (crash, os._exit, kill)."""


class WorkerTimeout(Exception):
    """The worker did not answer within the call's time limit."""


class WorkerProtocolError(Exception):
    """The worker's reply was malformed or oversized."""


class WorkerProcess:
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
            kill_tree(self.pid, self.own_group, self.pidfd)
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


def kill_tree(pid: int, own_group: bool, pidfd: int | None = None) -> None:
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


def python_command(module: str, *args: str) -> list[str]:
    # -I: ignore PYTHON* variables, the user site and the current directory, so a
    # submission's sitecustomize.py or a stray PYTHONPATH cannot run before we do.
    return [sys.executable, "-I", "-m", module, *args]


def process_tag(pid: int | None = None) -> str:
    """A word in the command line of the zygote, and so of every process forked from it
    (workers, what they spawn without exec), naming the grader process that started it:
    tests look for survivors with it."""
    return f"torchgrade-parent={os.getpid() if pid is None else pid}"


def peer_pid(sock: socket.socket) -> int | None:
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


