"""exercise6 — FizzBuzz: encoders, training data, the model, prediction, and a budgeted trainer.

100 points: the encoders 26 (exhaustive over 1..1023 and other ``num_digits``), the training
data 12, the model 10, ``predict`` 7, the trained network 45.

The trainer is graded on a network the grader rebuilds: a driver in the worker calls the
student's ``build_model``, ``make_training_data`` and ``train`` under the check's seed, one
thread and deterministic algorithms, with the exercise's wall-clock budget
(``Exercise.budget_s``, 60 s) as the call's time limit, and sends back the weights and the
layers' types and constructor arguments.  ``rebuild`` constructs the network
from standard torch.nn layers and the accuracy on 1..100 is computed here, so neither a
``forward`` that hard-codes the rules nor a reported accuracy can earn points.

Points scale with that accuracy: **0 at or below 60 %, full at 95 % or more, linear in
between.**  Why: always answering the number itself scores 53 % on 1..100, so 60 % leaves a
margin above that baseline in which a network that learnt nothing earns nothing, while
every rule learnt earns points (fizz alone gives 80 %, buzz alone 67 %); 95 % means at most
five mistakes, which the notes' SGD recipe (median 97 % after 10,000 epochs, ~44 s) and
the Adam recipes (≥ 97 % in 10/10 seeds) clear, leaving room for an unlucky seed rather
than demanding a perfect 100.  Regrading gives the same score: same seed, one
thread, deterministic algorithms, evaluation in this process.
"""
from __future__ import annotations

import math
import time

import numpy as np
import torch

from autograder.checks import (_, join, ZERO_GRAD_HINT, CheckFailed, Foreign, Partial, RebuildError, StudentTimeout,
                               TensorValue, accumulated, check, describe_type, layer_summary, rebuild)

NUM_DIGITS = 10
TEST = list(range(1, 101))
NAMES = ("number", "fizz", "buzz", "fizzbuzz")
ZERO_AT, FULL_AT = 0.60, 0.95  # accuracy -> points: 0 at or below ZERO_AT, full at FULL_AT

SWAP_HINT = _("fizz and buzz are swapped: 1 means fizz (divisible by 3), 2 means buzz (divisible by 5)")
OFF_BY_ONE_HINT = _("the classes are 0..3 (0 number, 1 fizz, 2 buzz, 3 fizzbuzz), not 1..4")
ORDER_HINT = _("test divisibility by 15 first: a number divisible by 15 is also divisible by 3 and 5, so "
               "checking 3 or 5 first never returns fizzbuzz")
INDEX_HINT = _("fizz_buzz_decode must return the string to print, not the class index: [str(i), 'fizz', "
               "'buzz', 'fizzbuzz'][prediction]")
BITS_HINT = _("the bits are in the wrong order: the notes put the least significant bit first, [i >> d & "
              "1 for d in range(num_digits)]")
LEAK_HINT = _("train on 101 <= i < 2**num_digits only: the numbers 1..100 are the test set, and training "
              "on them is a data leak")
OUTPUTS_HINT = _("the last layer must have 4 outputs, one logit per class (number, fizz, buzz, fizzbuzz)")
IGNORES_INPUT_HINT = _("your model gives the same output for every input: its forward must use x")
RECIPE_HINT = _("train longer, with Adam (lr ~3e-3) and a wider hidden layer (512-1024 units), on "
                "shuffled batches; the notes' SGD recipe needs ~10,000 epochs")
REBUILD_HINT = _("return an nn.Sequential of standard torch.nn layers from train(): the grader rebuilds "
                 "it from its layers and weights and plays FizzBuzz with that")
UNTRAINED_HINT = _("your network answers the same for every number: it has not learnt anything; does "
                   "train() train the model it returns (optimizer on that model's parameters, "
                   "loss.backward(), optimizer.step())?")
BUDGET_HINT = _("make training faster: fewer epochs with Adam and a wider hidden layer (e.g. 1024 units, "
                "lr 3e-3, 300 epochs, batches of 128, takes ~5 s), and avoid per-sample Python loops")


# ---------------------------------------------------------------- the rules, computed here

