"""What the zygote and each worker do to themselves, from the plan's ``config``
(``autograder.sandbox.isolation``, the parent half, makes the plan).

The zygote, in unshare mode, sets up its mount namespace (``apply_mounts``), becomes a child
subreaper and sweeps orphans; each worker becomes PID 1 of its own pid namespace and applies
``harden_worker`` (rlimits, an unprivileged uid, no capabilities, ``no_new_privs``) before
any student code runs.
"""
from __future__ import annotations

import functools
import os
import sys

# Linux constants
CLONE_NEWPID = 0x20000000
CLONE_NEWNS = 0x00020000
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18


@functools.cache
def _libc():
    import ctypes
    import ctypes.util
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def libc_call(name: str, *args) -> None:
    import ctypes
    if getattr(_libc(), name)(*args) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{name}: {os.strerror(err)}")


def apply_mounts(mounts: dict) -> list:
    """In a fresh mount namespace (unshare mode): hide paths, make the submission read-only,
    give a private /tmp.  Returns the layers that could not be set up."""
    failed = []
    try:
        libc_call("mount", b"none", b"/", None, MS_REC | MS_PRIVATE, None)
    except OSError:
        return ["private-filesystem", "read-only-submission", "private-tmp"]
    for path in mounts.get("hide", []):
        try:
            if os.path.isdir(path):
                libc_call("mount", b"tmpfs", path.encode(), b"tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, b"size=4k,mode=0")
            else:
                libc_call("mount", b"/dev/null", path.encode(), None, MS_BIND, None)
        except OSError:
            failed.append("private-filesystem")
    # The submission may live under /tmp: hold it open, cover /tmp, then bind it back.
    held = {}
    for path in mounts.get("readonly", []):
        try:
            held[path] = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            failed.append("read-only-submission")
    tmp = mounts.get("tmp")
    if tmp:
        try:
            libc_call("mount", b"tmpfs", tmp.encode(), b"tmpfs", MS_NOSUID | MS_NODEV,
                  f"size={int(mounts['tmp_size'])},mode=1777".encode())
        except OSError:
            failed.append("private-tmp")
    for path, fd in held.items():
        try:
            os.makedirs(path, exist_ok=True)
            libc_call("mount", f"/proc/self/fd/{fd}".encode(), path.encode(), None, MS_BIND | MS_REC, None)
            libc_call("mount", b"none", path.encode(), None, MS_BIND | MS_REMOUNT | MS_RDONLY, None)
        except OSError:
            failed.append("read-only-submission")
        finally:
            os.close(fd)
    return sorted(set(failed))


def unshare_pid() -> bool:
    try:
        libc_call("unshare", CLONE_NEWPID)
        return True
    except (OSError, AttributeError):
        return False


def set_subreaper() -> bool:
    try:
        libc_call("prctl", PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        return True
    except (OSError, AttributeError):
        return False


def harden_worker(config: dict) -> list:
    """Applied by each worker to itself before any student code runs: rlimits, an
    unprivileged uid, no capabilities, no_new_privs.  Returns the layers in force."""
    import resource
    import signal
    done = []
    limits = config.get("limits")
    if limits:
        try:
            vm = _vm_size()
            wanted = [(resource.RLIMIT_CPU, limits["cpu"], limits["cpu"] + 5),
                      (resource.RLIMIT_FSIZE, limits["fsize"], limits["fsize"]),
                      (resource.RLIMIT_NOFILE, limits["nofile"], limits["nofile"]),
                      (resource.RLIMIT_CORE, 0, 0)]
            if vm:
                wanted.append((resource.RLIMIT_AS, vm + limits["as_headroom"], vm + limits["as_headroom"]))
            if config.get("uid") is not None or os.geteuid() != 0:
                wanted.append((resource.RLIMIT_NPROC, limits["nproc"], limits["nproc"]))
            for which, soft, hard in wanted:
                old_soft, old_hard = resource.getrlimit(which)
                if old_hard != resource.RLIM_INFINITY:
                    hard = min(hard, old_hard)
                    soft = min(soft, hard)
                resource.setrlimit(which, (soft, hard))
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit raises EFBIG
            done.append("rlimits")
        except (OSError, ValueError, AttributeError):
            pass
    uid = config.get("uid")
    if uid is not None:
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            done.append("unprivileged-uid")
        except OSError:
            pass
    if sys.platform.startswith("linux"):
        try:
            _drop_capabilities()
            libc_call("prctl", PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    return done


def _vm_size() -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:  # no /proc: count the address space above what a small interpreter maps
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024) * 4
    except Exception:  # noqa: BLE001
        return None


def _drop_capabilities() -> None:
    import ctypes

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]
    header = Header(0x20080522, 0)
    data = (Data * 2)()
    libc_call("capset", ctypes.byref(header), data)


def sweep_children(keep: set) -> int:
    """Kill every child of this process (adopted orphans included) whose pid is not in
    ``keep``; returns how many were found."""
    me = os.getpid()
    found = 0
    try:
        names = os.listdir("/proc")
    except OSError:
        return 0
    for name in names:
        if not name.isdigit() or int(name) in keep:
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
            ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me:
            found += 1
            try:
                os.kill(int(name), 9)
            except OSError:
                pass
    return found


def wipe(folders: list) -> int:
    """Remove everything under ``folders`` but mount points (a kit or a Python bound in under
    /tmp) and the folders on the way to them; returns how many entries were removed."""
    import shutil
    mounts = _mount_points()
    removed = 0
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            path = os.path.join(folder, name)
            if any(m == path or m.startswith(path + "/") for m in mounts):
                continue
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)
                removed += 1
            except OSError:
                pass
    return removed


def _mount_points() -> list:
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as f:
            return [line.split()[4].replace("\\040", " ") for line in f if len(line.split()) > 4]
    except OSError:
        return []
