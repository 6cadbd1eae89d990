"""Isolation layers for the untrusted side, detected at run time.

The parent asks ``plan(mode, submission_dirs)`` once per grading run.  A plan says how the
zygote is started (a ``bwrap`` or ``unshare`` command prefix, or nothing) and what the zygote
and its workers do to themselves (``config``: rlimits, an unprivileged uid, a pid namespace
per worker, mounts).  Preference on Linux:

1. **bubblewrap**: private network, pid, ipc and uts namespaces; a new root that holds only
   the system and Python directories, the worker's own files of the grader, the submission
   (read-only) and a private size-limited ``/tmp``.  Solutions, suites, the kit's tests and
   the rest of the grader do not exist in there.
2. **unshare** (util-linux) when bwrap is missing or refused: private network and pid
   namespaces and a mount namespace in which the zygote hides the kit's solutions, suites,
   tests and grader files under empty tmpfs mounts and remounts the submission read-only.
3. nothing: the process split, plain data, timeouts, output caps and whatever rlimits work.

In every mode but ``none``, each worker runs as PID 1 of its own pid namespace when the
zygote may create one (so killing it kills everything it spawned, ``setsid`` or not), with
rlimits, without capabilities, with ``no_new_privs``, and as an unprivileged uid when the
grader runs as root (RLIMIT_NPROC does not apply to root).

The zygote and its workers apply ``config`` with ``autograder.worker.isolation`` (the worker
half of this module); this module runs in the parent only (workers cannot see it).
"""
from __future__ import annotations

import dataclasses
import functools
import os
import shutil
import subprocess
import sys
from typing import Callable

MODES = ("auto", "none")

# Limits of one worker process (the parent's wall-clock timeouts come first; these are the
# backstop against what a timeout cannot see: memory, files, processes, a lost parent).
AS_HEADROOM = 3 * 1024**3  # bytes of address space above what the zygote already mapped
CPU_SECONDS = 600
FILE_SIZE = 128 * 1024**2
OPEN_FILES = 256
PROCESSES = 256  # per uid; only enforced for a non-root uid
TMP_SIZE = 512 * 1024**2  # private /tmp in the sandbox (tmpfs: memory)
STAGE_BYTES = 256 * 1024**2  # most a private submission is copied (to be readable by the worker uid)
STAGE_FILES = 5000
# Workers of a grader running as root take a uid of their own, not a shared one like
# nobody's: RLIMIT_NPROC counts per uid across the machine, so one grader's fork bomb must
# not starve the workers of another grading beside it.
UID_BASE = 10_000_000


def worker_uid() -> int:
    return UID_BASE + os.getpid() % 10_000_000

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIT_ROOT = os.path.dirname(PACKAGE_DIR)
# What of the package a worker sees: the package's import-free __init__.py and the worker
# package, which imports nothing else of ours (tests/worker/test_boundary.py).  The rest of
# the package (suites, references, the engine) does not exist in the sandbox.
WORKER_VISIBLE = ("__init__.py", "worker")
KIT_SECRETS = ("solutions", "tests", ".git")  # folders of the kit's checkout a worker must not see
PRIVATE = ("/tmp", "/dev/shm")  # the sandbox's own: never shadowed by a bind of the host's
ENV_KEEP = ("PATH", "LANG", "LANGUAGE", "TZ", "SYSTEMROOT", "LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES")


@dataclasses.dataclass
class Plan:
    mode: str
    prefix: list  # command prefix that starts the zygote inside the namespaces
    layers: list  # what the parent set up (the zygote adds what it managed itself)
    config: dict  # for the zygote and its workers
    env: dict
    # The next weaker plan, or a function that makes it: making the weaker plans walks
    # sys.prefix (≈0.08 s before the zygote can start), worth it only when this one fails.
    fallback: "Plan | Callable[[], Plan | None] | None" = None
    cleanup: list = dataclasses.field(default_factory=list)  # folders to remove after the run

    def weaker(self) -> "Plan | None":
        if callable(self.fallback):
            self.fallback = self.fallback()
        return self.fallback

    def made(self) -> list["Plan"]:
        """This plan and the weaker ones made so far (they may have staged folders)."""
        plans, plan = [], self
        while isinstance(plan, Plan):
            plans.append(plan)
            plan = plan.fallback
        return plans


