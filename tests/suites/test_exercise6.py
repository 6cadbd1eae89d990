"""exercise6: the rebuild whitelist, the accumulated-gradient detector, and the suite against
known wrong implementations, fake trainers, an over-budget trainer and regrading.

Training is the expensive part: mutants that must train use 60 epochs instead of 300
(~1 s; the reference recipe then reaches ~90 %, a partial score), and checks that do not
need the trainer are graded with ``pattern`` so that it does not run.
"""
from __future__ import annotations

import importlib.util

import pytest
import torch
from torch import nn

import autograder
from autograder.checks.training import RebuildError, rebuild
from autograder.worker.drivers.training import GradientWatch, describe, weights
from conftest import KIT, checks_by_id, write_submission

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnknownMarkWarning")  # the suite's @check, imported

EXERCISE = KIT.find("exercise6")
SHORT = ("batch_size, epochs = 128, 300", "batch_size, epochs = 128, 60")
NOT_TRAIN = "not test_train"
BITS = ("return np.array([i >> d & 1 for d in range(num_digits)])",
        "return np.array([i >> d & 1 for d in reversed(range(num_digits))])")
SWAP = ("    if i % 5 == 0:\n        return 2\n    if i % 3 == 0:\n        return 1\n",
        "    if i % 5 == 0:\n        return 1\n    if i % 3 == 0:\n        return 2\n")
DECODE_INDEX = ('return [str(i), "fizz", "buzz", "fizzbuzz"][int(prediction)]', "return int(prediction)")
LEAK = ("numbers = range(101, 2 ** num_digits)", "numbers = range(1, 2 ** num_digits)")
NO_ZERO_GRAD = ("            optimizer.zero_grad()\n", "")
OUTPUTS = ("        nn.Linear(num_hidden, 4),\n", "        nn.Linear(num_hidden, {n}),\n")
IGNORES_INPUT = ("""    return nn.Sequential(
        nn.Linear(num_digits, num_hidden),""", """    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(num_digits, num_hidden), nn.ReLU(), nn.Linear(num_hidden, 4))

        def forward(self, x):
            return self.net(torch.ones_like(x))
    return Net()
    return nn.Sequential(
        nn.Linear(num_digits, num_hidden),""")
TRAIN_START = "    # 100 hidden units generalise"
RULES_NET = """    class RulesNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(10, 4)

        def forward(self, x):
            n = (x * 2 ** torch.arange(x.shape[1])).sum(1).long()
            cls = torch.where(n % 15 == 0, 3, torch.where(n % 5 == 0, 2, torch.where(n % 3 == 0, 1, 0)))
            return nn.functional.one_hot(cls, 4).float() * 10
    return RulesNet()
"""
FAKE_ACCURACY = """    print("epoch 300: loss 0.0001, accuracy 100.0%")
    model.accuracy = 1.0
    model.losses = [1.0, 0.1, 0.001]
    return model
"""
OVER_BUDGET = "    import time\n    time.sleep(120)\n"


@pytest.fixture
def grade(tmp_path):
    """``grade(mutations, pattern=None, kit=KIT)`` -> checks by id, for the reference with ``mutations``."""
    def run(mutations, pattern=None, kit=KIT):
        source = KIT.solution_path(EXERCISE).read_text(encoding="utf-8")
        for old, new in mutations:
            assert old in source, old
            source = source.replace(old, new)
        root = write_submission(tmp_path, "exercise6", source)
        return checks_by_id(autograder.grade("exercise6", submission=root, pattern=pattern, kit=kit))
    return run


def failed(checks: dict) -> set:
    return {cid for cid, c in checks.items() if c["status"] != "passed"}


def assert_failed(checks: dict, expected: set) -> None:
    assert failed(checks) == expected, {cid: (c["status"], c["message"][:300]) for cid, c in checks.items()
                                        if cid in failed(checks) ^ expected}


def assert_hint(checks: dict, ids, text: str) -> None:
    for cid in ids:
        assert text in (checks[cid]["hint"] or ""), (cid, checks[cid]["message"], checks[cid]["hint"])


# ---------------------------------------------------------------- rebuild (no grading)

