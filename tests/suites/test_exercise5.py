"""exercise5: each known wrong implementation and each forbidden-API variant loses exactly
the intended checks with the intended message; a vectorised solution earns full marks."""
from __future__ import annotations

from pathlib import Path

import pytest

from autograder.checks.device import DEVICE_HINT
from autograder.suites.exercise5 import AXES_HINT, DTYPE_HINT, NO_PAD_HINT, SUM_HINT, ZERO_PAD_HINT

from conftest import assert_lost_with_hints, lost, show, start_gradings, write_mutant

VECTORISED = Path(__file__).parent / "vectorised"

NEW_ZEROS = "Y = X.new_zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))"
POOL2D_BODY = NEW_ZEROS + """
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == "max":
                Y[i, j] = X[i:i + p_h, j:j + p_w].max()
            elif mode == "avg":
                Y[i, j] = X[i:i + p_h, j:j + p_w].mean()
    return Y"""
STRIDED_HEAD = "(kh, kw), (ph, pw) = pool_size, padding"
IMPORT = ("import torch\n", "import torch\nimport torch.nn.functional as F\n")

USES_POOL2D = {"pool2d_max", "pool2d_avg", "pool2d_gradients", "pool2d_other_inputs", "dtype_follows_input",
               "device", "inputs_unchanged"}
USES_STRIDED = {"pool2d_strided_default_stride", "pool2d_strided_padding", "pool2d_strided_channels",
                "pool2d_strided_gradients", "pool2d_other_inputs", "dtype_follows_input", "device", "inputs_unchanged"}
ONLY_POOL2D, ONLY_STRIDED = USES_POOL2D - USES_STRIDED, USES_STRIDED - USES_POOL2D


# Each case: replacements in the reference, and the checks it must lose -> a hint they show
# (None: the check's own).  Mistakes whose checks are disjoint share one grading run.
MUTANTS = {
    # the notes' textbook `Y = torch.zeros(...)` (right values, float32 on the CPU), with avg
    # computed as a sum; in pool2d_strided the padding ignored and X.unsqueeze_(0) (the
    # caller's X gains a dimension)
    "torch_zeros+avg_as_sum+no_padding+in_place": (
        [(NEW_ZEROS, NEW_ZEROS.replace("X.new_zeros", "torch.zeros")),
         ("X[i:i + p_h, j:j + p_w].mean()", "X[i:i + p_h, j:j + p_w].sum()"),
         (STRIDED_HEAD, "(kh, kw), (ph, pw) = pool_size, (0, 0)"),
         ("X = X.unsqueeze(0)", "X.unsqueeze_(0)")],
        {"dtype_follows_input": DTYPE_HINT, "device": DEVICE_HINT, "pool2d_avg": SUM_HINT, "pool2d_gradients": SUM_HINT,
         "pool2d_strided_padding": NO_PAD_HINT, "pool2d_other_inputs": None,
         "inputs_unchanged": "must leave its inputs as they were"}),
    "zero_padding_for_max": ([('fill = float("-inf") if mode == "max" else 0.0', "fill = 0.0")],
                             {"pool2d_strided_padding": ZERO_PAD_HINT, "pool2d_other_inputs": ZERO_PAD_HINT}),
    # rows and columns of the window swapped: square windows still work
    "wrong_axes": ([("X[i:i + p_h, j:j + p_w]", "X[i:i + p_w, j:j + p_h]")],
                   {"pool2d_max": AXES_HINT, "pool2d_avg": AXES_HINT, "pool2d_gradients": None,
                    "pool2d_other_inputs": None}),
}


@pytest.mark.parametrize("name", MUTANTS)
def test_known_wrong_implementation(gradings, name):
    _replacements, expected = MUTANTS[name]
    assert_lost_with_hints(gradings[name].result(), expected)


def _assert_forbidden(checks: dict, expected: dict) -> None:
    """``expected``: check id -> text its message must contain (the API, as found)."""
    assert lost(checks) == set(expected), show(checks)
    for cid, named in expected.items():
        message = checks[cid]["message"]
        assert checks[cid]["score"] == 0 and named in message, (cid, message)
        assert "exercise5_pool2d.py, line" in message and "not use convolution and pooling built-ins" in message, message


DIRECT = [IMPORT, (POOL2D_BODY, "if mode == 'max':\n        return F.max_pool2d(X[None], pool_size, stride=1)[0]\n"
                                  "    return F.avg_pool2d(X[None], pool_size, stride=1)[0]")]