def label(i: int) -> int:
    return 3 if i % 15 == 0 else 2 if i % 5 == 0 else 1 if i % 3 == 0 else 0


def say(i: int, cls: int) -> str:
    return [str(i), "fizz", "buzz", "fizzbuzz"][cls]


def bits(i: int, num_digits: int) -> list[int]:
    return [(i >> d) & 1 for d in range(num_digits)]


def encode_all(numbers, num_digits: int = NUM_DIGITS, order: str = "lsb") -> torch.Tensor:
    rows = [bits(i, num_digits) for i in numbers]
    if order == "msb":
        rows = [r[::-1] for r in rows]
    return torch.tensor(rows, dtype=torch.float32)


def decode_rows(X: np.ndarray, order: str = "lsb") -> np.ndarray:
    weights = 2 ** np.arange(X.shape[1])
    return (X[:, ::-1] if order == "msb" else X).astype(np.int64) @ weights


def _is_int(value) -> bool:
    return (type(value) is int or isinstance(value, np.integer)) and type(value) is not bool


def _first_wrong(numbers, got, expected, call, show=repr) -> tuple[str, list[int]]:
    wrong = [k for k, (g, e) in enumerate(zip(got, expected)) if g != e]
    k = wrong[0]
    return (_("{value} returned {value2}, expected {value3}; {wrong} of {numbers} calls wrong",
              value=call(numbers[k]), value2=show(got[k]), value3=show(expected[k]), wrong=len(wrong),
              numbers=len(numbers))), wrong


def _tensor(value, name: str, dtype: str, ndim: int):
    if isinstance(value, Foreign) or not isinstance(value, TensorValue):
        raise CheckFailed(_("{name} is {value}, expected a torch.Tensor of dtype torch.{dtype}", name=name,
                            value=describe_type(value), dtype=dtype))
    if value.data is None:
        raise CheckFailed(_("{name} holds no data (a meta or fake tensor)", name=name))
    if len(value.shape) != ndim:
        raise CheckFailed(_("{name} has shape {shape}, expected {ndim} dimensions", name=name,
                            shape=tuple(value.shape), ndim=ndim))
    if value.dtype != dtype:
        raise CheckFailed(_("{name} has dtype torch.{dtype}, expected torch.{dtype2}", name=name,
                            dtype=value.dtype, dtype2=dtype),
                          _("X = torch.tensor(..., dtype=torch.float32) and y = torch.tensor(..., "
                            "dtype=torch.long)"))
    return value.data


# ---------------------------------------------------------------- encoders (26 points)

@check(points=8, hint=_("0 number, 1 fizz (i % 3 == 0), 2 buzz (i % 5 == 0), 3 fizzbuzz (i % 15 == 0)"))
def test_fizz_buzz_encode(student):
    numbers = list(range(1, 1024))
    got = student.drive("training:call_each", "fizz_buzz_encode", [[i] for i in numbers])
    for i, value in zip(numbers, got):
        if not _is_int(value):
            raise CheckFailed(_("fizz_buzz_encode({i}) returned {value} {value2!r}, expected an int (0, 1, "
                                "2 or 3)", i=i, value=describe_type(value), value2=value))
    got = [int(v) for v in got]
    expected = [label(i) for i in numbers]
    if got == expected:
        return
    message, _index = _first_wrong(numbers, got, expected, lambda i: f"fizz_buzz_encode({i})")
    swapped = [{1: 2, 2: 1}.get(c, c) for c in expected]
    no_fizzbuzz = [1 if i % 3 == 0 else 2 if i % 5 == 0 else 0 for i in numbers]
    no_fizzbuzz5 = [2 if i % 5 == 0 else 1 if i % 3 == 0 else 0 for i in numbers]
    hint = (SWAP_HINT if got == swapped else OFF_BY_ONE_HINT if got == [c + 1 for c in expected]
            else ORDER_HINT if got in (no_fizzbuzz, no_fizzbuzz5) else None)
    raise CheckFailed(message, hint)


