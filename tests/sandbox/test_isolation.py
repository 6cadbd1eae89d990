"""The isolation layers: what a worker can see and do, how it is killed, how the grader
falls back where a layer is missing, and how the level is reported."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import autograder
from autograder.sandbox import isolation
from autograder.sandbox.process import WorkerTimeout, process_tag
from autograder.sandbox.session import Session, Submission
from autograder.sandbox.zygote import make_launcher
from banks import assert_no_survivors, strongest_level
from conftest import KIT

PROBE = '''
import os, resource, socket, sys, time

def _visible(path):
    try:
        return os.path.isfile(path) or (os.path.isdir(path) and bool(os.listdir(path)))
    except OSError:
        return False

def view(paths):
    out = {"uid": os.getuid(), "pid": os.getpid(), "cwd": os.getcwd(),
           "procs": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
           "visible": {p: _visible(p) for p in paths[1:]},
           "modules": sorted(m for m in sys.modules if m.startswith("autograder")),
           "env": sorted(os.environ),
           "limits": {name: resource.getrlimit(getattr(resource, name))[0]
                      for name in ("RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_CPU")}}
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", int(paths[0]) if paths[0].isdigit() else 9))
        out["network"] = "connected"
    except OSError as exc:
        out["network"] = type(exc).__name__
    try:
        open(__file__, "a").close()
        out["submission_writable"] = True
    except OSError:
        out["submission_writable"] = False
    with open("scratch.txt", "w") as f:
        f.write("ok")
    return out

def escape_and_hang(marker):
    """A setsid'd daemon (double fork + exec), then a hang: the timeout must kill both."""
    if os.fork() == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(60)", marker])
        finally:
            os._exit(0)
    while True:
        time.sleep(1)

def kill_parent():
    import signal
    os.kill(os.getppid(), signal.SIGKILL)
    return os.getppid()

def ok():
    return 42
