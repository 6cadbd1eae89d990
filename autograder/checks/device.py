"""Device consistency checks: the parent half of ``autograder.worker.drivers.device``.

Outputs must stay on the input's device.  The worker runs the student's function on the CPU and
then with its inputs on an accelerator when torch sees one (``cuda``, ``mps``), else on a
fake device (``autograder.worker.drivers.posing``: CPU tensors that pose as ``meta`` ones, with
every op checked for mixed devices).  Here the reply becomes a verdict, with the same
points either way, and the method used is reported through the check's ``note``
(``details["device_check"]``: ``"cuda"``, ``"mps"`` or ``"fake"``).

* real accelerator: the output must be on that device and match the student's own CPU
  output (a wrong value is the value checks' business, not this one's);
* fake device: the output must be on the fake device, and no op may have mixed a tensor
  the code created on the CPU with the inputs.  A run the fake device cannot follow
  (``.numpy()``, ``.tolist()``: they need a real CPU tensor) is *inconclusive*: it passes,
  and the note says so.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

from autograder.checks.compare import compare
from autograder.checks.forbidden import CONV_POOL, Rules, guard_static, runtime_failure
from autograder.checks.verdict import CheckFailed
from autograder.worker.wire import TensorValue

DEVICE_HINT = ("create every new tensor on the input's device and with its dtype: X.new_zeros(shape), "
               "torch.zeros(shape, device=X.device, dtype=X.dtype) or torch.zeros_like(...); a bare "
               "torch.zeros(...) / torch.tensor(...) lives on the CPU, and in a module keep state in "
               "nn.Parameter or register_buffer so that .to(device) moves it")
METHODS = {"fake": "fake device (no GPU here: CPU tensors posing as another device)", "cuda": "CUDA GPU",
           "mps": "Apple MPS GPU"}


def check_device(student: Any, func: str | None, args: list, kwargs: dict | None = None, *, name: str,
                 note: Callable, cls: str | None = None, init: list | tuple = (), state: dict | None = None,
                 rules: Rules = CONV_POOL, rtol: float = 1e-5, atol: float = 1e-5) -> str:
    """Run one device check; raise ``CheckFailed`` on a device bug.  Returns the method.

    ``note`` gets only what must be said about this one run (an inconclusive fake run);
    ``note_method`` says once per check which method was used."""
    guard_static(student, rules, [cls or func])
    reply = student.drive("device:run", func, list(args), kwargs or {}, cls=cls, init=list(init), state=state)
    if type(reply) is not dict or reply.get("method") not in METHODS or type(reply.get("forbidden")) is not list:
        raise CheckFailed(f"{name}: malformed reply from the worker")
    if reply["forbidden"]:
        raise runtime_failure(rules, cls or func, reply["forbidden"], student.display)
    method = reply["method"]
    note(device_check=method)  # in the report's details even when the check fails
    if method == "fake":
        _judge_fake(reply, name=name, note=note)
    else:
        _judge_real(reply, name=name, rtol=rtol, atol=atol)
    return method


def note_method(note: Callable, method: str) -> None:
    """Say which method the check used: in its output and as ``details["device_check"]``."""
    note(f"device check: {METHODS.get(method, method)}", device_check=method)


def _judge_fake(reply: dict, *, name: str, note: Callable) -> None:
    where = f"\n  at {reply['where']}" if isinstance(reply.get("where"), str) else ""
    status = reply.get("status")
    if status == "mismatch":
        raise CheckFailed(f"{name}: with its inputs on a {METHODS['fake']}, your code mixed them "
                          f"with a tensor it created on the CPU ({reply.get('message', '')}){where}", DEVICE_HINT)
    if status == "inconclusive":
        note(f"device check ({name}) inconclusive on the fake device, not counted against you: "
             f"{str(reply.get('message', ''))[:300]}{where}", device_check_inconclusive=True)
        return
    result = reply.get("result")
    if type(result) is not dict or "device" not in result:
        note(f"device check ({name}): the result is not a tensor; nothing to check", device_check_inconclusive=True)
        return
    if result["device"] != reply.get("device"):
        raise CheckFailed(f"{name}: with its inputs on a {METHODS['fake']}, it returned a tensor "
                          f"on {result['device']} (the output must stay on the input's device)", DEVICE_HINT)


def _judge_real(reply: dict, *, name: str, rtol: float, atol: float) -> None:
    result, cpu = reply.get("result"), reply.get("cpu_result")
    device = str(reply.get("device"))
    if reply.get("status") == "mismatch":
        where = f"\n  at {reply['where']}" if isinstance(reply.get("where"), str) else ""
        raise CheckFailed(f"{name}: with its inputs on {device}, your code mixed them with a tensor it created "
                          f"on the CPU ({reply.get('message', '')}){where}", DEVICE_HINT)
    if not isinstance(result, TensorValue) or not isinstance(cpu, TensorValue) or cpu.data is None:
        return  # not tensors: the value checks say what is wrong
    if result.device != device:
        raise CheckFailed(f"{name}: with its inputs on {device}, it returned a tensor on {result.device} "
                          "(the output must stay on the input's device)", DEVICE_HINT)
    verdict = compare(dataclasses.replace(result, device=cpu.device), cpu.data, name=f"{name} on {device} vs the CPU",
                      rtol=rtol, atol=atol)
    if not verdict.ok:
        raise CheckFailed(f"{verdict.message}: the results on {device} and on the CPU must agree",
                          "avoid code whose result depends on the device (uninitialised memory from "
                          "torch.empty, or CPU-only state)")