@check(points=8, hint=_("return [str(i), 'fizz', 'buzz', 'fizzbuzz'][prediction]"))
def test_fizz_buzz_decode(student):
    calls = [[i, c] for i in [*TEST, 101, 1023] for c in range(4)]
    got = student.drive("training:call_each", "fizz_buzz_decode", calls)
    expected = [say(i, c) for i, c in calls]
    for (i, c), value in zip(calls, got):
        if type(value) is not str:
            hint = INDEX_HINT if _is_int(value) and int(value) == c else \
                _("return str(i) for a plain number, not the int") if _is_int(value) and int(value) == i else None
            raise CheckFailed(_("fizz_buzz_decode({i}, {c}) returned {value} {value2!r}, expected the str "
                                "{i2!r}", i=i, c=c, value=describe_type(value), value2=value, i2=say(i, c)), hint)
    if got == expected:
        return
    message, _index = _first_wrong(calls, got, expected, lambda a: f"fizz_buzz_decode({a[0]}, {a[1]})")
    swapped = [say(i, {1: 2, 2: 1}.get(c, c)) for i, c in calls]
    raise CheckFailed(message, SWAP_HINT if got == swapped else None)


def _bit_vector(value, num_digits: int):
    """The bits as a list of ints, or a message saying why ``value`` is not a bit vector."""
    if isinstance(value, TensorValue):
        if value.data is None:
            return _("a {device} tensor without data", device=value.device)
        value = value.data.numpy()
    if isinstance(value, np.ndarray):
        if value.ndim != 1 or value.dtype.kind not in "biuf":
            return _("an array of shape {shape} and dtype {dtype}", shape=value.shape, dtype=value.dtype)
        value = value.tolist()
    if type(value) not in (list, tuple):
        return describe_type(value)
    if len(value) != num_digits:
        return _("{n} digits", n=len(value))
    out = []
    for v in value:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)) or v not in (0, 1):
            return _("a sequence holding {v!r}", v=v)
        out.append(int(v))
    return out


@check(points=10, hint=BITS_HINT)
def test_binary_encode(student):
    calls = ([[i, NUM_DIGITS] for i in range(1, 1024)] + [[i, 4] for i in range(16)]
             + [[i, 12] for i in (0, 1, 5, 1000, 2048, 4095)] + [[i, 1] for i in (0, 1)])
    got = student.drive("training:call_each", "binary_encode", calls)
    vectors = []
    for (i, d), value in zip(calls, got):
        vector = _bit_vector(value, d)
        if type(vector) is str:
            raise CheckFailed(_("binary_encode({i}, {d}) returned {vector}, expected {d} binary digits "
                                "(0/1, as a numpy int array), e.g. {i2}", i=i, d=d, vector=vector, i2=bits(i, d)))
        vectors.append(vector)
    expected = [bits(i, d) for i, d in calls]
    if vectors == expected:
        return
    message, _index = _first_wrong(calls, vectors, expected, lambda a: f"binary_encode({a[0]}, {a[1]})", show=str)
    reversed_ = [v[::-1] for v in expected]
    raise CheckFailed(message, BITS_HINT if vectors == reversed_ else None)


# ---------------------------------------------------------------- training data (12 points)

