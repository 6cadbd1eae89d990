"""The trust boundary is a folder: ``autograder/worker`` imports nothing of the grader outside
itself, only the standard library, numpy and torch.

The sandbox binds ``autograder/__init__.py`` and ``autograder/worker/`` into a worker's
filesystem and nothing else of the kit; a module of ours imported from anywhere else would
fail only under bubblewrap.  Two proofs: every import statement, read from the source; and
every worker module imported in a fresh interpreter that can see nothing but those files.
"""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import KIT

WORKER = KIT.package_dir / "worker"
ALLOWED_THIRD_PARTY = {"numpy", "torch"}


def _imports(path: Path) -> list[tuple[str, int]]:
    """(module, line) for every import in ``path``, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(KIT.package_dir.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                found.append((f"{base}.{node.module}" if node.module else base, node.lineno))
            else:
                found.append((node.module, node.lineno))
                found += [(f"{node.module}.{alias.name}", node.lineno) for alias in node.names
                          if node.module == "autograder"]
    return found


def test_worker_sources_import_only_the_worker_package_stdlib_numpy_and_torch():
    outside = []
    for path in sorted(WORKER.rglob("*.py")):
        for module, line in _imports(path):
            top = module.split(".")[0]
            if module == "autograder" or module.startswith("autograder.worker"):
                continue
            if top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY:
                continue
            outside.append(f"{path.relative_to(KIT.package_dir)}:{line}: {module}")
    assert not outside, "the worker package imports from outside itself:\n" + "\n".join(outside)


def test_the_package_init_imports_nothing_at_import_time():
    """``autograder/__init__.py`` is bound into the sandbox too: its imports are all lazy."""
    tree = ast.parse((KIT.package_dir / "__init__.py").read_text(encoding="utf-8"))
    top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert all(isinstance(n, ast.ImportFrom) and n.module == "__future__" for n in top_level), top_level


PROBE = """
import importlib, pkgutil, sys
import autograder.worker
assert autograder.worker.__file__.startswith(sys.argv[1]), autograder.worker.__file__
for info in pkgutil.walk_packages(autograder.worker.__path__, "autograder.worker."):
    importlib.import_module(info.name)
ours = sorted(m for m in sys.modules if m == "autograder" or m.startswith("autograder."))
print("\\n".join(ours))
"""


def test_every_worker_module_imports_with_only_the_bound_files(tmp_path):
    """What bubblewrap shows a worker: the package's __init__.py and worker/, nothing else."""
    visible = tmp_path / "visible" / "autograder"
    visible.mkdir(parents=True)
    shutil.copy(KIT.package_dir / "__init__.py", visible / "__init__.py")
    shutil.copytree(WORKER, visible / "worker", ignore=shutil.ignore_patterns("__pycache__"))
    # -I -S: no PYTHONPATH, no site-packages (so no editable install of the kit either); numpy
    # and torch come from their own folders
    import numpy
    import torch
    libraries = sorted({str(Path(m.__file__).parents[1]) for m in (numpy, torch)})
    code = f"import sys; sys.path[:0] = {[str(visible.parent), *libraries]!r}; exec({PROBE!r})"
    proc = subprocess.run([sys.executable, "-I", "-S", "-B", "-c", code, str(visible)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = proc.stdout.split()
    assert loaded and all(m == "autograder" or m.startswith("autograder.worker") for m in loaded), loaded
    assert {"autograder.worker.child", "autograder.worker.zygote", "autograder.worker.drivers.device"} <= set(loaded)
