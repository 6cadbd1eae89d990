"""The zygote: a clean process that imported only numpy/torch and forks one worker per request.

Started by the parent with ``python -I -m autograder.worker.zygote FD MODULES CONFIG TAG``,
inside the sandbox's namespaces when there are any (``autograder.sandbox.isolation`` plans
them, ``autograder.worker.isolation`` applies them here; the parent half of this module is
``autograder.sandbox.zygote``).  It never runs a parallel torch op (after one, a forked
child hangs forever on its next parallel op) and never loads a reference or a suite, so a
forked worker inherits libraries and nothing else.

Protocol on the SOCK_SEQPACKET control socket FD: the zygote first sends ``{"ready",
"layers"}``; each ``spawn`` request is answered *by the new worker itself* with its pid and,
as ancillary data, the parent's end of a socketpair that the worker created (so the parent
can read the worker's real pid with SO_PEERCRED even across pid namespaces), or by the
zygote with ``{"error"}`` when it could not fork.

Each worker, when the plan allows: PID 1 of its own pid namespace (killing it kills all it
spawned, ``setsid`` or not) with its own /proc and /tmp, rlimits, an unprivileged uid, no
capabilities.  Orphans a worker leaves behind are adopted by the zygote (a child
subreaper) and killed at the next spawn and at exit.

A ``reset`` request (a warm zygote about to serve the next student) kills every worker and
orphan and wipes what they could write (the plan's ``wipe`` folders: the sandbox's private
``/tmp`` and ``/dev/shm``, or the scratch folder), then answers ``{"reset": true}``.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time


class _State:
    def __init__(self, config: dict) -> None:
        self.config = config
        self.pidns = False
        self.subreaper = False
        self.workers: set[int] = set()  # direct children that are workers (no-pidns mode)


def _worker_namespace(state: _State) -> None:
    """In the forked child: become PID 1 of a new pid + mount namespace, with a /proc that
    shows its own processes only (the intermediate process exits at once)."""
    from autograder.worker import isolation
    if not state.pidns:
        return
    try:
        isolation.libc_call("unshare", isolation.CLONE_NEWPID | isolation.CLONE_NEWNS)
    except OSError:
        isolation.unshare_pid()
    if os.fork() != 0:
        os._exit(0)
    try:
        isolation.libc_call("mount", b"none", b"/", None, isolation.MS_REC | isolation.MS_PRIVATE, None)
        isolation.libc_call("mount", b"proc", b"/proc", b"proc", isolation.MS_NOSUID | isolation.MS_NODEV, None)
    except OSError:
        pass


def _become_worker(control: socket.socket, state: _State) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    _worker_namespace(state)
    os.setsid()  # its own process group, so a timeout kills it and what it spawned
    ours, theirs = socket.socketpair()
    socket.send_fds(control, [json.dumps({"pid": os.getpid()}).encode()], [ours.fileno()])
    ours.close()
    control.close()
    from autograder.worker import child, isolation
    scratch = state.config.get("scratch")
    if scratch:
        try:
            path = os.path.join(scratch, f"work-{os.getpid()}-{time.monotonic_ns()}")
            os.makedirs(path, mode=0o700)
            if state.config.get("uid") is not None:
                os.chown(path, state.config["uid"], state.config["uid"])
            os.chdir(path)
            os.environ["HOME"] = os.environ["TMPDIR"] = path
            import tempfile
            tempfile.tempdir = None  # a preloaded library may have cached the zygote's
        except OSError as exc:  # the worker still runs; what needs the folder says why it is missing
            child.SCRATCH_PROBLEM = f"no private scratch folder in {scratch}: {exc}"
    isolation.harden_worker(state.config)
    child.configure_process()
    child.serve(theirs)


def _fork_worker(control: socket.socket, state: _State) -> None:
    try:
        pid = os.fork()
    except OSError as exc:
        control.send(json.dumps({"error": f"fork failed: {exc}"}).encode())
        return
    if pid == 0:  # the worker (or the intermediate that gives it a pid namespace)
        try:
            _become_worker(control, state)
        finally:
            os._exit(0)
    if not state.pidns:
        state.workers.add(pid)


def _sweep(state: _State, *, everything: bool = False, wait: float = 0.0) -> None:
    """Kill adopted orphans (and, with ``everything``, the workers too)."""
    if not state.subreaper:
        return
    from autograder.worker import isolation
    deadline = time.monotonic() + wait
    while True:
        state.workers = {p for p in state.workers if _alive(p)}
        if not isolation.sweep_children(set() if everything else state.workers):
            return
        if time.monotonic() >= deadline:
            return
        time.sleep(0.01)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def _probe(state: _State) -> list:
    """What a worker will get: tried once in a throwaway fork, reported to the parent."""
    from autograder.worker import isolation
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            layers = []
            if state.config.get("pidns") and isolation.unshare_pid():
                layers.append("pid-namespace")
            layers += isolation.harden_worker(state.config)
            os.write(w, json.dumps(layers).encode())
        finally:
            os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 4096):
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    try:
        return json.loads(data.decode() or "[]")
    except ValueError:
        return []


def main(argv: list[str]) -> None:
    control = socket.socket(fileno=int(argv[0]))
    config = json.loads(argv[2]) if len(argv) > 2 and argv[2] else {}
    state = _State(config)
    failed = []
    if config.get("mounts"):
        from autograder.worker import isolation
        failed = isolation.apply_mounts(config["mounts"])
    from autograder.worker import child, isolation, protocol, wire  # noqa: F401 - warm the worker's imports
    loaded = child.preload(argv[1] if len(argv) > 1 else "")
    import ctypes  # noqa: F401
    import resource  # noqa: F401
    layers = _probe(state) if (config.get("limits") or config.get("pidns")) else []
    state.pidns = "pid-namespace" in layers
    if config.get("sweep") and sys.platform.startswith("linux"):
        state.subreaper = isolation.set_subreaper()
        if state.subreaper:
            layers.append("orphan-sweep")
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped automatically
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # a worker's raw writes to fd 1/2 must not reach the grader's output
        os.dup2(devnull, fd)
    control.send(json.dumps({"ready": True, "pid": os.getpid(), "loaded": loaded, "layers": layers,
                             "failed": failed}).encode())
    try:
        while True:
            message = control.recv(4096)
            if not message:
                return
            op = json.loads(message).get("op")
            if op == "spawn":
                _sweep(state)
                _fork_worker(control, state)
            elif op == "reset":
                _sweep(state, everything=True, wait=2.0)
                wiped = isolation.wipe(config.get("wipe", []))
                control.send(json.dumps({"reset": True, "wiped": wiped}).encode())
    finally:
        _sweep(state, everything=True, wait=2.0)


if __name__ == "__main__":
    main(sys.argv[1:])
    os._exit(0)  # skip the interpreter's teardown (torch's alone takes ~0.4 s): the grader waits for it
