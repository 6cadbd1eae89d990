"""exercise2's suite recognises each known wrong implementation: it loses exactly the
intended check(s), each showing the targeted hint; and the ReLU mask convention
(``h <= 0`` instead of ``h < 0``) costs nothing.

Grading a submission costs seconds (a fresh zygote), so each submission below carries
several mistakes in *different* functions whose checks do not overlap; the assertion is
per check: exactly the listed checks fail, each with its own hint.
"""
from __future__ import annotations

import pytest

FB_AUTOGRAD = ("""    h = x.mm(w1)
    h_relu = h.clamp(min=0)
    y_pred = h_relu.mm(w2)
    loss = (y_pred - y).pow(2).sum()
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.t().mm(grad_y_pred)
    grad_h = grad_y_pred.mm(w2.t())
    grad_h = grad_h.masked_fill(h < 0, 0)
    grad_w1 = x.t().mm(grad_h)
    return loss, grad_w1, grad_w2
""", """    w1.requires_grad_(True)
    w2.requires_grad_(True)
    loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
    loss.backward()
    return loss.item(), w1.grad, w2.grad
""")
FORWARD_DIFFERENCES = [("            p[index] = saved - eps\n            f_minus = f(params)\n",
                        "            p[index] = saved\n            f_minus = f(params)\n"),
                       ("grad[index] = (f_plus - f_minus) / (2 * eps)", "grad[index] = (f_plus - f_minus) / eps")]
UPDATE = """        with torch.no_grad():
            w1 -= learning_rate * w1.grad
            w2 -= learning_rate * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
"""
SIGMOID_DERIVATIVE = "grad_z = (grad_output @ W1.T) * hidden * (1 - hidden)"
LOSS_OUTPUT = """    output = hidden @ W1 + b1
    loss = ((output - y) ** 2).mean()
"""

# submission -> ([mutation, ...], [(check it must lose, text of that check's hint), ...])
SUBMISSIONS = {
    "autograd_forwarddiff_nozero_nosigmoidgrad_nonograd": (
        [FB_AUTOGRAD, *FORWARD_DIFFERENCES,
         (UPDATE, UPDATE.replace("            w1.grad.zero_()\n            w2.grad.zero_()\n", "")),
         (SIGMOID_DERIVATIVE, "grad_z = grad_output @ W1.T"),
         ("    with torch.no_grad():\n        y2 = xg ** 3\n", "    y2 = xg ** 3\n")],
        [("forward_backward_no_autograd", "no backward()"),
         ("device", "compute the gradients by hand"),  # its backward() raises under the device run's no_grad
         ("numerical_gradient", "those are forward differences"),
         ("autograd_train", "backward() adds to .grad"),
         ("sigmoid_net_grads", "multiply by its derivative"),
         ("sigmoid_net_grads_numerical", "multiply by its derivative"),
         ("partial_no_grad_grad", "not 2x + 3x²")]),
    "relu_mask_le_update_outside_no_grad_large_eps_output_sigmoid": (
        [("grad_h.masked_fill(h < 0, 0)", "grad_h.masked_fill(h <= 0, 0)"),
         (UPDATE, UPDATE.replace("        with torch.no_grad():\n", "        if True:\n")),
         ("def numerical_gradient(f, params, eps=1e-6):", "def numerical_gradient(f, params, eps=1e-6):\n    eps = 1e-2"),
         *FORWARD_DIFFERENCES,
         (LOSS_OUTPUT, LOSS_OUTPUT.replace("output = hidden @ W1 + b1", "output = 1 / (1 + exp(-(hidden @ W1 + b1)))"))],
        [("autograd_train", "inside `with torch.no_grad():`"),
         ("numerical_gradient", "those are forward differences"),
         ("sigmoid_net_loss", "the output layer is linear")]),
    "no_restore_factor2_lr_squared_sum_loss": (
        [("            p[index] = saved\n            grad[index]", "            grad[index]"),
         ("grad_y_pred = 2.0 * (y_pred - y)", "grad_y_pred = y_pred - y"),
         ("            w1 -= learning_rate * w1.grad\n            w2 -= learning_rate * w2.grad\n",
          "            w1 -= learning_rate ** 2 * w1.grad\n            w2 -= learning_rate ** 2 * w2.grad\n"),
         ("grad_output = 2 * (output - y) / output.shape[0] / output.shape[1]", "grad_output = 2 * (output - y)")],
        [("numerical_gradient_restores_params", "assign the saved value back"),
         ("numerical_gradient", "assign the saved value back"),  # later entries are measured off the point
         ("forward_backward", "your gradients are half the true ones"),
         ("forward_backward_numerical", "your gradients are half the true ones"),
         ("autograd_train", "the learning rate is applied twice"),
         ("sigmoid_net_grads", "not their sum"),
         ("sigmoid_net_grads_numerical", "not their sum")]),
}


@pytest.mark.parametrize("submission", sorted(SUBMISSIONS))
def test_known_mistakes_lose_their_check_with_its_hint(grade_mutant, submission):
    mutations, expected = SUBMISSIONS[submission]
    checks = grade_mutant("exercise2", mutations)
    failed = {cid for cid, c in checks.items() if c["status"] != "passed"}
    assert failed == {check for check, _ in expected}, {cid: checks[cid]["message"][:300] for cid in failed}
    for check, hint in expected:
        assert hint in (checks[check]["hint"] or ""), (check, checks[check]["message"], checks[check]["hint"])


def test_a_cpu_mask_in_forward_backward_loses_the_device_points_only(grade_mutant):
    """The notes' `grad_h[h < 0] = 0` is fine; a mask built as a fresh CPU tensor is not."""
    checks = grade_mutant("exercise2", [("grad_h = grad_h.masked_fill(h < 0, 0)",
                                         "grad_h = grad_h * torch.where(h < 0, 0.0, torch.ones(h.shape, dtype=h.dtype))")],
                          pattern="forward_backward or device")
    assert {c for c, v in checks.items() if v["status"] != "passed"} == {"device"}, {
        c: v["message"][:200] for c, v in checks.items() if v["status"] != "passed"}
    assert checks["device"]["message"].startswith("forward_backward(x, y, w1, w2): with its inputs on")
