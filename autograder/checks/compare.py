"""Pure comparisons of what a student's code returned with what it should have returned.

``compare(got, expected, name=...)`` checks, in this order, type, length (for tuples),
shape, dtype, device and values, and stops at the first difference so that the message
names the real problem: a transposed gradient is reported as a shape error, not as 6,400
wrong numbers.  Value messages give the mismatch count, the worst element, its index and
the tolerance used.  ``expect`` adds the hint of a known wrong implementation when the
student's output matches that implementation's output.
"""
from __future__ import annotations

import dataclasses
import math
import sys
from typing import Any, Callable, Iterable

import numpy as np

from autograder.checks.verdict import CheckFailed, Outcome, Verdict
from autograder.i18n import _
from autograder.worker.wire import Foreign, TensorValue

# (rtol, atol) per dtype, as torch.testing.assert_close uses them.
TOLERANCES = {
    "float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7),
}


@dataclasses.dataclass(frozen=True)
class Mistake:
    """A known wrong implementation, recognised by the output it produces."""

    hint: str
    output: Any


def expect(got: Any, expected: Any, *, name: str, rtol: float | None = None, atol: float | None = None,
           mistakes: Iterable[Mistake] = (), hint: str | None = None) -> None:
    """Raise ``CheckFailed`` unless ``got`` matches ``expected``; name a matching mistake."""
    verdict = compare(got, expected, name=name, rtol=rtol, atol=atol)
    if not verdict.ok:
        raise CheckFailed(verdict.message, known_mistake(got, mistakes, rtol=rtol, atol=atol) or verdict.hint or hint)


def known_mistake(got: Any, mistakes: Iterable[Mistake], *, rtol: float | None = None,
                  atol: float | None = None) -> str | None:
    """The hint of the first known wrong implementation whose output ``got`` matches."""
    for mistake in mistakes:
        if compare(got, mistake.output, name="", rtol=rtol, atol=atol).ok:
            return mistake.hint
    return None


def describe_type(value: Any) -> str:
    if isinstance(value, Foreign):
        return str(value)
    if isinstance(value, TensorValue):
        return "torch.Tensor"
    t = type(value)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def compare(got: Any, expected: Any, *, name: str, rtol: float | None = None,
            atol: float | None = None) -> Verdict:
    if isinstance(got, Foreign):
        return Verdict.failed(_("{name}: returned {got}, expected {expected}; return a plain {expected}",
                                name=name, got=got, expected=_expected_type(expected)))
    if isinstance(expected, (tuple, list)):
        return _compare_sequence(got, expected, name=name, rtol=rtol, atol=atol)
    if isinstance(expected, dict):
        return _compare_dict(got, expected, name=name, rtol=rtol, atol=atol)
    if _is_tensor(expected):
        return _compare_tensor(got, expected, name=name, rtol=rtol, atol=atol)
    if isinstance(expected, np.ndarray):
        if type(got) is not np.ndarray:
            return _type_error(got, "numpy.ndarray", name)
        return _compare_arrays(got, expected, name=name, rtol=rtol, atol=atol)
    if isinstance(expected, (bool, str)) or expected is None:
        if got == expected and type(got) is type(expected):
            return Verdict.passed()
        return Verdict.failed(_("{name}: got {got!r}, expected {expected!r}", name=name, got=got,
                                expected=expected))
    if isinstance(expected, (int, float, np.number)):
        return _compare_scalar(got, expected, name=name, rtol=rtol, atol=atol)
    raise TypeError(f"compare() cannot use an expected value of type {type(expected).__name__} ({name})")


def _expected_type(expected: Any) -> str:
    if _is_tensor(expected):
        return "torch.Tensor"
    if isinstance(expected, np.ndarray):
        return "numpy.ndarray"
    if isinstance(expected, (float, np.floating)):
        return "float"
    return type(expected).__name__


def _type_error(got: Any, wanted: str, name: str) -> Verdict:
    return Verdict.failed(_("{name}: returned {got}, expected {wanted}", name=name, got=describe_type(got),
                            wanted=wanted))