def _roundtrip(model: nn.Module) -> nn.Module:
    return rebuild(describe(model), {k: _as_value(v) for k, v in weights(model).items()})


def _as_value(tensor):
    from autograder.worker.wire import TensorValue
    return TensorValue(data=tensor, dtype=str(tensor.dtype).removeprefix("torch."), shape=tuple(tensor.shape),
                       device="cpu")


def test_rebuild_reproduces_standard_layers():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 16), nn.BatchNorm1d(16), nn.LeakyReLU(0.2), nn.Dropout(0.3),
                          nn.Sequential(nn.Linear(16, 8, bias=False), nn.GELU(approximate="tanh"), nn.LayerNorm(8)),
                          nn.Tanh(), nn.Linear(8, 4), nn.LogSoftmax(dim=1))
    model.train()
    model(torch.randn(32, 10))  # move BatchNorm's running statistics
    model.eval()
    x = torch.randn(5, 10)
    with torch.no_grad():
        assert torch.allclose(_roundtrip(model)(x), model(x), atol=1e-6)


@pytest.mark.parametrize("make, named", [
    (lambda: nn.Sequential(nn.Linear(10, 4), nn.Conv1d(1, 1, 1)), "Conv1d"),
    (lambda: type("Custom", (nn.Module,), {"forward": lambda self, x: x})(), "Custom"),
    (lambda: nn.Sequential(nn.Linear(10, 4), type("Rules", (nn.Module,), {"forward": lambda self, x: x})()),
     "Rules"),
    (lambda: type("MySeq", (nn.Sequential,), {})(nn.Linear(10, 4)), "MySeq"),
])
def test_rebuild_refuses_and_names_the_layer(make, named):
    with pytest.raises(RebuildError, match=named):
        _roundtrip(make())


def test_rebuild_checks_weights():
    model = nn.Sequential(nn.Linear(10, 4))
    state = {k: _as_value(v) for k, v in weights(model).items()}
    with pytest.raises(RebuildError, match="shape"):
        rebuild(describe(model), dict(state, **{"0.weight": _as_value(torch.zeros(4, 3))}))
    with pytest.raises(RebuildError, match="NaN"):
        rebuild(describe(model), dict(state, **{"0.weight": _as_value(torch.full((4, 10), float("nan")))}))
    with pytest.raises(RebuildError, match="missing"):
        rebuild(describe(model), {"0.weight": state["0.weight"]})


# ---------------------------------------------------------------- accumulated gradients (no grading)

@pytest.mark.parametrize("zero, clip, stale", [(True, False, False), (False, False, True), (True, True, False)])
def test_gradient_watch(zero, clip, stale):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 8), nn.ReLU(), nn.Linear(8, 4))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.randn(64, 10), torch.randint(0, 4, (64,))
    with GradientWatch() as watch:
        for _ in range(10):
            if zero:
                optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            if clip:
                nn.utils.clip_grad_norm_(model.parameters(), 0.01)
            optimizer.step()
    report = watch.report()
    assert report["steps"] == 10 and report["checked"] == 9
    assert (report["stale"] > 0) == stale, report


# ---------------------------------------------------------------- the suite's helpers

def _suite():
    spec = importlib.util.spec_from_file_location("_exercise6_suite", KIT.suite_path(EXERCISE))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_points_scale_and_curve():
    suite = _suite()
    assert [suite.points_fraction(a) for a in (0.53, 0.60, 0.775, 0.95, 1.0)] == [0, 0, pytest.approx(0.5), 1, 1]
    lines = suite.ascii_curve([1.0 / (e + 1) for e in range(300)])
    assert len(lines) == 9 and "log scale" in lines[0] and all(len(line) < 90 for line in lines)
    assert suite.ascii_curve([1.0]) == []


def test_stub_states_budget_and_threshold():
    text = KIT.stub_path(EXERCISE).read_text(encoding="utf-8")
    suite = _suite()
    assert f"budget of {EXERCISE.budget_s:g} s" in text
    assert f"{suite.FULL_AT:.0%}".replace("%", " %") in text and f"{suite.ZERO_AT:.0%}".replace("%", " %") in text


# ---------------------------------------------------------------- known wrong implementations

