"""``grade package gradescope|classroom50``: the kit in the form a grading platform runs.

A platform package runs where students' code runs too (Gradescope's container, the
student's own Actions runner for Classroom 50), so it holds no solution code at all.  It is
a student release's engine with the *whole* suites, hidden checks included, and the
reference's answers to every check recorded at the package's seed (``write_graded_package``,
as ``grade release`` records the public ones at seed 0).  A new seed each term (the default
is a fresh random one) means expected values learned from one term do not carry over.

Every package is leak-audited (no solution line, no solution file) and, unless
``verify=False``, graded against the kit: the reference solutions and the stubs must get the
same status and points on every check, hidden ones included, at the package's seed.

Layouts:

* ``gradescope``: a zip with ``setup.sh`` and ``run_autograder`` at its root (Gradescope's
  rule), beside the kit (``autograder/``, ``pyproject.toml``, ``constraints.txt``).
* ``classroom50``: a folder with ``autograder.py`` and its bundle ``torchgrade/`` (the kit),
  to be copied to ``CLASSROOM/autograders/ASSIGNMENT/``.
"""
from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Iterable

from autograder.i18n import LANGS
from autograder.kit import MANIFEST, MANIFEST_FORMAT, Kit
from autograder.release import ReleaseError
from autograder.release.audit import audit
from autograder.release.build import choose, json_bytes, pyproject_text, write_file, write_graded_package
from autograder.release.verify import verify_release
from autograder.release.workflow import CONSTRAINTS, torch_pin
from autograder.render.gradescope import HIDDEN_VISIBILITY, VISIBILITIES

PLATFORMS = ("gradescope", "classroom50")
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"  # the CPU build: a few hundred MB instead of several GB
BUNDLE = "torchgrade"  # the kit's folder in a Classroom 50 bundle

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image.  The grader gets a virtual
# environment of its own with the CPU build of torch, pinned as the kit is tested.
set -euo pipefail
source=/autograder/source
if ! python3 -m venv --help >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq python3 python3-venv python3-pip
fi
python3 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --quiet --upgrade pip
/autograder/venv/bin/python -m pip install --quiet --no-cache-dir {torch} --index-url {index}
/autograder/venv/bin/python -m pip install --quiet --no-cache-dir -c "$source/constraints.txt" "$source"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission: it grades /autograder/submission with this
# package's kit (seed {seed}) and writes /autograder/results/results.json, also when grading
# fails.  The first argument moves /autograder (tests do); TORCHGRADE_PYTHON names another
# interpreter than the one setup.sh installed.
root="${{1:-/autograder}}"
python="${{TORCHGRADE_PYTHON:-$root/venv/bin/python}}"
results="$root/results/results.json"
mkdir -p "$root/results" && rm -f "$results"
# from the package's folder, its autograder/ is the one imported (never a copy in the upload)
(cd "$root/source" && "$python" -m autograder.platforms.gradescope "$root")
status=$?
if [ ! -s "$results" ]; then
    printf '{{"score": 0, "output": "The autograder could not start (exit status %s). Your course staff can see why in the autograder output; please tell them.", "tests": []}}\\n' "$status" > "$results"
fi
"""

AUTOGRADER_PY = '''\
"""torchgrade's Classroom 50 entrypoint (written by `grade package classroom50`; do not edit).

