"""The zygote: a clean process that imported only numpy/torch and forks one worker per request.

Started by the parent with ``python -I -m autograder.zygote FD MODULES``.  It never runs a
parallel torch op (a fork after one deadlocks the child, see MEASURED_FACTS) and never
loads a reference or a suite, so a forked worker inherits libraries and nothing else.

Protocol on the SOCK_SEQPACKET control socket FD: the zygote first sends ``{"ready"}``;
each ``spawn`` request is answered with the worker's pid and, as ancillary data, the
parent's end of a fresh socketpair connected to that worker.
"""
from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import sys


def _fork_worker(control: socket.socket) -> None:
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # the worker
        try:
            control.close()
            ours.close()
            os.setsid()  # its own process group, so a timeout kills it and what it spawned
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            from autograder import child
            child.configure_process()
            child.serve(theirs)
        finally:
            os._exit(0)
    theirs.close()
    socket.send_fds(control, [json.dumps({"pid": pid}).encode()], [ours.fileno()])
    ours.close()


def main(argv: list[str]) -> None:
    control = socket.socket(fileno=int(argv[0]))
    loaded = []
    for name in filter(None, argv[1].split(",")) if len(argv) > 1 else []:
        importlib.import_module(name)
        loaded.append(name)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    from autograder import child, wire  # noqa: F401 - warm the worker's own imports
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped automatically
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # a worker's raw writes to fd 1/2 must not reach the grader's output
        os.dup2(devnull, fd)
    control.send(json.dumps({"ready": True, "pid": os.getpid(), "loaded": loaded}).encode())
    while True:
        message = control.recv(4096)
        if not message:
            return
        if json.loads(message).get("op") == "spawn":
            _fork_worker(control)


if __name__ == "__main__":
    main(sys.argv[1:])