ALIASED_MODULE = [
    ("import torch\n", "import torch\nfrom torch.nn import MaxPool2d as MP\n"),
    ("    squeeze = X.dim() == 2\n",
     "    if mode == 'max':\n        return MP(pool_size, stride, padding)(X[None])[0]\n    squeeze = X.dim() == 2\n")]


BUILT_NAMES = [
    IMPORT,
    (POOL2D_BODY, "pool = getattr(F, 'max_' + 'pool2d') if mode == 'max' else getattr(F, f\"{'avg'}_pool2d\")\n"
                  "    return pool(X[None], pool_size, 1)[0]"),
    ("    squeeze = X.dim() == 2\n",
     "    if mode == 'avg':\n        pool = getattr(F, 'd2loop_gva'[::-1])\n"
     "        return pool(X[None], pool_size, stride, padding)[0] if X.dim() == 2 else pool(X, pool_size, stride, padding)\n"
     "    squeeze = X.dim() == 2\n")]


def test_forbidden_direct_in_pool2d(gradings):
    _assert_forbidden(gradings["direct"].result(), dict.fromkeys(USES_POOL2D, "F.max_pool2d"))


def test_forbidden_aliased_module_in_pool2d_strided(gradings):
    _assert_forbidden(gradings["aliased_module"].result(), dict.fromkeys(USES_STRIDED, "MP = torch.nn.MaxPool2d"))


def test_forbidden_built_names_static_and_runtime(gradings):
    """A getattr-built name the static reading folds (in pool2d), and one it cannot (in
    pool2d_strided), caught by the aten ops recorded while it runs."""
    checks = gradings["built_names"].result()
    assert lost(checks) == USES_POOL2D | USES_STRIDED, show(checks)
    for cid in ONLY_POOL2D:
        assert "in pool2d" in checks[cid]["message"] and "built from strings" in checks[cid]["message"], \
            checks[cid]["message"]
    for cid in ONLY_STRIDED:
        assert "aten::avg_pool2d" in checks[cid]["message"] and "in pool2d_strided" in checks[cid]["message"], \
            checks[cid]["message"]


def test_vectorised_solution_earns_full_marks(gradings):
    checks = gradings["vectorised"].result()
    assert not lost(checks), show(checks)
    assert sum(c["score"] for c in checks.values()) == 100


@pytest.fixture(scope="module")
def gradings(tmp_path_factory):
    cases = {name: replacements for name, (replacements, _) in MUTANTS.items()}
    cases.update(direct=DIRECT, aliased_module=ALIASED_MODULE, built_names=BUILT_NAMES)
    roots = {name: write_mutant(tmp_path_factory.mktemp(name.replace("+", "_")), "exercise5", replacements)
             for name, replacements in cases.items()}
    roots["vectorised"] = VECTORISED
    return start_gradings("exercise5", roots)


TWO_D_ONLY = """(kh, kw), (ph, pw) = pool_size, padding
    sh, sw = pool_size if stride is None else stride
    h, w = X.shape
    fill = float("-inf") if mode == "max" else 0.0
    Xp = X.new_full((h + 2 * ph, w + 2 * pw), fill)
    Xp[ph:ph + h, pw:pw + w] = X
    Y = X.new_zeros(((h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = Xp[i * sh:i * sh + kh, j * sw:j * sw + kw]
            Y[i, j] = window.max() if mode == "max" else window.mean()
    return Y
"""


def test_a_two_d_only_pool2d_strided_raises_and_is_told_to_handle_channels(tmp_path):
    """`h, w = X.shape` on a (c, h, w) input raises: the exception is the known mistake's signature."""
    import autograder
    from conftest import KIT, checks_by_id, write_submission
    source = KIT.solution_path(KIT.find("exercise5")).read_text()
    start = source.index("    (kh, kw), (ph, pw) = pool_size, padding")
    end = source.index("    # END SOLUTION", start)
    root = write_submission(tmp_path, "exercise5", source[:start] + "    " + TWO_D_ONLY + source[end:])
    check = checks_by_id(autograder.grade("exercise5", submission=root, pattern="pool2d_strided_channels"))[
        "pool2d_strided_channels"]
    assert check["status"] == "error" and "too many values to unpack (expected 2)" in check["message"]
    assert "(c, h, w)" in check["hint"] and "X.shape[-2:]" in check["hint"] and check.get("specific_hint")
