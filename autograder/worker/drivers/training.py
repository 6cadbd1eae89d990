"""Training and model inspection, run in the worker beside the student's module.

``train_model`` calls the student's ``build_model``, ``make_training_data`` and ``train``
under a fixed seed, one thread and deterministic algorithms, and returns what the parent
needs to grade the result without trusting it: the trained weights (``state_dict`` as
tensors), the network's structure (layer types and constructor arguments read from the
modules' attributes), per-epoch losses if the trainer exposed them, and how the training
went (time, whether gradients were accumulated across optimizer steps).  The parent
rebuilds the network from standard layers (``autograder.checks.training``, the parent half) and evaluates it itself.

Everything returned is plain data; nothing here trusts what the student's objects claim.
"""
from __future__ import annotations

import random
import time
import warnings
from typing import Any

import numpy as np
import torch

MAX_DEPTH = 8  # nested Sequentials
MAX_LAYERS = 256
MAX_PARAMETERS = 50_000_000  # numbers in a state_dict sent back
MAX_LOSSES = 100_000
WATCHED_STEPS = 20  # optimizer steps checked for accumulated gradients


# ---------------------------------------------------------------- plain-data views of modules

def _constructor_arg(value: Any) -> Any:
    """A constructor argument as plain data, or a description when it is not one."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) in (tuple, list) and len(value) <= 16 and all(type(v) in (int, float, bool) for v in value):
        return tuple(value)
    if isinstance(value, torch.dtype):
        return str(value)
    return {"unsupported": type(value).__name__}


def describe(module: Any, name: str = "model", depth: int = 0, counter: list | None = None) -> dict:
    """The structure of ``module``: its class, whether it *is* the standard ``torch.nn``
    class of that name (``kind``), the constructor arguments that class declares in
    ``__constants__``, which parameters/buffers it holds, and its children."""
    counter = counter if counter is not None else [0]
    counter[0] += 1
    cls = type(module)
    qualified = f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', cls.__name__)}"
    node: dict = {"name": name, "class": qualified, "kind": None, "args": {}, "tensors": [], "children": []}
    if not isinstance(module, torch.nn.Module):
        return node
    standard = getattr(torch.nn, cls.__name__, None)
    if standard is cls:
        node["kind"] = cls.__name__
        for const in getattr(cls, "__constants__", ()):
            if type(const) is str and hasattr(module, const):
                node["args"][const] = _constructor_arg(getattr(module, const))
    node["tensors"] = sorted(k for k, v in list(module._parameters.items()) + list(module._buffers.items())
                             if v is not None)
    if depth >= MAX_DEPTH or counter[0] > MAX_LAYERS:
        node["truncated"] = True
        return node
    for child_name, child in module._modules.items():
        if child is not None:
            node["children"].append(describe(child, str(child_name), depth + 1, counter))
    return node


def weights(module: Any) -> dict:
    """``state_dict`` as CPU tensors (plain ``torch.Tensor``), capped in size."""
    state = module.state_dict()
    total = sum(int(v.numel()) for v in state.values() if isinstance(v, torch.Tensor))
    if total > MAX_PARAMETERS:
        raise ValueError(f"the model has {total:,} numbers in its state_dict; the grader accepts at most "
                         f"{MAX_PARAMETERS:,}")
    return {str(k): v.detach().to("cpu").clone() for k, v in state.items() if isinstance(v, torch.Tensor)}


def _outputs(model: Any, X: torch.Tensor) -> Any:
    """The student's own forward on ``X`` (what the module computes, to compare with the
    rebuilt network); eval mode and no_grad, restoring the mode afterwards."""
    was_training = bool(getattr(model, "training", False))
    try:
        model.eval()
        with torch.no_grad():
            out = model(X)
    finally:
        model.train(was_training)
    return out.detach().to("cpu").clone() if isinstance(out, torch.Tensor) and type(out) is torch.Tensor else out


def _encode(numbers, num_digits: int) -> torch.Tensor:
    return torch.tensor([[(i >> d) & 1 for d in range(num_digits)] for i in numbers], dtype=torch.float32)


# ---------------------------------------------------------------- determinism

def _set_deterministic(mode: bool) -> None:
    """``torch.use_deterministic_algorithms(mode)`` without its side import of
    ``torch._inductor.config`` (~2.5 s, for ``torch.compile`` only) when torch has the
    underlying switch; eager execution reads only that switch."""
    switch = getattr(torch._C, "_set_deterministic_algorithms", None)
    if switch is None:
        torch.use_deterministic_algorithms(mode)
    else:
        switch(mode)


class _Deterministic:
    """Seed every RNG, one thread, deterministic algorithms; restore the settings after."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __enter__(self) -> None:
        self.threads = torch.get_num_threads()
        self.deterministic = torch.are_deterministic_algorithms_enabled()
        torch.set_num_threads(1)
        _set_deterministic(True)
        random.seed(self.seed)
        np.random.seed(self.seed % 2**32)
        torch.manual_seed(self.seed)

    def __exit__(self, *exc: Any) -> None:
        _set_deterministic(self.deterministic)
        torch.set_num_threads(self.threads)