def base_layers() -> list:
    return ["process-split", "plain-data", "timeouts", "output-caps"]


def level(layers: list) -> str:
    """``full`` with namespaces, hidden files, a pid namespace per worker and rlimits;
    ``partial`` with some of them; ``none`` with the process split only."""
    strong = {"no-network", "private-filesystem", "pid-namespace", "rlimits"}
    have = strong & set(layers)
    if have == strong:
        return "full"
    return "partial" if have else "none"


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k in ENV_KEEP or k.startswith("LC_")}
    env.setdefault("PATH", "/usr/bin:/bin")
    env["OMP_NUM_THREADS"] = "1"
    env["PYTHONHASHSEED"] = "0"
    return env


# bench/grade_latency.py --level: force one plan (bubblewrap, unshare, rlimits); never set in use
FORCE_PLAN = "TORCHGRADE_FORCE_PLAN"


def plan(mode: str, submission_dirs: list) -> Plan:
    if mode not in MODES:
        raise ValueError(f"unknown sandbox mode {mode!r}; choose from {', '.join(MODES)}")
    none = Plan("none", [], base_layers(), {"sweep": True}, _env())
    if mode == "none" or not sys.platform.startswith("linux"):
        if mode != "none":  # rlimits inside try on other POSIX systems
            none.config.update(_limits_config(uid_ok=False))
            none.mode = "auto"
        return none
    dirs = [os.path.realpath(d) for d in submission_dirs]

    def weaker() -> Plan:
        rlimits = _rlimits_only(dirs)
        return _unshare_plan(dirs, rlimits) or rlimits

    forced = os.environ.get(FORCE_PLAN)
    if forced:  # a benchmark's way to time a weaker level on a machine that has a stronger one
        found = {"bubblewrap": lambda: _bwrap_plan(dirs, weaker), "unshare": lambda: _unshare_plan(dirs, None),
                 "rlimits": lambda: _rlimits_only(dirs)}.get(forced, lambda: None)()
        if found is None:
            raise ValueError(f"{FORCE_PLAN}={forced!r}: not available here (choose bubblewrap, unshare or rlimits)")
        return found
    return _bwrap_plan(dirs, weaker) or weaker()


def _other_readable(dirs: list, limit: int = 5000) -> bool:
    """Whether an unprivileged uid could read everything in ``dirs`` (then root may drop to it)."""
    return _other_readable_cached(tuple(dirs), limit)


@functools.lru_cache(maxsize=32)
def _other_readable_cached(dirs: tuple, limit: int) -> bool:
    # Each plan asks again, and walking sys.prefix costs ~0.1 s before the zygote can start.
    import stat
    seen = 0
    for d in dirs:
        try:
            for dirpath, dirnames, filenames in os.walk(d):
                if stat.S_IMODE(os.stat(dirpath).st_mode) & 0o005 != 0o005:
                    return False
                for name in filenames:
                    seen += 1
                    if seen > limit:
                        return False
                    st = os.lstat(os.path.join(dirpath, name))
                    if stat.S_ISREG(st.st_mode) and not st.st_mode & stat.S_IROTH:
                        return False
        except OSError:
            return False
    return True


def _stage(dirs: list) -> tuple[list, list]:
    """Copies of ``dirs`` that an unprivileged uid can read (a student's checkout is often
    private to its owner, and pytest's temporary folders are 0700), as ``(pairs, cleanup)``:
    each pair is (copy, original path to mount it on).  Large files and .git are left out."""
    import shutil
    import tempfile
    pairs, cleanup = [], []
    budget = {"bytes": STAGE_BYTES, "files": STAGE_FILES}
    try:
        for d in dirs:
            if _inside(tempfile.gettempdir(), d):  # never copy a folder into itself
                raise OSError(f"cannot stage {d}: it holds the temporary folder")
            stage = tempfile.mkdtemp(prefix="torchgrade-submission-")
            cleanup.append(stage)
            target = os.path.join(stage, "s")
            shutil.copytree(d, target, symlinks=True, ignore=lambda folder, names: _skip(folder, names, budget))
            _chmod_readable(stage)
            pairs.append((target, d))
    except BaseException:
        for stage in cleanup:
            shutil.rmtree(stage, ignore_errors=True)
        raise
    return pairs, cleanup


