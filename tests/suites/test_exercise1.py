"""exercise1: known wrong implementations lose the intended checks, with the intended hint."""
from __future__ import annotations

import pytest

from conftest import assert_only_lost

BACKWARD = {"backward", "backward_numerical", "backward_other_sizes"}
TRAINING = {"train", "train_defaults"}  # train() calls the student's own backward/loss


@pytest.mark.parametrize("name, replacements, lost, hint", [
    ("relu mask missing in backward", [("    grad_h[h < 0] = 0\n", "")], BACKWARD | TRAINING, "ReLU is missing"),
    ("factor 2 missing", [("grad_y_pred = 2.0 * (y_pred - y)", "grad_y_pred = y_pred - y")],
     BACKWARD | TRAINING, "half the true ones"),
    ("gradient averaged over samples", [("grad_w1 = x.T.dot(grad_h)", "grad_w1 = x.T.dot(grad_h) / len(x)"),
                                       ("grad_w2 = h_relu.T.dot(grad_y_pred)",
                                        "grad_w2 = h_relu.T.dot(grad_y_pred) / len(x)")],
     BACKWARD | TRAINING, "divided by N"),
    ("relu missing in forward", [("h_relu = np.maximum(x.dot(w1), 0)", "h_relu = x.dot(w1)")],
     {"forward", "forward_other_sizes", "train"}, None),
    ("loss averaged", [("return float(np.square(y_pred - y).sum())", "return float(np.square(y_pred - y).mean())")],
     {"loss", "train"}, None),
    ("sgd moves up the gradient", [("w1 = w1 - lr * grad_w1", "w1 = w1 + lr * grad_w1"),
                                   ("w2 = w2 - lr * grad_w2", "w2 = w2 + lr * grad_w2")],
     {"sgd_update", "train", "train_defaults"}, None),
])
def test_wrong_implementation_loses_intended_checks(grade_mutant, name, replacements, lost, hint):
    checks = grade_mutant("exercise1", replacements)
    assert_only_lost(checks, lost)
    if hint:
        assert hint in checks[sorted(lost)[0]]["hint"]


def test_relu_mask_missing_points_at_an_entry(grade_mutant):
    checks = grade_mutant("exercise1", [("    grad_h[h < 0] = 0\n", "")], pattern="backward or numerical")
    message = checks["backward_numerical"]["message"]
    assert "grad_w1" in message and "finite differences" in message
    assert "ReLU is missing" in checks["backward_numerical"]["hint"]
    assert "elements differ" in checks["backward"]["message"] and "worst at index" in checks["backward"]["message"]


def test_transposed_gradient_is_a_shape_error(grade_mutant):
    checks = grade_mutant("exercise1", [("return grad_w1, grad_w2", "return grad_w1.T, grad_w2")],
                          pattern="backward or sizes or numerical")
    assert_only_lost(checks, BACKWARD)
    assert "shape (100, 1000), expected (1000, 100)" in checks["backward"]["message"]
    assert "shape" in checks["backward_numerical"]["message"]


def test_loss_averaged_has_targeted_hint(grade_mutant):
    checks = grade_mutant("exercise1", [("np.square(y_pred - y).sum()", "np.square(y_pred - y).mean()")],
                          pattern="loss")
    assert "*sum*" in checks["loss"]["hint"]


def test_train_ignoring_learning_rate(grade_mutant):
    checks = grade_mutant("exercise1", [("sgd_update(w1, w2, grad_w1, grad_w2, learning_rate)",
                                         "sgd_update(w1, w2, grad_w1, grad_w2, 1e-6)")], pattern="train or defaults")
    assert_only_lost(checks, {"train"}, hint="ignores its learning_rate")


def test_train_returning_no_losses(grade_mutant):
    checks = grade_mutant("exercise1", [("return w1, w2, losses", "return w1, w2, None")],
                          pattern="train or defaults")
    assert_only_lost(checks, TRAINING)
    assert "expected a list of 20 floats" in checks["train"]["message"]