# ---------------------------------------------------------------- accumulated gradients

class GradientWatch:
    """Detect optimizer steps taken on gradients that were never reset.

    A global optimizer step hook sees every ``torch.optim`` optimizer the trainer creates.
    For the first ``WATCHED_STEPS`` steps, tensor hooks on the optimized parameters record
    the fresh gradients of each backward pass; at the next step, the ``.grad`` the optimizer
    is about to use should equal their sum.  When it also holds the previous steps'
    gradients (no ``zero_grad()``), the step is counted as stale.  A fresh gradient
    scaled down (gradient clipping) is not counted: its leftover points against it.
    """

    def __init__(self) -> None:
        self.steps = 0
        self.checked = 0
        self.stale = 0
        self.fresh: dict[int, torch.Tensor] = {}
        self.params: dict[int, torch.Tensor] = {}
        self.handles: list = []
        self.global_handle = None

    def __enter__(self) -> "GradientWatch":
        from torch.optim.optimizer import register_optimizer_step_pre_hook
        self.global_handle = register_optimizer_step_pre_hook(self._pre_step)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._unhook()
        if self.global_handle is not None:
            self.global_handle.remove()

    def _unhook(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles.clear()
        self.fresh.clear()

    def _record(self, key: int):
        def hook(grad: torch.Tensor) -> None:
            seen = self.fresh.get(key)
            grad = grad.detach()
            self.fresh[key] = grad.clone() if seen is None else seen + grad
        return hook

    def _pre_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        self.steps += 1
        if self.steps > WATCHED_STEPS:
            if self.handles:
                self._unhook()
            return
        params = [p for group in optimizer.param_groups for p in group["params"]
                  if isinstance(p, torch.Tensor) and p.requires_grad]
        if self.handles and all(id(p) in self.params for p in params):
            self._compare(params)
        self.fresh.clear()
        for p in params:
            if id(p) not in self.params:
                self.params[id(p)] = p
                self.handles.append(p.register_hook(self._record(id(p))))

    def _compare(self, params: list) -> None:
        grads, fresh = [], []
        for p in params:
            if p.grad is None or id(p) not in self.fresh:
                continue
            grads.append(p.grad.detach().reshape(-1).double())
            fresh.append(self.fresh[id(p)].reshape(-1).double())
        if not grads:
            return
        g, f = torch.cat(grads), torch.cat(fresh)
        self.checked += 1
        leftover = g - f
        size = float(g.norm())
        if size == 0.0 or float(leftover.norm()) <= 1e-4 * size:
            return
        cosine = float(torch.dot(leftover, f) / (leftover.norm() * f.norm() + 1e-300))
        if cosine > -0.999:  # not just the fresh gradient scaled down (gradient clipping)
            self.stale += 1

    def report(self) -> dict:
        return {"steps": self.steps, "checked": self.checked, "stale": self.stale}


# ---------------------------------------------------------------- drivers

def _losses(model: Any) -> Any:
    """``model.losses`` as a list of floats, None when absent, a string when unusable."""
    value = model.__dict__.get("losses", None) if isinstance(getattr(model, "__dict__", None), dict) else None
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        value = value.detach().to("cpu").reshape(-1).tolist()
    if type(value) not in (list, tuple) or len(value) > MAX_LOSSES:
        return f"model.losses is a {type(value).__name__}, expected a list of at most {MAX_LOSSES} floats"
    out = []
    for v in value:
        if isinstance(v, torch.Tensor) and v.numel() == 1:
            v = v.item()
        if type(v) not in (int, float) and not isinstance(v, (np.floating, np.integer)):
            return f"model.losses holds a {type(v).__name__}, expected floats"
        out.append(float(v))
    return out


def train_model(worker: Any, *, num_digits: int = 10, seed: int = 0) -> dict:
    """Build, make the data and train with the student's functions; see the module docstring.

    Returns ``{"X", "y", "bit_order", "returned", "is_module", "structure", "state_dict",
    "outputs", "losses", "train_s", "train_cpu_s", "total_s", "gradients"}`` (times in
    seconds: wall clock, and the CPU time of ``train`` for comparing loaded machines).
    """
    module = worker.module
    start = time.perf_counter()
    with _Deterministic(seed):
        model = module.build_model(num_digits)
        data = module.make_training_data(num_digits)
        if type(data) not in (tuple, list) or len(data) != 2:
            raise TypeError(f"make_training_data() returned {type(data).__name__}, expected a tuple (X, y)")
        X, y = data
        with GradientWatch() as watch:
            train_start, cpu_start = time.perf_counter(), time.process_time()
            trained = module.train(model, X, y)
            train_s, train_cpu_s = time.perf_counter() - train_start, time.process_time() - cpu_start
    total_s = time.perf_counter() - start
    result: dict = {
        "X": X.detach().to("cpu").clone() if type(X) is torch.Tensor else None,
        "y": y.detach().to("cpu").clone() if type(y) is torch.Tensor else None,
        "bit_order": _bit_order(module, num_digits),
        "returned": f"{type(trained).__module__}.{type(trained).__qualname__}",
        "is_module": isinstance(trained, torch.nn.Module),
        "train_s": train_s, "train_cpu_s": train_cpu_s, "total_s": total_s, "gradients": watch.report(),
        "structure": None, "state_dict": None, "outputs": None, "losses": None,
    }
    if not isinstance(trained, torch.nn.Module):
        return result
    result["structure"] = describe(trained)
    result["state_dict"] = weights(trained)
    result["losses"] = _losses(trained)
    try:
        result["outputs"] = _outputs(trained, _encode(range(1, 101), num_digits))
    except Exception as exc:  # noqa: BLE001 - reported, the rebuilt network is still graded
        result["outputs"] = f"{type(exc).__name__}: {exc}"[:500]
    return result


def _bit_order(module: Any, num_digits: int) -> str:
    """Which bit order the student's ``binary_encode`` uses: "lsb", "msb" or "unknown"."""
    try:
        bits = [int(b) for b in np.asarray(module.binary_encode(1, num_digits)).reshape(-1).tolist()]
    except Exception:  # noqa: BLE001
        return "unknown"
    one = [1] + [0] * (num_digits - 1)
    return "lsb" if bits == one else "msb" if bits == one[::-1] else "unknown"


def inspect_model(worker: Any, *, num_digits: int, num_hidden: int, inputs: Any, seed: int = 0) -> dict:
    """``build_model(num_digits, num_hidden)``: its structure, weights and its own outputs on
    ``inputs``."""
    with _Deterministic(seed):
        model = worker.module.build_model(num_digits=num_digits, num_hidden=num_hidden)
    result = {"returned": f"{type(model).__module__}.{type(model).__qualname__}",
              "is_module": isinstance(model, torch.nn.Module), "structure": None, "state_dict": None,
              "outputs": None}
    if not result["is_module"]:
        return result
    result["structure"] = describe(model)
    result["state_dict"] = weights(model)
    try:
        result["outputs"] = _outputs(model, inputs)
    except Exception as exc:  # noqa: BLE001 - reported as the check's message
        result["outputs"] = f"{type(exc).__name__}: {exc}"[:500]
    return result


def predict_with(worker: Any, *, state_dict: dict, numbers: list) -> Any:
    """The student's ``predict`` on a grader-built Linear-ReLU-Linear network."""
    w1, w2 = state_dict["0.weight"], state_dict["2.weight"]
    model = torch.nn.Sequential(torch.nn.Linear(w1.shape[1], w1.shape[0]), torch.nn.ReLU(),
                                torch.nn.Linear(w2.shape[1], w2.shape[0]))
    model.load_state_dict(state_dict)
    return worker.module.predict(model, list(numbers))


def call_each(worker: Any, func: str, calls: list) -> list:
    """``[func(*args) for args in calls]`` in one request (exhaustive checks over 1..1023)."""
    target = worker.lookup(func)
    return [target(*args) for args in calls]


__all__ = ["train_model", "inspect_model", "predict_with", "call_each", "describe", "weights", "GradientWatch"]


def diagnose(worker: Any, func: str, args: list, kwargs: dict | None = None) -> dict:
    """Run the trainer ``func(*args)`` again, watching for the two mistakes that spoil a
    training run without raising: optimizer steps on gradients never reset (no
    ``zero_grad()``), and a loss of tensors whose shapes differ (``nn.MSELoss`` of (b, 1)
    outputs against (b,) labels broadcasts to (b, b); torch warns and goes on).  Returns
    ``{"gradients": GradientWatch.report(), "broadcast": torch's warning or None}``."""
    with GradientWatch() as watch, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        worker.lookup(func)(*args, **(kwargs or {}))
    broadcast = next((str(w.message) for w in caught if "target size" in str(w.message)), None)
    return {"gradients": watch.report(), "broadcast": broadcast[:300] if broadcast else None}