def check_training_data(X, y, num_digits: int, call: str) -> None:
    X = _tensor(X, f"{call}: X", "float32", 2).numpy()
    y = _tensor(y, f"{call}: y", "int64", 1).numpy()
    expected = np.arange(101, 2 ** num_digits)
    if X.shape[1] != num_digits:
        raise CheckFailed(_("{call}: X has {shape} columns, expected num_digits={num_digits}", call=call,
                            shape=X.shape[1], num_digits=num_digits))
    if len(y) != len(X):
        raise CheckFailed(_("{call}: X has {X} rows but y has {y}", call=call, X=len(X), y=len(y)))
    if not np.isin(X, (0.0, 1.0)).all():
        raise CheckFailed(_("{call}: X holds values other than 0 and 1; each row is binary_encode(i, "
                            "num_digits)", call=call))
    numbers = decode_rows(X)
    msb = decode_rows(X, "msb")
    if not np.array_equal(np.sort(numbers), expected) and np.array_equal(np.sort(msb), expected):
        raise CheckFailed(_("{call}: the rows of X are the numbers {expected}..{expected2} with their bits "
                            "reversed (most significant first)", call=call, expected=expected[0],
                            expected2=expected[-1]), BITS_HINT)
    leaked = sorted(set(numbers.tolist()) & set(TEST))
    if leaked:
        shown = ", ".join(map(str, leaked[:5])) + (", ..." if len(leaked) > 5 else "")
        raise CheckFailed(_("{call}: data leak: X contains {leaked} of the test numbers 1..100 ({shown}); the "
                            "network is graded on 1..100, so it must never train on them", call=call,
                            leaked=len(leaked), shown=shown), LEAK_HINT)
    if not np.array_equal(np.sort(numbers), expected):
        missing = sorted(set(expected.tolist()) - set(numbers.tolist()))
        extra = sorted(set(numbers.tolist()) - set(expected.tolist()))
        dupes = len(numbers) - len(set(numbers.tolist()))
        raise CheckFailed(_("{call}: X must hold each number 101 <= i < {value} once; missing "
                            "{missing}{value2} ({missing2}), extra {extra}, {dupes} duplicated", call=call,
                            value=2 ** num_digits, missing=missing[:5],
                            value2='...' if len(missing) > 5 else '', missing2=len(missing), extra=extra[:5],
                            dupes=dupes),
                          _("numbers = range(101, 2 ** num_digits)"))
    labels = np.array([label(int(i)) for i in numbers])
    if not np.array_equal(y, labels):
        k = int(np.flatnonzero(y != labels)[0])
        count = int((y != labels).sum())
        swapped = np.where(labels == 1, 2, np.where(labels == 2, 1, labels))
        hint = SWAP_HINT if np.array_equal(y, swapped) else OFF_BY_ONE_HINT if np.array_equal(y, labels + 1) else \
            _("y[k] must be fizz_buzz_encode(i) for the number i in row k of X")
        raise CheckFailed(_("{call}: y[{k}] = {value} for the number {value2} (row {k} of X), expected "
                            "{labels} ({NAMES}); {count} of {y} labels wrong", call=call, k=k, value=int(y[k]),
                            value2=int(numbers[k]), labels=labels[k], NAMES=NAMES[labels[k]], count=count,
                            y=len(y)), hint)


@check(points=12, hint=_("X = binary_encode(i) rows (float32) and y = fizz_buzz_encode(i) (long) for i in "
                         "range(101, 2 ** num_digits)"))
def test_make_training_data(student):
    for num_digits in (NUM_DIGITS, 8):
        call = f"make_training_data({num_digits})"
        data = student.make_training_data(num_digits)
        if type(data) not in (tuple, list) or len(data) != 2:
            raise CheckFailed(_("{call} returned {data}, expected a tuple (X, y)", call=call,
                                data=describe_type(data)))
        check_training_data(*data, num_digits, call)


# ---------------------------------------------------------------- the model (10 points)

def _outputs_of(value, call: str, batch: int) -> np.ndarray:
    if isinstance(value, str):
        raise CheckFailed(_("{call}: calling the model failed: {value}", call=call, value=value))
    if not isinstance(value, TensorValue) or value.data is None:
        raise CheckFailed(_("{call}: the model returned {value}, expected a tensor of logits", call=call,
                            value=describe_type(value)))
    if len(value.shape) != 2 or value.shape[0] != batch:
        raise CheckFailed(_("{call}: the model maps a ({batch}, num_digits) input to shape {shape}, expected "
                            "({batch}, 4)", call=call, batch=batch, shape=tuple(value.shape)), OUTPUTS_HINT)
    if value.shape[1] != 4:
        raise CheckFailed(_("{call}: the model has {shape} outputs, expected 4 (one logit per class)",
                            call=call, shape=value.shape[1]),
                          OUTPUTS_HINT)
    return value.data.double().numpy()


@check(points=10, hint=_("nn.Sequential(nn.Linear(num_digits, num_hidden), nn.ReLU(), "
                         "nn.Linear(num_hidden, 4))"))