def _chmod_readable(stage: str) -> None:
    for dirpath, dirnames, filenames in os.walk(stage):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, 0o644 | (os.stat(path).st_mode & 0o111))


def _skip(folder: str, names: list, budget: dict) -> list:
    """What not to copy: .git, caches, files over 64 MB; past the budget, stop altogether
    (a submission folder that is really a home directory or /tmp is not copied whole)."""
    skipped = []
    for name in names:
        path = os.path.join(folder, name)
        try:
            if name in (".git", "__pycache__", ".venv", "venv", "node_modules") or os.path.islink(path):
                skipped.append(name)
                continue
            if os.path.isfile(path):
                size = os.path.getsize(path)
                if size > 64 * 1024**2:
                    skipped.append(name)
                    continue
                budget["bytes"] -= size
                budget["files"] -= 1
                if budget["bytes"] < 0 or budget["files"] < 0:
                    raise OSError("the submission is too large to stage")
        except OSError as exc:
            if "too large" in str(exc):
                raise
            skipped.append(name)
    return skipped


def _limits_config(*, uid_ok: bool) -> dict:
    config = {"limits": {"as_headroom": AS_HEADROOM, "cpu": CPU_SECONDS, "fsize": FILE_SIZE,
                         "nofile": OPEN_FILES, "nproc": PROCESSES},
              "pidns": True, "sweep": True}
    if uid_ok and hasattr(os, "geteuid") and os.geteuid() == 0:
        config["uid"] = worker_uid()
    return config


def _rlimits_only(dirs: list) -> Plan:
    # Without a mount namespace an unprivileged uid may not reach Python (e.g. under /root).
    config = _limits_config(uid_ok=_other_readable(dirs) and _other_readable([sys.prefix]))
    return Plan("auto", [], base_layers(), config, _env())


@functools.cache
def _works(*command: str) -> bool:
    try:
        return subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _python_dirs() -> list:
    """Directories the interpreter and its packages live in (outside the kit's own tree)."""
    found = []
    for p in [sys.base_prefix, sys.prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable)),
              *sys.path]:
        if not p or not os.path.isabs(p) or not os.path.exists(p):
            continue
        real = os.path.realpath(p)
        for q in {p, real}:
            if _inside(q, KIT_ROOT) or q in ("/", os.path.realpath(os.getcwd())):
                continue
            if any(_inside(private, q) for private in PRIVATE):  # a script run from /tmp: sys.path[0] is /tmp
                continue
            if q not in found:
                found.append(q)
    # Parents before children: bwrap mounts in order, a later bind may sit inside an earlier one.
    return sorted(found, key=lambda q: q.count(os.sep))


def _inside(path: str, root: str) -> bool:
    path, root = os.path.realpath(path), os.path.realpath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _bwrap_plan(dirs: list, fallback: Callable[[], Plan]) -> Plan | None:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return None
    root = os.geteuid() == 0
    ns = ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    caps = ["--cap-add", "CAP_SYS_ADMIN"]  # the zygote gives each worker a pid namespace
    if root:
        caps += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        ns.append("--unshare-user")
    if not _works(bwrap, *ns, *caps, "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"):
        return None
    args = [bwrap, "--die-with-parent", *ns, *caps]
    for system in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"):
        if os.path.lexists(system):
            kind = "--symlink" if os.path.islink(system) else "--ro-bind"
            args += [kind, os.readlink(system), system] if kind == "--symlink" else [kind, system, system]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(TMP_SIZE), "--tmpfs", "/tmp", "--size", str(64 * 1024**2), "--tmpfs", "/dev/shm"]
    for d in _python_dirs():
        if d.startswith(("/usr/", "/lib", "/bin", "/etc/")) or d in ("/usr", "/bin", "/etc"):
            continue
        args += ["--ro-bind", d, d]
    cleanup = []
    pairs = [(d, d) for d in dirs]
    uid_ok = not root or _other_readable(dirs)
    if root and not uid_ok:
        try:
            pairs, cleanup = _stage(dirs)
            uid_ok = True
        except (OSError, shutil.Error):
            pass
    for source, d in pairs:
        args += ["--ro-bind", source, d]
    # The kit's own secrets may lie inside a bound folder (a submission inside the kit's
    # checkout, the package inside site-packages): empty tmpfs mounts hide them, then the
    # worker's own files of the package come back.
    bound = _python_dirs() + dirs
    for secret in _secrets(dirs):
        if any(_inside(secret, d) for d in bound):
            args += ["--tmpfs", secret]
    for name in WORKER_VISIBLE:
        path = os.path.join(PACKAGE_DIR, name)
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    args = _with_parent_dirs(args)
    args += ["--remount-ro", "/", "--chdir", "/tmp", "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp"]
    config = _limits_config(uid_ok=uid_ok)
    config["scratch"] = "/tmp"
    config["wipe"] = ["/tmp", "/dev/shm"]  # the sandbox's own tmpfs mounts
    layers = base_layers() + ["bubblewrap", "no-network", "private-filesystem", *_mounted(dirs), "private-tmp"]
    return Plan("auto", args, layers, config, _env(), fallback, cleanup)


