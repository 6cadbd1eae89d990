"""The zygote's torch set-up (``autograder.worker.drivers.lean``): workers never import
torch._dynamo (≈1.3 s) or sympy for optimizer steps and fake-device runs, and every result
stays bit-identical.  Each side runs in its own interpreter: ``prepare`` changes torch for
the whole process, which must never be this one."""
from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = '''
import json, sys, torch
done = None
if sys.argv[1] == "prepare":
    from autograder.worker.drivers import lean
    done = lean.prepare()
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
X, y = torch.randn(32, 4), torch.randn(32, 1)
for make in (lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9), lambda p: torch.optim.Adam(p, lr=0.01)):
    opt = make(net.parameters())
    for _ in range(5):
        opt.zero_grad()
        torch.nn.functional.mse_loss(net(X), y).backward()
        opt.step()
    opt.load_state_dict(opt.state_dict())
grad_mode_restored = torch.is_grad_enabled()
from autograder.worker.drivers import posing
with torch.no_grad(), posing.DeviceGuard():
    Z = torch.softmax(posing.posing(X) * 2, dim=1).sum(0)
print(json.dumps({"params": [p.tolist() for p in net.parameters()], "fake": Z.inner.tolist(),
                  "grad_mode_restored": grad_mode_restored, "done": done,
                  "dynamo": "torch._dynamo" in sys.modules, "sympy": "sympy" in sys.modules}))
'''


def _run(mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_prepared_workers_skip_dynamo_and_sympy_with_identical_results():
    plain, prepared = _run("plain"), _run("prepare")
    assert prepared["done"]["disable_dynamo_seeded"] > 0 and prepared["done"]["optimizer_steps"] >= 10
    assert not prepared["dynamo"] and not prepared["sympy"]
    assert prepared["grad_mode_restored"]
    assert prepared["params"] == plain["params"] and prepared["fake"] == plain["fake"]
