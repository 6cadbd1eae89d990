"""The leak audit: no solution line, no hidden check, no solution file in a release tree."""
from __future__ import annotations

from autograder.release.audit import audit
from autograder.release.public import public_suite
from conftest import KIT

EXERCISE = "exercise1"


def test_leak_audit(built):
    out, _ = built
    result = audit(KIT, out)
    assert result.leaks == []
    # and directly: no solution file, no hidden check name, no non-shared solution line
    data = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    hidden = public_suite(KIT.suite_path(KIT.find(EXERCISE)).read_text(), filename="s")[1]
    assert hidden and all(h.name.encode() not in blob for h in hidden for blob in data.values())
    solutions = [p.read_bytes() for p in KIT.solutions_dir.glob("*.py")]
    assert not any(blob == s for blob in data.values() for s in solutions)
    ex1 = KIT.solution_path(KIT.find(EXERCISE)).read_text()
    key_lines = ["return h_relu.dot(w2)", "grad_w1 = x.T.dot(grad_h)", "return float(np.square(y_pred - y).sum())"]
    assert all(line in ex1 for line in key_lines)
    assert not any(line.encode() in blob for line in key_lines for blob in data.values())


def test_leak_audit_finds_planted_leaks(built, tmp_path):
    out, _ = built
    planted = tmp_path / "planted"
    (planted / "autograder").mkdir(parents=True)
    hidden = public_suite(KIT.suite_path(KIT.find(EXERCISE)).read_text(), filename="s")[1][0]
    (planted / "notes.txt").write_text("    grad_w1 = x.T.dot(grad_h)\n")
    (planted / "autograder" / "x.py").write_text(f"def {hidden.name}():\n    pass\n")
    (planted / "copy.py").write_bytes(KIT.solution_path(KIT.find(EXERCISE)).read_bytes())
    leaks = "\n".join(audit(KIT, planted).leaks)
    assert "notes.txt: solution line" in leaks and f"hidden check name {hidden.name}" in leaks
    assert "copy.py: a copy of a file from solutions/" in leaks