def test_losses_recorded_after_the_update(grade_mutant):
    checks = grade_mutant("exercise1", [
        ("        losses.append(loss(forward(x, w1, w2), y))\n", ""),
        ("w1, w2 = sgd_update(w1, w2, grad_w1, grad_w2, learning_rate)\n",
         "w1, w2 = sgd_update(w1, w2, grad_w1, grad_w2, learning_rate)\n        losses.append(loss(forward(x, w1, w2), y))\n"),
    ], pattern="train or defaults")
    assert_only_lost(checks, TRAINING - {"train_defaults"}, hint="*before*")


def test_inputs_modified_in_place(grade_mutant):
    checks = grade_mutant("exercise1", [("    h = x.dot(w1)\n", "    h = x.dot(w1)\n    x *= 1.0000001\n")])
    assert "inputs_unchanged" in {cid for cid, c in checks.items() if c["status"] == "failed"}
    message = checks["inputs_unchanged"]["message"]
    assert "backward() modified its argument 'x' in place" in message and "worst at index" in message


def test_torch_instead_of_numpy(grade_mutant):
    checks = grade_mutant("exercise1", [
        ("import numpy as np\n", "import numpy as np\nimport torch\n"),
        ("    h_relu = np.maximum(x.dot(w1), 0)\n    return h_relu.dot(w2)\n",
         "    h_relu = torch.relu(torch.from_numpy(x) @ torch.from_numpy(w1))\n    return h_relu @ torch.from_numpy(w2)\n"),
    ], pattern="forward or numpy_only")
    assert_only_lost(checks, {"forward", "forward_other_sizes", "numpy_only"})
    assert "returned torch.Tensor, expected numpy.ndarray" in checks["forward"]["message"]
    assert "torch" in checks["numpy_only"]["message"]


def test_torch_import_alone_costs_the_numpy_only_points(grade_mutant):
    checks = grade_mutant("exercise1", [("import numpy as np\n", "import numpy as np\nimport torch  # noqa\n")],
                          pattern="numpy_only")
    assert checks["numpy_only"]["status"] == "failed"
    assert "imports torch; this exercise is numpy only" in checks["numpy_only"]["message"]


def test_hard_coded_public_outputs_fail_hidden_checks(tmp_path):
    """A submission that memorised the public seed's answers loses every hidden check."""
    import numpy as np

    import autograder
    from autograder.suites import exercise1 as suite  # trusted: the test builds the cheat
    from conftest import KIT, checks_by_id, write_submission
    x, y, w1, w2 = suite.problem(np.random.default_rng(0))
    reference = KIT.solution(KIT.find("exercise1"))
    source = ("import pathlib\nimport numpy as np\n"
              "_ANSWER = np.load(pathlib.Path(__file__).with_name('answer.npy'))\n"
              "def forward(x, w1, w2):\n    return _ANSWER.copy()\n")
    root = write_submission(tmp_path, "exercise1", source)
    np.save(root / "exercises" / "answer.npy", reference.forward(x, w1, w2))
    checks = checks_by_id(autograder.grade("exercise1", submission=root, pattern="forward or sizes"))
    assert checks["forward"]["status"] == "passed"
    assert checks["forward_other_sizes"]["status"] == "failed"


def test_code_that_raises_still_gets_the_checks_hint(grade_mutant):
    checks = grade_mutant("exercise1", [("return float(np.square(y_pred - y).sum())",
                                         "return float(np.square(y_pred - y).sum() / 0 if y.ndim > 5 else y_pred.foo)")],
                          pattern="loss")
    assert checks["loss"]["status"] == "error" and "AttributeError" in checks["loss"]["message"]
    assert checks["loss"]["hint"].startswith("the loss is the sum of squared differences")
    assert not checks["loss"].get("specific_hint")