def _is_tensor(value: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def _compare_sequence(got, expected, *, name, rtol, atol) -> Verdict:
    if not isinstance(got, (tuple, list)):
        return _type_error(got, _("a {kind} of {n} values", kind=type(expected).__name__, n=len(expected)), name)
    if len(got) != len(expected):
        return Verdict.failed(_("{name}: returned {got} values, expected {expected}", name=name, got=len(got),
                                expected=len(expected)))
    for i, (g, e) in enumerate(zip(got, expected)):
        verdict = compare(g, e, name=f"{name}[{i}]", rtol=rtol, atol=atol)
        if not verdict.ok:
            return verdict
    return Verdict.passed()


def _compare_dict(got, expected, *, name, rtol, atol) -> Verdict:
    if not isinstance(got, dict):
        return _type_error(got, "dict", name)
    if set(got) != set(expected):
        missing, extra = sorted(map(str, set(expected) - set(got))), sorted(map(str, set(got) - set(expected)))
        return Verdict.failed(_("{name}: keys differ; missing {missing}, unexpected {extra}", name=name,
                                missing=missing, extra=extra))
    for key in expected:
        verdict = compare(got[key], expected[key], name=f"{name}[{key!r}]", rtol=rtol, atol=atol)
        if not verdict.ok:
            return verdict
    return Verdict.passed()


def _compare_scalar(got, expected, *, name, rtol, atol) -> Verdict:
    if isinstance(got, np.ndarray) and got.ndim == 0:
        got = got[()]
    if isinstance(got, TensorValue) and got.shape == () and got.data is not None:
        got = got.data.item()
    if isinstance(got, bool) or not isinstance(got, (int, float, np.number)):
        return _type_error(got, "a number", name)
    dtype = "float64" if isinstance(expected, (float, np.floating)) else "int64"
    return _compare_arrays(np.asarray(got, dtype=np.float64 if dtype == "float64" else None),
                           np.asarray(expected), name=name, rtol=rtol, atol=atol, check_dtype=False)


def _compare_tensor(got, expected, *, name, rtol, atol) -> Verdict:
    if not isinstance(got, TensorValue):
        return _type_error(got, "torch.Tensor", name)
    want_dtype = str(expected.dtype).removeprefix("torch.")
    if tuple(got.shape) != tuple(expected.shape):
        return Verdict.failed(_("{name}: shape {shape}, expected {shape2}", name=name, shape=_shape(got.shape),
                                shape2=_shape(expected.shape)))
    if got.dtype != want_dtype:
        return Verdict.failed(_("{name}: dtype torch.{dtype}, expected torch.{want_dtype} (the output should "
                                "keep the input's dtype)", name=name, dtype=got.dtype, want_dtype=want_dtype))
    if got.device != str(expected.device):
        return Verdict.failed(_("{name}: on device {device}, expected {device2} (the output should stay on "
                                "the input's device)", name=name, device=got.device, device2=expected.device))
    if got.data is None:
        return Verdict.passed()  # a data-less (fake/meta) result: shape, dtype, device were all it had
    as_np = _tensor_numpy
    return _compare_arrays(as_np(got.data), as_np(expected), name=name, rtol=rtol, atol=atol,
                           dtype_name=want_dtype)


def _tensor_numpy(tensor) -> np.ndarray:
    import torch
    tensor = tensor.detach().to("cpu")
    if tensor.dtype == torch.bfloat16:
        tensor = tensor.to(torch.float32)
    return tensor.resolve_conj().numpy()


def _shape(shape) -> str:
    return str(tuple(int(d) for d in shape))


def _compare_arrays(got: np.ndarray, expected: np.ndarray, *, name: str, rtol: float | None,
                    atol: float | None, check_dtype: bool = True, dtype_name: str | None = None) -> Verdict:
    if got.shape != expected.shape:
        return Verdict.failed(_("{name}: shape {shape}, expected {shape2}", name=name, shape=_shape(got.shape),
                                shape2=_shape(expected.shape)))
    if check_dtype and dtype_name is None and got.dtype != expected.dtype:
        return Verdict.failed(_("{name}: dtype {dtype}, expected {dtype2}", name=name, dtype=got.dtype,
                                dtype2=expected.dtype))
    dtype_name = dtype_name or str(expected.dtype)
    default_rtol, default_atol = TOLERANCES.get(dtype_name, (0.0, 0.0))
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    if expected.dtype.kind in "biu" and got.dtype.kind in "biu" and rtol == 0 and atol == 0:
        bad = got != expected
        diff = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    else:
        g, e = got.astype(np.complex128 if got.dtype.kind == "c" else np.float64), \
            expected.astype(np.complex128 if expected.dtype.kind == "c" else np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(g - e)
            bad = ~(diff <= atol + rtol * np.abs(e))
        both_nan = np.isnan(g) & np.isnan(e)
        same_inf = np.isinf(g) & np.isinf(e) & (g == e)
        bad &= ~(both_nan | same_inf)
        diff = np.where(np.isnan(diff), np.inf, diff)
    count = int(np.count_nonzero(bad))
    if count == 0:
        return Verdict.passed()
    masked = np.where(bad, diff, -1.0)
    flat = int(np.argmax(masked))
    index = np.unravel_index(flat, got.shape) if got.ndim else ()
    g_val, e_val = got[index] if got.ndim else got[()], expected[index] if expected.ndim else expected[()]
    rel = float(diff.flat[flat]) / abs(complex(e_val)) if abs(complex(e_val)) > 0 else math.inf
    size = got.size
    index = list(map(int, index)) if got.ndim else None
    if size > 1:
        counted = (_("{count} of {size} elements differ ({percent:.3g}%); worst at index {index}", count=count,
                     size=size, percent=100.0 * count / size, index=index) if index is not None else
                   _("{count} of {size} elements differ ({percent:.3g}%)", count=count, size=size,
                     percent=100.0 * count / size))
    else:
        counted = _("value at index {index} differs", index=index) if index is not None else _("value differs")
    return Verdict.failed(
        _("{name}: {counted}: got {g_val}, expected {e_val} (abs diff {value}, rel diff {rel}; tolerance "
          "rtol={rtol:g}, atol={atol:g})", name=name, counted=counted, g_val=_fmt(g_val), e_val=_fmt(e_val),
          value=_fmt(diff.flat[flat]), rel=_fmt(rel), rtol=rtol, atol=atol))


def _fmt(value: Any) -> str:
    value = complex(value) if np.iscomplexobj(value) else float(value)
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def expect_unchanged(after: list, before: list, *, names: list[str], func: str) -> None:
    """Raise ``CheckFailed`` if a call changed any of its arguments (compared exactly)."""
    for name, a, b in zip(names, after, before):
        verdict = compare(a, b, name=name, rtol=0.0, atol=0.0)
        if not verdict.ok:
            raise CheckFailed(_("{func}() modified its argument {name!r} in place: {message}", func=func,
                                name=name, message=verdict.message),
                              _("work on copies (e.g. `h = h.copy()` before `h[mask] = 0`) or write new "
                                "arrays; {func}() must leave its inputs as they were", func=func))


def expect_inputs_unchanged(args_after: Callable[..., list], func: str, args: tuple, *, names: list[str],
                            kwargs: dict | None = None) -> None:
    """Call ``func(*args, **kwargs)`` through ``args_after`` (``student.args_after`` or a
    ``Guarded``'s), which returns the arguments as they were after the call, and fail if it
    changed any of the arguments ``names`` names (the first ``len(names)``)."""
    before = [a.clone() if hasattr(a, "clone") else a.copy() if hasattr(a, "copy") else a for a in args]
    expect_unchanged(args_after(func, *args, **(kwargs or {})), before, names=names, func=func)


DTYPE_HINT = _("create the output with the input's dtype and device: X.new_zeros(shape) or "
               "torch.zeros(shape, dtype=X.dtype, device=X.device); a bare torch.zeros(shape) is float32 "
               "on the CPU")


def expect_dtype(got: Any, dtype: str, *, name: str) -> None:
    """``got`` must be a tensor of ``dtype`` (``"float64"``): only the dtype is judged."""
    if not isinstance(got, TensorValue):
        raise CheckFailed(_("{name}: returned {got}, expected a torch.Tensor", name=name, got=describe_type(got)))
    if got.dtype != dtype:
        raise CheckFailed(_("{name}: returned dtype torch.{dtype}, expected torch.{dtype2} (the output "
                            "must keep the input's dtype)", name=name, dtype=got.dtype, dtype2=dtype))


def expect_cases(cases: Iterable[tuple], run: Callable, *, square_first_hint: str | None = None) -> None:
    """Run ``(name, args, kwargs, expected, mistakes, square)`` cases in order, square windows
    first; when the square cases pass and a non-square one fails without a recognised
    mistake, its hint is ``square_first_hint`` (rows and columns swapped)."""
    square_ok = True
    for name, args, kwargs, expected, mistakes, square in cases:
        try:
            expect(run(*args, **kwargs), expected, name=name, mistakes=mistakes)
        except Outcome as exc:
            if square_first_hint and square_ok and not square and exc.hint is None \
                    and exc.status in ("failed", "error"):
                exc.hint = square_first_hint
            raise
        square_ok = square_ok and square


def to_numbers(values: Any, *, name: str) -> np.ndarray:
    """A float64 array from a sequence of numbers (Python, numpy or 0-d tensors), or
    ``CheckFailed`` naming the first element that is not a number."""
    if not isinstance(values, (list, tuple, np.ndarray)):
        raise CheckFailed(_("{name}: returned {values}, expected a list of numbers", name=name,
                            values=describe_type(values)))
    out = []
    for i, v in enumerate(values):
        if isinstance(v, TensorValue) and v.shape == () and v.data is not None:
            v = v.data.item()
        if isinstance(v, np.ndarray) and v.ndim == 0:
            v = v[()]
        if isinstance(v, bool) or not isinstance(v, (int, float, np.number)):
            raise CheckFailed(_("{name}[{i}] is {v}, expected a number", name=name, i=i, v=describe_type(v)))
        out.append(float(v))
    return np.asarray(out, dtype=np.float64)
