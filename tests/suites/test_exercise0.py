"""exercise0's suite recognises each known wrong implementation: it loses exactly the
intended check, and that check's failure shows the targeted hint.

Grading a submission costs seconds (a fresh zygote), so each submission below carries
several mistakes in *different* functions whose checks do not overlap; the assertion is
per check: exactly the listed checks fail, each with its own hint.
"""
from __future__ import annotations

import pytest

SIGMOID_BODY = """    e_neg = torch.exp(x.clamp(max=0))
    return torch.where(x >= 0, 1 / (1 + torch.exp(-x.clamp(min=0))), e_neg / (1 + e_neg))
"""
SOFTMAX_BODY = """    e = torch.exp(x - x.max(dim=dim, keepdim=True).values)
    return e / e.sum(dim=dim, keepdim=True)
"""
HUBER_WHERE = "torch.where(d <= delta, 0.5 * d ** 2, delta * (d - 0.5 * delta))"
CE_RETURN = "return _reduce(log_z - picked, reduction)"

# submission -> [(mutation, check it must lose, text of that check's hint)]
SUBMISSIONS = {
    "listed_mistakes_1": [
        (("return _reduce(0.5 * (y_hat - y) ** 2, reduction)", "return _reduce((y_hat - y) ** 2, reduction)"),
         "l2_loss", "has a ½"),
        ((HUBER_WHERE, "torch.where(d > delta, 0.5 * d ** 2, delta * (d - 0.5 * delta))"),
         "huber_loss", "branches are swapped"),
        ((SIGMOID_BODY, "    return 1 / (1 + torch.exp(-x))\n"), "stable_sigmoid_tanh", "overflows for large negative x"),
        ((SOFTMAX_BODY, SOFTMAX_BODY.replace("dim=dim", "dim=-1")), "softmax", "softmax over the wrong dimension"),
        ((CE_RETURN, "return _reduce(log_z - picked, 'sum' if reduction == 'mean' else reduction)"),
         "cross_entropy", "(you summed them)"),
        (("return X.reshape(X.shape[0], -1)", "return X.reshape(-1)"), "flatten", "you flattened everything"),
    ],
    "listed_mistakes_2": [
        ((HUBER_WHERE, "torch.where(d <= delta, 0.5 * d ** 2, delta * (d - 0.5))"), "huber_loss", "the ½ multiplies delta"),
        (("    return 2 * sigmoid(2 * x) - 1\n",
          "    return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))\n"),
         "stable_sigmoid_tanh", "inf / inf = nan"),
        ((SOFTMAX_BODY, "    e = torch.exp(x)\n    return e / e.sum(dim=dim, keepdim=True)\n"),
         "stable_softmax_cross_entropy", "subtract the maximum along dim"),
        (("return _reduce((y_hat - y).abs(), reduction)", "return (y_hat - y).abs().mean()"),
         "l1_loss", "was asked for, but you returned the 'mean' reduction"),
        (("    return x.clamp(min=0)\n", "    return torch.where(x > 0, x, torch.zeros(x.shape, dtype=x.dtype))\n"),
         "device", "create every new tensor on the input's device"),
    ],
    "more_mistakes": [
        ((HUBER_WHERE, "torch.where(d <= delta, 0.5 * d ** 2, d - 0.5 * delta)"), "huber_loss", "left out the factor delta"),
        ((CE_RETURN, "return _reduce(-torch.log(torch.exp(picked) / torch.exp(logits).sum(1)), reduction)"),
         "stable_softmax_cross_entropy", "log(softmax(logits)) breaks"),
        (("    return x.clamp(min=0)\n", "    x = x.detach()\n    return x.clamp_(min=0)\n"),
         "relu", "stay in torch on the way from the inputs"),
        ((SIGMOID_BODY, "    import numpy as np\n    return torch.from_numpy(1 / (1 + np.exp(-x.detach().numpy())))\n"),
         "sigmoid", "stay in torch on the way from the inputs"),
    ],
}
MESSAGES = {  # submission -> [(check, text its failure message must contain)]
    "listed_mistakes_1": [  # the function, the input's shape, dtype and seed, the worst element
        ("softmax", "softmax(x, dim=1) with x of shape (3, 4, 5) float64 (seed 0): 60 of 60 elements differ"),
        ("softmax", "worst at index [0, 1, 4]: got "),
        ("stable_sigmoid_tanh", "sigmoid(x) with x of shape (2, 5) float32 (seed 0): its gradient w.r.t. x")],
    "more_mistakes": [("stable_sigmoid_tanh", "raised warnings: RuntimeWarning: overflow"),
                      ("sigmoid", "no gradient reaches x")],
}
EXTRA_LOSSES = {  # checks a submission also loses, beyond its mutations' own: (check, hint text)
    "more_mistakes": [("inputs_unchanged", "must leave its inputs as they were"),  # relu's clamp_
                      ("tanh", "stay in torch on the way from the inputs"),  # tanh calls the numpy sigmoid
                      ("stable_sigmoid_tanh", "no numpy")],  # np.exp's overflow warning
}


@pytest.mark.parametrize("submission", sorted(SUBMISSIONS))
def test_known_mistakes_lose_their_check_with_its_hint(grade_mutant, submission):
    mutations = SUBMISSIONS[submission]
    checks = grade_mutant("exercise0", [m for m, _, _ in mutations])
    expected = [(check, hint) for _, check, hint in mutations] + EXTRA_LOSSES.get(submission, [])
    failed = {cid for cid, c in checks.items() if c["status"] != "passed"}
    assert failed == {check for check, _ in expected}, {cid: checks[cid]["message"][:300] for cid in failed}
    for check, hint in expected:
        assert hint in (checks[check]["hint"] or ""), (check, checks[check]["message"], checks[check]["hint"])
        assert checks[check]["reproduce"].endswith(f" --seed 0 -k {check}")
    for check, text in MESSAGES.get(submission, []):
        assert text in checks[check]["message"], (check, checks[check]["message"])
