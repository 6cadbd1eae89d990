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
from autograder.i18n import _
from autograder.worker.wire import TensorValue

DEVICE_HINT = _("create every new tensor on the input's device and with its dtype: X.new_zeros(shape), "
                "torch.zeros(shape, device=X.device, dtype=X.dtype) or torch.zeros_like(...); a bare "
                "torch.zeros(...) / torch.tensor(...) lives on the CPU, and in a module keep state in "
                "nn.Parameter or register_buffer so that .to(device) moves it")
METHODS = {"fake": _("fake device (no GPU here: CPU tensors posing as another device)"), "cuda": _("CUDA GPU"),
           "mps": _("Apple MPS GPU")}


def check_device(student: Any, func: str | None, args: list, kwargs: dict | None = None, *, name: str,
                 note: Callable, cls: str | None = None, init: list | tuple = (), state: dict | None = None,
                 rules: Rules = CONV_POOL, rtol: float = 1e-5, atol: float = 1e-5, random: bool = False) -> str:
    """Run one device check; raise ``CheckFailed`` on a device bug.  Returns the method.

    ``note`` gets only what must be said about this one run (an inconclusive fake run);
    ``note_method`` says once per check which method was used.  ``random``: the function
    draws random numbers (dropout, noise), so on a real accelerator only the device of its
    results is checked, not their values (the CPU and CUDA generators differ)."""
    guard_static(student, rules, [cls or func])
    reply = student.drive("device:run", func, list(args), kwargs or {}, cls=cls, init=list(init), state=state)
    if type(reply) is not dict or reply.get("method") not in METHODS or type(reply.get("forbidden")) is not list:
        raise CheckFailed(_("{name}: malformed reply from the worker", name=name))
    if reply["forbidden"]:
        raise runtime_failure(rules, cls or func, reply["forbidden"], student.display)
    method = reply["method"]
    note(device_check=method)  # in the report's details even when the check fails
    if method == "fake":
        _judge_fake(reply, name=name, note=note)
    else:
        _judge_real(reply, name=name, rtol=rtol, atol=atol, values=not random)
    return method


def note_method(note: Callable, method: str) -> None:
    """Say which method the check used: in its output and as ``details["device_check"]``."""
    note(_("device check: {method}", method=METHODS.get(method, method)), device_check=method)


def _judge_fake(reply: dict, *, name: str, note: Callable) -> None:
    where = _location(reply)
    status = reply.get("status")
    if status == "mismatch":
        raise CheckFailed(_("{name}: with its inputs on a {method}, your code mixed them with a tensor it "
                            "created on the CPU ({get}){where}", name=name, method=METHODS['fake'],
                            get=reply.get('message', ''), where=where), DEVICE_HINT)
    if status == "inconclusive":
        note(_("device check ({name}) inconclusive on the fake device, not counted against you: {value}{where}",
               name=name, value=str(reply.get('message', ''))[:300], where=where), device_check_inconclusive=True)
        return
    results = _items(reply.get("result"))
    tensors = [(i, r) for i, r in results if type(r) is dict and "device" in r]
    if not tensors:
        note(_("device check ({name}): the result is not a tensor; nothing to check", name=name),
             device_check_inconclusive=True)
        return
    for i, result in tensors:
        if result["device"] != reply.get("device"):
            raise CheckFailed(_("{name}: with its inputs on a {method}, it returned {i}on {result} (the output "
                                "must stay on the input's device)", name=name, method=METHODS['fake'],
                                i=_which(i, results), result=result['device']), DEVICE_HINT)


def _items(result: Any) -> list[tuple[int | None, Any]]:
    """The results of one call, numbered when there are several (a tuple such as (X, y))."""
    if type(result) is dict and type(result.get("items")) is list:
        return list(enumerate(result["items"]))
    if type(result) in (list, tuple):
        return list(enumerate(result))
    return [(None, result)]


def _which(i: int | None, results: list) -> str:
    return _("a tensor ") if i is None else _("a tensor as result {i} of {n} ", i=i, n=len(results))


def _location(reply: dict) -> str:
    return _("\n  at {where}", where=reply["where"]) if isinstance(reply.get("where"), str) else ""


def _judge_real(reply: dict, *, name: str, rtol: float, atol: float, values: bool = True) -> None:
    device = str(reply.get("device"))
    if reply.get("status") == "mismatch":
        where = _location(reply)
        raise CheckFailed(_("{name}: with its inputs on {device}, your code mixed them with a tensor it "
                            "created on the CPU ({get}){where}", name=name, device=device,
                            get=reply.get('message', ''), where=where), DEVICE_HINT)
    results, cpus = _items(reply.get("result")), dict(_items(reply.get("cpu_result")))
    for i, result in results:
        cpu = cpus.get(i)
        if not isinstance(result, TensorValue) or not isinstance(cpu, TensorValue) or cpu.data is None:
            continue  # not tensors: the value checks say what is wrong
        if result.device != device:
            raise CheckFailed(_("{name}: with its inputs on {device}, it returned {i}on {device2} (the output "
                                "must stay on the input's device)", name=name, device=device,
                                i=_which(i, results), device2=result.device), DEVICE_HINT)
        if values:
            _same_values(result, cpu, name=name, device=device, rtol=rtol, atol=atol)


def _same_values(result: TensorValue, cpu: TensorValue, *, name: str, device: str, rtol: float, atol: float) -> None:
    verdict = compare(dataclasses.replace(result, device=cpu.device), cpu.data,
                      name=_("{name} on {device} vs the CPU", name=name, device=device),
                      rtol=rtol, atol=atol)
    if not verdict.ok:
        raise CheckFailed(_("{message}: the results on {device} and on the CPU must agree",
                            message=verdict.message, device=device),
                          _("avoid code whose result depends on the device (uninitialised memory from "
                            "torch.empty, or CPU-only state)"))


def with_cuda_count(student: Any, func: str, args: list, count: int) -> Any:
    """``func(*args)`` in the worker while torch reports ``count`` CUDA devices, so that a device
    helper's accelerator branch is graded on a CPU-only grader too (and its CPU branch on a
    GPU one).  Returns the plain result."""
    return student.drive("device:faked_cuda", func, list(args), count)