def test_build_model(student, rng):
    for num_digits, num_hidden in ((NUM_DIGITS, 100), (7, 33)):
        call = f"build_model(num_digits={num_digits}, num_hidden={num_hidden})"
        inputs = torch.tensor(rng.integers(0, 2, (16, num_digits)), dtype=torch.float32)
        info = student.drive("training:inspect_model", num_digits=num_digits, num_hidden=num_hidden, inputs=inputs)
        if not info["is_module"]:
            raise CheckFailed(_("{call} returned {info}, expected an nn.Sequential", call=call,
                                info=info['returned']))
        own = _outputs_of(info["outputs"], call, len(inputs))
        if np.ptp(own, axis=0).max() == 0:
            raise CheckFailed(_("{call}: the model's output is the same for 16 different inputs", call=call),
                              IGNORES_INPUT_HINT)
        try:
            model = rebuild(info["structure"], info["state_dict"], what=_("the model from {call}", call=call))
        except RebuildError as exc:
            raise CheckFailed(_("{call}: {exc}", call=call, exc=exc)) from None
        with torch.no_grad():
            rebuilt = model(inputs).double().numpy()
        if not np.allclose(rebuilt, own, rtol=1e-4, atol=1e-5):
            raise CheckFailed(_("{call}: the model's forward does not compute what its layers say ({model}); "
                                "the grader evaluates the layers", call=call, model=layer_summary(model)))
        linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
        if not linears or linears[0].in_features != num_digits:
            raise CheckFailed(_("{call}: the first Linear layer must take num_digits={num_digits} inputs "
                                "({model})", call=call, num_digits=num_digits, model=layer_summary(model)))
        if not any(m.out_features == num_hidden for m in linears[:-1]):
            raise CheckFailed(_("{call}: no hidden layer has num_hidden={num_hidden} units ({model})",
                                call=call, num_hidden=num_hidden, model=layer_summary(model)),
                              _("use the num_hidden argument for the hidden layer's width"))


# ---------------------------------------------------------------- predict (7 points)

@check(points=7, hint=_("X = binary_encode(i, NUM_DIGITS) rows as a float32 tensor; "
                        "model(X).argmax(dim=1); fizz_buzz_decode(i, class) for each number"))
def test_predict(student, rng):
    hidden = 32
    state = {"0.weight": rng.standard_normal((hidden, NUM_DIGITS)) * 2, "0.bias": rng.standard_normal(hidden),
             "2.weight": rng.standard_normal((4, hidden)), "2.bias": rng.standard_normal(4)}
    state = {k: torch.tensor(v, dtype=torch.float32) for k, v in state.items()}
    model = torch.nn.Sequential(torch.nn.Linear(NUM_DIGITS, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 4))
    model.load_state_dict(state)

    def play(order: str) -> list[int]:
        with torch.no_grad():
            return model(encode_all(TEST, order=order)).argmax(dim=1).tolist()
    classes = play("lsb")
    expected = [say(i, c) for i, c in zip(TEST, classes)]
    got = student.drive("training:predict_with", state_dict=state, numbers=TEST)
    call = "predict(model, numbers=[1, ..., 100])"
    if type(got) not in (list, tuple) or len(got) != len(TEST):
        size = _(" of {got}", got=len(got)) if type(got) in (list, tuple) else ""
        raise CheckFailed(_("{call} returned {got}{size}, expected a list of {TEST} str", call=call,
                            got=describe_type(got), size=size, TEST=len(TEST)))
    got = list(got)
    if got == expected:
        return
    if all(_is_int(v) for v in got) and [int(v) for v in got] == classes:
        raise CheckFailed(_("{call} returned the class indices, expected the strings to print", call=call), INDEX_HINT)
    wrong = [k for k in range(len(TEST)) if got[k] != expected[k]]
    k = wrong[0]
    message = _("{call}: for {TEST} (a grader-made network picks class {classes}) you returned {got!r}, "
                "expected {expected!r}; {wrong} of {TEST2} wrong", call=call, TEST=TEST[k], classes=classes[k],
                got=got[k], expected=expected[k], wrong=len(wrong), TEST2=len(TEST))
    hint = None
    if got == [say(i, c) for i, c in zip(TEST, play("msb"))]:
        hint = BITS_HINT
    elif got == [say(i, {1: 2, 2: 1}.get(c, c)) for i, c in zip(TEST, classes)]:
        hint = SWAP_HINT
    raise CheckFailed(message, hint)