def _secrets(dirs: list) -> list:
    """The kit's folders a worker must not see, unless one is the submission itself
    (``grade all --submission solutions`` grades the references)."""
    found = [os.path.join(KIT_ROOT, name) for name in KIT_SECRETS]
    found.append(PACKAGE_DIR)
    return [p for p in found if os.path.exists(p) and not any(_inside(d, p) for d in dirs)]


def _with_parent_dirs(args: list) -> list:
    """Insert ``--perms 0755 --dir`` for the parents of every bind target: bwrap would create
    them 0700, which an unprivileged uid cannot cross."""
    out, made, bound = [], {"/"}, []
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("--ro-bind", "--bind", "--symlink"):
            dest = args[i + 2]
            parents = []
            p = os.path.dirname(dest)
            while p not in made and not any(_inside(p, b) for b in bound):
                parents.append(p)
                p = os.path.dirname(p)
            for p in reversed(parents):
                out += ["--perms", "0755", "--dir", p]
                made.add(p)
            if a != "--symlink":
                bound.append(dest)
            out += args[i:i + 3]
            i += 3
            continue
        if a in ("--tmpfs", "--proc", "--dev", "--size", "--perms", "--dir", "--chdir", "--remount-ro",
                 "--cap-add"):
            out += args[i:i + 2]
            if a in ("--tmpfs", "--proc", "--dev", "--dir"):
                made.add(args[i + 1])
            i += 2
            continue
        out.append(a)
        i += 1
    return out


def _unshare_plan(dirs: list, fallback: Plan | None) -> Plan | None:
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    # --mount-proc: a /proc of the new pid namespace (the host's would show every host process to
    # student code, and the zygote's orphan sweep would read other parents' children there)
    flags = ["--net", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc", "--ipc", "--uts"]
    if os.geteuid() != 0:
        flags.insert(0, "--map-root-user")
    if not _works(unshare, *flags, "true"):
        return None
    hide = [os.path.join(KIT_ROOT, name) for name in KIT_SECRETS]
    hide += [os.path.join(PACKAGE_DIR, name) for name in os.listdir(PACKAGE_DIR)
             if name not in WORKER_VISIBLE and name != "__pycache__"]
    hide = [p for p in hide if os.path.exists(p) and not any(_inside(d, p) for d in dirs)]
    config = _limits_config(uid_ok=os.geteuid() == 0 and _other_readable(dirs)
                            and _other_readable([sys.prefix]))
    # The private /tmp would also cover a kit or a Python that lives under /tmp (a CI clone,
    # a venv): those are bound back, read-only, like the submission.
    keep = [p for p in (str(PACKAGE_DIR), sys.prefix) if _inside(p, "/tmp")]
    config["mounts"] = {"hide": hide, "readonly": dirs + keep, "tmp": "/tmp", "tmp_size": TMP_SIZE}
    config["scratch"] = "/tmp"
    config["wipe"] = ["/tmp"]  # its private tmpfs (/dev/shm stays the host's)
    layers = base_layers() + ["unshare", "no-network", "private-filesystem", *_mounted(dirs), "private-tmp"]
    return Plan("auto", [unshare, *flags], layers, config, _env(), fallback)


def _mounted(dirs: list) -> list:
    """The layer a submission folder mounted read-only adds (none is, for one sent as data)."""
    return ["read-only-submission"] if dirs else []
