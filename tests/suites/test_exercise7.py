"""exercise7's suite recognises each known wrong implementation: it loses exactly the
intended checks, and the first of them shows the targeted hint.

Each submission carries several mistakes in different functions whose checks do not overlap,
so two grading runs cover every mistake.
"""
from __future__ import annotations

import pytest
import torch

SHUFFLE = "data.DataLoader(dataset, batch_size, shuffle=is_train)"
DROPOUT_RETURN = "return mask * X / (1.0 - p)"

# submission -> [(mutation, checks it must lose, text of the first check's hint)]
SUBMISSIONS = {
    "listed_mistakes_1": [
        ((SHUFFLE, "data.DataLoader(dataset, batch_size, shuffle=False)"), ["load_array_shuffle"], "pass shuffle=is_train"),
        ((DROPOUT_RETURN, "return mask * X"), ["dropout_statistics"], "scale the survivors by 1 / (1 - p)"),
        (("return ((y_hat - y.reshape(y_hat.shape)) ** 2).mean()", "return ((y_hat - y) ** 2).mean()"), ["my_mse"],
         "reshape y like y_hat"),
        (("    return torch.device(\"cpu\")\n", "    return \"cpu\"\n"), ["try_gpu"], "not a string"),
        (("return X, y.reshape((-1, 1))", "return X, y"), ["synthetic_data_shapes", "synthetic_data_noise"],
         "y must be a column"),
        (("return torch.sum(w.pow(2)) / 2", "return torch.sum(w.pow(2))"), ["l2_penalty"], "divide by 2"),
        (("trainer = torch.optim.SGD(net.parameters(), lr=lr)", "trainer = torch.optim.SGD(net.parameters(), lr=1e-4)"),
         ["train_linear_regression"], "torch.optim.SGD"),
    ],
    "listed_mistakes_2": [
        ((SHUFFLE, "data.DataLoader(dataset, batch_size, shuffle=is_train, drop_last=True)"),
         ["load_array_epoch", "load_array_shuffle"], "keep the last, smaller batch"),
        (("mask = (torch.rand(X.shape, device=X.device) > p).to(X.dtype)\n    return mask * X / (1.0 - p)",
          "mask = (torch.rand(X.shape, device=X.device) > p).to(X.dtype)\n    X *= mask / (1.0 - p)\n    return X"),
         ["dropout_input_unchanged"], "do not write into X"),
        (("y = y + torch.normal(0.0, noise_std, y.shape, dtype=w.dtype, device=w.device)", "y = y"),
         ["synthetic_data_noise"], "torch.normal(0, noise_std, y.shape)"),
        (("return ((y_hat - y.reshape(y_hat.shape)) ** 2).mean()", "return ((y_hat - y.reshape(y_hat.shape)) ** 2).sum()"),
         ["my_mse"], "not their sum"),
        (("if torch.cuda.device_count() >= i + 1:", "if torch.cuda.device_count() >= i:"), ["try_gpu"], "cuda"),
        (("return len(self.x)", "return len(self.x) - 1"), ["my_dataset"], "__len__ returns len(self.x)"),
    ],
    "listed_mistakes_3": [
        ((SHUFFLE, "data.DataLoader(dataset, batch_size, shuffle=True)"), ["load_array_shuffle"], "shuffle only when is_train"),
        (("mask = (torch.rand(X.shape, device=X.device) > p)", "mask = (torch.rand(X.shape, device=X.device) < p)"),
         ["dropout_statistics"], "zero each element with probability p"),
        (("    if p == 1:\n        return torch.zeros_like(X)\n", ""), ["dropout_edge_cases"], "divides by zero"),
    ],
    "device_mistakes": [
        # the notes' `torch.rand(X.shape)`: a mask on the CPU, mixed with X wherever X is
        (("mask = (torch.rand(X.shape, device=X.device) > p)", "mask = (torch.rand(X.shape) > p)"), ["device"],
         "on the input's device"),
        # a CUDA branch that is dead code: graded with two faked CUDA devices
        (("    if torch.cuda.device_count() >= i + 1:\n        return torch.device(f\"cuda:{i}\")\n", ""),
         ["try_gpu"], "torch.cuda.device_count() >= i + 1"),
        (("devices = [torch.device(f\"cuda:{i}\") for i in range(torch.cuda.device_count())]",
          "devices = [torch.device(\"cuda:0\")] if torch.cuda.is_available() else []"), ["try_all_gpus"], "range("),
    ],
    # silent training mistakes, diagnosed from a second, watched run of the trainer
    "forgotten_zero_grad": [
        (("            trainer.zero_grad()\n", ""), ["train_linear_regression"], "call optimizer.zero_grad() before each"),
    ],
    "mse_broadcasting": [
        (("l = loss(net(X), y)", "l = loss(net(X), y.reshape(-1))"), ["train_linear_regression"],
         "broadcast (b, 1) against (b,)"),
    ],
    "device_mistakes_2": [
        (("X = torch.normal(0.0, 1.0, (num_examples, len(w)), dtype=w.dtype, device=w.device)",
          "X = torch.normal(0.0, 1.0, (num_examples, len(w)), dtype=w.dtype)"), ["device"], "on the input's device"),
    ],
}