# ---------------------------------------------------------------- the trained network (45 points)

def points_fraction(accuracy: float) -> float:
    return min(max((accuracy - ZERO_AT) / (FULL_AT - ZERO_AT), 0.0), 1.0)


def ascii_curve(values: list[float], width: int = 60, height: int = 7) -> list[str]:
    """A small plot of ``values`` (log scale when they span more than a factor of 10)."""
    values = [v for v in values if math.isfinite(v)]
    if len(values) < 2:
        return []
    log = min(values) > 0 and max(values) / min(values) > 10
    ys = [math.log10(v) for v in values] if log else list(values)
    columns = min(width, len(ys))
    buckets = [ys[len(ys) * c // columns: max(len(ys) * (c + 1) // columns, len(ys) * c // columns + 1)]
               for c in range(columns)]
    points = [sum(b) / len(b) for b in buckets]
    lo, hi = min(points), max(points)
    span = (hi - lo) or 1.0
    rows = [[" "] * columns for _row in range(height)]
    for c, p in enumerate(points):
        rows[height - 1 - round((p - lo) / span * (height - 1))][c] = "*"
    top, bottom = max(values), min(values)
    labels = [f"{top:9.3g} |"] + ["          |"] * (height - 2) + [f"{bottom:9.3g} |"]
    axis = "          +" + "-" * columns
    title = (_("loss per epoch ({n} epochs, log scale):", n=len(values)) if log
             else _("loss per epoch ({n} epochs):", n=len(values)))
    return ([title] + [lab + "".join(r) for lab, r in zip(labels, rows)]
            + [axis])


def _leaked(result: dict) -> list[int]:
    X = result.get("X")
    if not isinstance(X, TensorValue) or X.data is None or len(X.shape) != 2 or not X.data.is_floating_point():
        return []
    data = X.data.numpy()
    if not np.isin(data, (0.0, 1.0)).all():
        return []
    numbers = decode_rows(data, "msb" if result.get("bit_order") == "msb" else "lsb")
    return sorted(set(numbers.tolist()) & set(TEST))


def _accuracy(classes: list[int], order_labels=None) -> float:
    labels = order_labels or [label(i) for i in TEST]
    return sum(c == t for c, t in zip(classes, labels)) / len(TEST)


@check(points=45, hint=RECIPE_HINT)
def test_train(student, exercise, seed, note):
    budget = exercise.budget_s or 60.0
    start = time.monotonic()
    try:
        result = student.drive("training:train_model", num_digits=NUM_DIGITS, seed=seed, _timeout=budget)
    except StudentTimeout:
        used = time.monotonic() - start
        note(_("time used: over budget, stopped after {used:.1f} s (budget {budget:g} s)", used=used,
               budget=budget), time_s=round(used, 2),
             budget_s=budget)
        raise StudentTimeout(_("training did not finish within the budget: stopped after {used:.1f} s, the "
                               "budget is {budget:g} s (build_model + make_training_data + train)", used=used,
                               budget=budget), BUDGET_HINT) from None
    if type(result) is not dict or not all(type(result.get(k)) in (int, float) for k in ("total_s", "train_s", "train_cpu_s")) \
            or type(result.get("gradients")) is not dict or type(result.get("is_module")) is not bool:
        raise CheckFailed(_("the worker's training report is malformed (did the submission tamper with the "
                            "grader?)"))
    used = float(result["total_s"])
    details = {"time_s": round(used, 2), "train_cpu_s": round(float(result["train_cpu_s"]), 2), "budget_s": budget,
               "gradients": result["gradients"]}
    lines = [_("time used: {used:.1f} s of the {budget:g} s budget (train() {value:.1f} s)", used=used,
               budget=budget, value=float(result['train_s']))]
    losses = result.get("losses")
    if isinstance(losses, list):
        lines += ascii_curve(losses)
        details["final_loss"] = losses[-1] if losses else None
    elif isinstance(losses, str):
        lines.append(_("no loss curve: {losses}", losses=losses))
    try:
        leaked = _leaked(result)
        if leaked:
            raise CheckFailed(_("make_training_data() includes {leaked} of the test numbers 1..100: accuracy "
                                "on 1..100 does not count when the network trained on them", leaked=len(leaked)),
                              LEAK_HINT)
        if not result["is_module"]:
            raise CheckFailed(_("train() returned {result}, expected the trained nn.Sequential",
                                result=result['returned']),
                              _("return the model itself; per-epoch losses go in model.losses")
                              if result["returned"] in ("builtins.tuple", "builtins.list") else None)
        try:
            model = rebuild(result["structure"], result["state_dict"], what=_("the network train() returned"))
        except RebuildError as exc:
            hint = IGNORES_INPUT_HINT if _constant(result.get("outputs")) else REBUILD_HINT
            raise CheckFailed(_("{exc}; accuracy not graded", exc=exc), hint) from None
        with torch.no_grad():
            logits = model(encode_all(TEST))
        if logits.ndim != 2 or logits.shape[1] != 4:
            raise CheckFailed(_("the network train() returned ({model}) gives {value} outputs per number, "
                                "expected 4 logits", model=layer_summary(model), value=tuple(logits.shape[1:])),
                              OUTPUTS_HINT)
        classes = logits.argmax(dim=1).tolist()
        accuracy = _accuracy(classes)
        fraction = points_fraction(accuracy)
        details.update(accuracy=accuracy, network=layer_summary(model))
        lines.insert(0, _("accuracy on 1..100: {accuracy:.0%} ({value}/100) of the rebuilt network {model}; "
                          "points: 0 at <= {ZERO_AT:.0%}, full at >= {FULL_AT:.0%}", accuracy=accuracy,
                          value=round(accuracy * 100), model=layer_summary(model), ZERO_AT=ZERO_AT,
                          FULL_AT=FULL_AT))
        own = result.get("outputs")
        if isinstance(own, TensorValue) and own.data is not None and tuple(own.shape) == tuple(logits.shape):
            if not np.allclose(own.data.double().numpy(), logits.double().numpy(), rtol=1e-3, atol=1e-4):
                lines.append(_("note: your model's own forward gives other outputs than its layers; the "
                               "layers are what is graded"))
        if fraction >= 1.0:
            return
        wrong = [_("{i} ({said!r}, not {right!r})", i=i, said=say(i, c), right=say(i, t))
                 for i, c, t in zip(TEST, classes, [label(i) for i in TEST]) if c != t]
        # {share:.0%}, not "{x} % of": gettext tools read "% o" as a printf conversion
        message = _("accuracy on 1..100 is {accuracy:.0%}: {share:.0%} of the points (0 at <= {zero_at:.0%}, "
                    "full at >= {full_at:.0%}); wrong on {wrong}{more}", accuracy=accuracy, share=fraction,
                    zero_at=ZERO_AT, full_at=FULL_AT, wrong=join(", ", wrong[:6]),
                    more=", ..." if len(wrong) > 6 else "")
        raise Partial(fraction, message, _diagnose(result, classes, accuracy, own))
    finally:
        note(join("\n", lines), **details)


def _constant(outputs) -> bool:
    """Whether the student's own network gave the same output for every number of 1..100."""
    if not isinstance(outputs, TensorValue) or outputs.data is None or outputs.data.ndim != 2:
        return False
    data = outputs.data.double()
    return bool(torch.isfinite(data).all()) and float((data - data[0]).abs().max()) == 0.0


def _diagnose(result: dict, classes: list[int], accuracy: float, own) -> str | None:
    """The hint for a network that learnt too little: the usual mistake, when recognisable."""
    if accumulated(result["gradients"]):
        return ZERO_GRAD_HINT
    if _constant(own):
        return IGNORES_INPUT_HINT
    if result.get("bit_order") == "msb":  # trained on reversed bits, graded on the notes' encoding
        return BITS_HINT
    swapped = _accuracy([{1: 2, 2: 1}.get(c, c) for c in classes])
    if swapped >= FULL_AT or swapped >= accuracy + 0.2:
        return SWAP_HINT
    if len(set(classes)) == 1:
        return UNTRAINED_HINT
    return None