def test_decode_index_two_outputs_labels_off_by_one_and_a_rules_model(grade):
    plus_one = ("        return 3\n", "        return 4\n"), ("        return 2\n", "        return 3\n"), \
        ("        return 1\n", "        return 2\n"), ("    return 0\n    # END", "    return 1\n    # END")
    checks = grade([DECODE_INDEX, (OUTPUTS[0], OUTPUTS[1].format(n=2)), *plus_one,
                    (TRAIN_START, RULES_NET + TRAIN_START)])
    assert_failed(checks, {"fizz_buzz_decode", "predict", "build_model", "fizz_buzz_encode", "make_training_data",
                              "train"})
    assert_hint(checks, ["fizz_buzz_decode", "predict"], "not the class index")
    assert_hint(checks, ["build_model"], "4 outputs")
    assert_hint(checks, ["fizz_buzz_encode", "make_training_data"], "not 1..4")
    train = checks["train"]  # a forward that hard-codes the rules is never what is graded
    assert train["score"] == 0 and "RulesNet" in train["message"] and "accuracy not graded" in train["message"]


def test_three_outputs_message():
    from autograder.checks import CheckFailed
    from autograder.worker.wire import TensorValue
    value = TensorValue(data=torch.zeros(16, 3), dtype="float32", shape=(16, 3), device="cpu")
    with pytest.raises(CheckFailed) as info:
        _suite()._outputs_of(value, "build_model()", 16)
    assert "3 outputs, expected 4" in info.value.message and "4 outputs" in info.value.hint


def test_bits_in_wrong_order(grade):
    checks = grade([BITS, SHORT])
    assert_failed(checks, {"binary_encode", "make_training_data", "predict", "train"})
    assert_hint(checks, failed(checks), "wrong order")
    assert checks["train"]["score"] < 45


def test_fizz_buzz_swapped(grade):
    checks = grade([SWAP, SHORT], pattern="fizz_buzz_encode or make_training_data or test_train")
    assert_failed(checks, {"fizz_buzz_encode", "make_training_data", "train"})
    assert_hint(checks, failed(checks), "fizz and buzz are swapped")


def test_training_on_1_to_100_is_a_leak_and_a_forward_ignoring_input(grade):
    checks = grade([LEAK, IGNORES_INPUT, SHORT], pattern="make_training_data or build_model or test_train")
    assert_failed(checks, {"make_training_data", "build_model", "train"})
    assert "data leak" in checks["make_training_data"]["message"]
    assert checks["train"]["score"] == 0 and "1..100" in checks["train"]["message"]
    assert_hint(checks, ["make_training_data", "train"], "data leak")
    assert_hint(checks, ["build_model"], "same output for every input")


def test_trainer_without_zero_grad(grade):
    checks = grade([NO_ZERO_GRAD, SHORT], pattern="train")
    train = checks["train"]
    assert train["status"] == "failed" and train["score"] < 10, train["message"]
    assert "zero_grad" in train["hint"] and train["details"]["gradients"]["stale"] > 0


def test_fake_accuracy_trainer_earns_zero(grade):
    checks = grade([(TRAIN_START, FAKE_ACCURACY + TRAIN_START)], pattern="train")
    train = checks["train"]
    assert train["score"] == 0 and "accuracy on 1..100 is" in train["message"], train


# ---------------------------------------------------------------- budget and regrading

def test_over_budget_fails_with_time_used_and_other_checks_still_run(grade):
    checks = grade([(TRAIN_START, OVER_BUDGET + TRAIN_START)], kit=KIT.with_exercise("exercise6", budget_s=2.0))
    train = checks["train"]
    assert train["status"] == "timeout" and train["score"] == 0
    assert "stopped after" in train["message"] and "budget is 2 s" in train["message"]
    assert_failed(checks, {"train"})


def test_regrading_gives_identical_scores(grade):
    # once with every check (the worker has run the others first), then the training check alone
    runs = [grade([SHORT], pattern=pattern)["train"] for pattern in (None, "train", "train", "train", "train")]
    assert 0 < runs[0]["score"] < 45  # a partial score: any drift would show
    assert len({(r["score"], r["details"]["accuracy"]) for r in runs}) == 1, [r["score"] for r in runs]