PATTERNS = {"listed_mistakes_3": "load_array or dropout", "device_mistakes": "device or gpu",
            "device_mistakes_2": "device", "forgotten_zero_grad": "train_linear", "mse_broadcasting": "train_linear"}  # only the checks these mistakes can touch (faster)


@pytest.mark.parametrize("submission", sorted(SUBMISSIONS))
def test_known_mistakes_lose_their_check_with_its_hint(grade_mutant, submission):
    mutations = SUBMISSIONS[submission]
    checks = grade_mutant("exercise7", [m for m, _, _ in mutations], pattern=PATTERNS.get(submission))
    lost = {cid for _, cids, _ in mutations for cid in cids}
    failed = {cid for cid, c in checks.items() if c["status"] != "passed"}
    assert failed == lost, {cid: (checks[cid]["status"], checks[cid]["message"][:300]) for cid in failed ^ lost}
    for _, cids, hint in mutations:
        assert hint in (checks[cids[0]]["hint"] or ""), (cids[0], checks[cids[0]]["message"], checks[cids[0]]["hint"])


def test_device_helpers_fall_back_to_the_cpu_here(grade_mutant):
    """The expected devices are the worker's own: on a machine without CUDA the reference earns
    the device points (test_exercises), and a helper that always claims cuda:0 loses them."""
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    checks = grade_mutant("exercise7", [('return devices if devices else [torch.device("cpu")]',
                                         'return devices or [torch.device("cuda:0")]')], pattern="try_all_gpus")
    assert checks["try_all_gpus"]["status"] == "failed"
    assert "expected [device(type='cpu')]" in checks["try_all_gpus"]["message"], checks["try_all_gpus"]["message"]


def test_a_device_failure_names_the_function_and_what_stayed_behind(grade_mutant):
    checks = grade_mutant("exercise7", [("mask = (torch.rand(X.shape, device=X.device) > p)",
                                         "mask = (torch.rand(X.shape) > p)")], pattern="device")
    message = checks["device"]["message"]
    assert message.startswith("dropout_layer(X, 0.5): with its inputs on ") and "created on the CPU" in message
    assert "exercise7_linear_regression.py, line" in message  # where
    assert checks["device"]["details"]["device_check"] in ("fake", "cuda", "mps")


def test_try_gpu_cuda_branch_is_graded_without_a_gpu(grade_mutant):
    checks = grade_mutant("exercise7", [("    if torch.cuda.device_count() >= i + 1:\n"
                                         "        return torch.device(f\"cuda:{i}\")\n", "")], pattern="try_gpu")
    assert "with torch reporting 2 CUDA device(s)" in checks["try_gpu"]["message"] or torch.cuda.device_count() >= 2