Classroom 50 runs `python autograder.py` in the student's checkout.  This grades the checkout
with the bundled kit (`{bundle}/`: every check, hidden ones included, with expected values
recorded at seed {seed}; no solution code) and writes ./result.json.  The student's copy of
the grader in their checkout is never imported: the kit runs from the bundle's folder.
Installs the pinned CPU build of torch first when the runner has none.
"""
import os
import subprocess
import sys
from pathlib import Path

BUNDLE = Path(os.environ.get("CLASSROOM50_BUNDLE_DIR") or Path(__file__).resolve().parent)
KIT = BUNDLE / "{bundle}"
TORCH = "{torch}"
TORCH_INDEX = "{index}"
NEEDED = "import torch, numpy, pytest, pytest_jsonreport, click"


def main():
    checkout = os.getcwd()
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if subprocess.run([sys.executable, "-c", NEEDED], env=env, capture_output=True).returncode != 0:
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run(pip + [TORCH, "--index-url", TORCH_INDEX], check=True)
        subprocess.run(pip + ["-c", str(KIT / "constraints.txt"), "numpy", "pytest", "pytest-json-report", "click"],
                       check=True)
    # -m from the bundle's folder puts the bundled kit first on the path
    return subprocess.run([sys.executable, "-m", "autograder.platforms.classroom50", checkout],
                          cwd=KIT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
'''


def build_package(platform: str, out: str | os.PathLike, *, exercises: Iterable[str] | None = None,
                  seed: int | None = None, hidden_visibility: str = HIDDEN_VISIBILITY, verify: bool = True,
                  kit: Kit | None = None, lang: str = "en") -> dict:
    """Write the ``platform`` package of ``kit`` (default: the installed one) to ``out`` (a
    ``.zip`` for Gradescope, a new or empty folder for Classroom 50).  ``seed`` defaults to a
    fresh random one; ``lang`` is the language of the feedback students see there (the
    results keep the English beside it only in the canonical JSON).  Returns the manifest
    (with ``verification`` when ``verify``)."""
    if platform not in PLATFORMS:
        raise ReleaseError(f"unknown platform {platform!r}; choose from {', '.join(PLATFORMS)}")
    if lang not in LANGS:
        raise ReleaseError(f"unknown language {lang!r}; choose from {', '.join(LANGS)}")
    if hidden_visibility not in VISIBILITIES:
        raise ReleaseError(f"unknown visibility {hidden_visibility!r}; choose from {', '.join(VISIBILITIES)}")
    kit = kit or Kit.installed()
    out = Path(out)
    _check_out(platform, out)
    seed = secrets.randbelow(2**31) if seed is None else seed
    chosen = choose(kit, exercises)
    with tempfile.TemporaryDirectory(prefix="torchgrade-package-") as tmp:
        staged = Path(tmp) / "package"
        tree = staged / BUNDLE if platform == "classroom50" else staged
        suites = {ex.id: kit.suite_path(ex).read_text(encoding="utf-8") for ex in chosen}
        entries = [{"checks": e.pop("public_checks"), "points": e.pop("public_points"), **e}  # all of them here
                   for e in write_graded_package(kit, tree, chosen, suites, seed=seed)]
        manifest = {"format": MANIFEST_FORMAT, "exercises": entries, "seed": seed, "lang": lang,
                    "package": {"platform": platform, "hidden_visibility": hidden_visibility}}
        write_file(tree / "autograder" / MANIFEST, json_bytes(manifest))
        write_file(tree / "pyproject.toml", pyproject_text(kit, name="torchgrade-package", description=(
            f"torchgrade's grader for {platform}: every check, expected values recorded at seed {seed}.")).encode())
        write_file(tree / CONSTRAINTS, (kit.root / CONSTRAINTS).read_bytes())
        fill = {"seed": seed, "torch": torch_pin(kit), "index": TORCH_INDEX, "bundle": BUNDLE}
        if platform == "gradescope":
            write_file(staged / "setup.sh", SETUP_SH.format(**fill).encode())
            write_file(staged / "run_autograder", RUN_AUTOGRADER.format(**fill).encode())
        else:
            write_file(staged / "autograder.py", AUTOGRADER_PY.format(**fill).encode())
        found = audit(kit, staged, hidden_checks=[])  # hidden checks belong here; solution code never
        if found.leaks:
            raise ReleaseError("the package leaks:\n  " + "\n  ".join(found.leaks))
        if verify:
            manifest["verification"] = verify_release(kit, tree, chosen, seed=seed, hidden_included=True)
        if platform == "gradescope":
            _zip(staged, out)
        else:
            shutil.copytree(staged, out, dirs_exist_ok=True)
    return manifest


def _check_out(platform: str, out: Path) -> None:
    if platform == "gradescope":
        if out.suffix != ".zip":
            raise ReleaseError(f"{out}: a Gradescope autograder is a .zip (for example --out autograder.zip)")
        if out.exists():
            raise ReleaseError(f"{out} exists: choose a new file name")
    elif out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReleaseError(f"{out} exists and is not empty: choose a new folder")


def _zip(folder: Path, out: Path) -> None:
    """A deterministic zip (sorted, fixed dates); the two scripts are executable."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = path.relative_to(folder).as_posix()
            info = zipfile.ZipInfo(rel, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if rel in ("setup.sh", "run_autograder") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