'''


@pytest.fixture(scope="module")
def level():
    return strongest_level()


@pytest.fixture
def probe(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "probe.py").write_text(PROBE)
    return folder


def open_session(folder: Path, mode: str, preload=("numpy",)):
    launcher = make_launcher(preload, sandbox=mode, submission_dirs=[str(folder)])
    session = Session(launcher, Submission(str(folder / "probe.py"), "probe", "probe.py"))
    return launcher, session


def call(session: Session, func: str, *args, timeout: float = 30.0):
    reply = session.request({"op": "call", "func": func, "args": list(args), "kwargs": {}}, timeout=timeout)
    assert reply["ok"], reply
    return reply["result"]


def test_the_worker_sees_only_what_it_needs(probe, level):
    if level != "full":
        pytest.skip(f"the namespace layers are not available here (sandbox {level})")
    import socket
    listener = socket.create_server(("127.0.0.1", 0))  # reachable from the host, not from the sandbox
    port = str(listener.getsockname()[1])
    secret = [str(KIT.solutions_dir), str(KIT.suites_dir), str(KIT.root / "tests"),
              str(KIT.package_dir / "engine" / "references.py"), str(KIT.package_dir / "engine" / "plugin.py"),
              str(KIT.package_dir / "sandbox" / "isolation.py"), str(KIT.package_dir / "checks" / "compare.py")]
    launcher, session = open_session(probe, "auto")
    try:
        seen = call(session, "view", [port, *secret, str(probe / "probe.py")])
        layers = launcher.describe()["sandbox_layers"]
    finally:
        session.close()
        launcher.close()
        listener.close()
    assert seen["network"] != "connected"
    assert seen["pid"] == 1 and seen["procs"] == [1]  # its own pid namespace, its own /proc
    assert seen["visible"] == {**{p: False for p in secret}, str(probe / "probe.py"): True}
    assert seen["submission_writable"] is False
    assert seen["modules"] == ["autograder", "autograder.worker", "autograder.worker.child",
                               "autograder.worker.isolation", "autograder.worker.protocol", "autograder.worker.wire"]
    assert seen["cwd"].startswith("/tmp/work-")
    assert "HOME" in seen["env"] and not {"PYTHONPATH", "GITHUB_TOKEN"} & set(seen["env"])
    limits = seen["limits"]
    assert 0 < limits["RLIMIT_FSIZE"] <= isolation.FILE_SIZE and 0 < limits["RLIMIT_NOFILE"] <= isolation.OPEN_FILES
    assert limits["RLIMIT_AS"] > isolation.AS_HEADROOM and limits["RLIMIT_CPU"] > 0
    if os.geteuid() == 0:
        assert seen["uid"] != 0 and "unprivileged-uid" in layers
        assert 0 < limits["RLIMIT_NPROC"] <= isolation.PROCESSES
    assert {"bubblewrap", "no-network", "private-filesystem", "read-only-submission", "pid-namespace",
            "rlimits"} <= set(layers) or {"unshare", "no-network", "private-filesystem"} <= set(layers)


@pytest.mark.parametrize("mode", ["auto", "none"])
def test_timeout_kills_setsid_grandchildren(probe, mode):
    marker = f"torchgrade-test-escape-{os.getpid()}-{mode}"
    launcher, session = open_session(probe, mode)
    try:
        assert call(session, "ok") == 42
        with pytest.raises(WorkerTimeout):
            session.request({"op": "call", "func": "escape_and_hang", "args": [marker], "kwargs": {}}, timeout=2)
        if "pid-namespace" in launcher.describe()["sandbox_layers"]:
            assert_no_survivors(marker, grader=False)  # at once: its pid namespace died with it
        assert call(session, "ok") == 42  # a fresh worker (and, without namespaces, the sweep)
    finally:
        session.close()
        launcher.close()
    assert_no_survivors(marker)


def test_a_killed_zygote_is_restarted(probe):
    launcher, session = open_session(probe, "none")
    try:
        zygote = call(session, "kill_parent")
        assert zygote > 0
        session.worker.kill()
        assert call(session, "ok") == 42
        assert launcher.restarts >= 1
    finally:
        session.close()
        launcher.close()
    assert_no_survivors()


def test_fallback_when_the_namespaces_are_refused(probe):
    """A runner that refuses namespaces (bwrap installed but blocked): the next plan runs."""
    weak = isolation.plan("none", [])
    broken = isolation.Plan("auto", ["/bin/false"], isolation.base_layers() + ["bubblewrap"], {}, weak.env,
                            fallback=lambda: weak)  # made only now that it is needed
    from autograder.sandbox.zygote import ZygoteLauncher
    launcher = ZygoteLauncher(("numpy",), broken)
    session = Session(launcher, Submission(str(probe / "probe.py"), "probe", "probe.py"))
    try:
        assert call(session, "ok") == 42
        assert launcher.describe()["sandbox"] == "none"
        assert "bubblewrap" not in launcher.describe()["sandbox_layers"]
    finally:
        session.close()
        launcher.close()


def test_weaker_plans_are_made_only_when_needed(probe):
    """Making the unshare and rlimits plans walks sys.prefix; with bwrap working, nobody asks."""
    plan = isolation.plan("auto", [str(probe)])
    if "bubblewrap" not in plan.layers:
        pytest.skip("bubblewrap cannot create namespaces here")
    assert callable(plan.fallback) and plan.made() == [plan]
    weaker = plan.weaker()
    assert isinstance(weaker, isolation.Plan) and "bubblewrap" not in weaker.layers
    assert plan.made()[:2] == [plan, weaker]


def test_rlimits_only_without_namespace_tools(probe, monkeypatch):
    """No bwrap and no unshare (a locked-down runner): rlimits (and the rest) still apply."""
    real_which = shutil.which
    monkeypatch.setattr(isolation.shutil, "which",
                        lambda name, *a, **k: None if name in ("bwrap", "unshare") else real_which(name, *a, **k))
    launcher, session = open_session(probe, "auto")
    try:
        seen = call(session, "view", ["9"])
        described = launcher.describe()
    finally:
        session.close()
        launcher.close()
    assert described["sandbox"] in ("partial", "none")
    if described["sandbox"] == "partial":
        assert "rlimits" in described["sandbox_layers"]
        assert 0 < seen["limits"]["RLIMIT_FSIZE"] <= isolation.FILE_SIZE
    assert "bubblewrap" not in described["sandbox_layers"]


def test_unshare_plan_when_bwrap_is_missing(probe, monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(isolation.shutil, "which",
                        lambda name, *a, **k: None if name == "bwrap" else real_which(name, *a, **k))
    plan = isolation.plan("auto", [str(probe)])
    if "unshare" not in plan.layers:
        pytest.skip("unshare cannot create namespaces here")
    launcher, session = open_session(probe, "auto")
    try:
        seen = call(session, "view", ["9", str(KIT.solutions_dir), str(KIT.suites_dir)])
        described = launcher.describe()
    finally:
        session.close()
        launcher.close()
    assert "unshare" in described["sandbox_layers"]
    assert seen["network"] != "connected" and seen["pid"] == 1
    assert len(seen["procs"]) < 10, seen["procs"]  # no host process is visible to student code
    assert seen["visible"] == {str(KIT.solutions_dir): False, str(KIT.suites_dir): False}
    assert seen["submission_writable"] is False


def test_torch_still_imports_under_the_limits(probe):
    """RLIMIT_AS leaves room for torch (it needs ~1 GiB of address space to import)."""
    (probe / "probe.py").write_text("def f():\n    import torch\n    return float(torch.ones(3).sum())\n")
    launcher, session = open_session(probe, "auto", preload=("numpy", "torch"))
    try:
        assert call(session, "f", timeout=60) == 3.0
    finally:
        session.close()
        launcher.close()


def test_report_and_option(level):
    document = autograder.grade("exercise1", submission=KIT.solutions_dir, pattern="loss")
    assert document["sandbox"] == level and "process-split" in document["sandbox_layers"]
    none = autograder.grade("exercise1", submission=KIT.solutions_dir, pattern="loss", sandbox="none")
    assert none["sandbox"] == "none" and "bubblewrap" not in none["sandbox_layers"]
    assert none["score"] == document["score"] == 10
    with pytest.raises(autograder.api.UsageError):
        autograder.grade("exercise1", submission=KIT.solutions_dir, sandbox="bogus")


def test_cli_reports_the_level_and_leaves_nothing_running(level):
    command = [sys.executable, "-m", "autograder", "exercise1", "--submission", str(KIT.solutions_dir),
               "-k", "loss"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 0, out
    assert f"sandbox: {level} (" in out
    assert_no_survivors(process_tag(process.pid))
    process = subprocess.run(command[:-2] + ["--format", "json", "--sandbox", "none", "-k", "loss"],
                             capture_output=True, text=True, timeout=120)
    document = json.loads(process.stdout)
    assert document["sandbox"] == "none" and document["sandbox_layers"][0] == "process-split"
    bad = subprocess.run(command + ["--sandbox", "bogus"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2


def test_spawn_launcher_grades_like_the_zygote(monkeypatch):
    """The launcher of platforms without fork and fd passing (Windows): one fresh interpreter
    per worker, with the same torch set-up, fake device and recorder as a zygote's worker."""
    from autograder import api
    from autograder.sandbox.zygote import SpawnLauncher
    from conftest import checks_by_id
    monkeypatch.setattr(api, "make_launcher", lambda preload, **_: SpawnLauncher(preload))
    document = autograder.grade("exercise4", submission=str(KIT.solutions_dir),
                                pattern="device or learn_kernel or corr2d_values")
    checks = checks_by_id(document)
    assert set(checks) == {"device", "learn_kernel", "learn_kernel_other", "corr2d_values"}
    assert all(c["status"] == "passed" for c in checks.values()), checks
    assert checks["device"]["details"]["device_check"] in ("fake", "cuda", "mps")


def test_a_grader_started_from_tmp_keeps_the_sandboxs_private_tmp(tmp_path):
    """sys.path[0] is the folder of the script that started the grader: a script in /tmp must
    not get the host's /tmp bound (read-only) over the workers' own."""
    script = Path("/tmp") / f"torchgrade-probe-{os.getpid()}.py"
    script.write_text("import json, sys\nfrom autograder.sandbox import isolation\n"
                      "print(json.dumps(isolation.plan('auto', []).prefix))\n")
    try:
        out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    finally:
        script.unlink()
    prefix = json.loads(out.stdout)
    binds = [prefix[i + 2] for i, a in enumerate(prefix) if a in ("--ro-bind", "--bind")]
    assert "/tmp" not in binds and "/dev/shm" not in binds, binds
