"""Comparisons report type, then shape, dtype, device, values — with the worst element."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from autograder.checks.compare import Mistake, compare, expect, to_numbers
from autograder.checks.verdict import CheckFailed
from autograder.worker.wire import Foreign, TensorValue


def tv(t: torch.Tensor, device: str = "cpu") -> TensorValue:
    return TensorValue(t, str(t.dtype).removeprefix("torch."), tuple(t.shape), device, False, None)


def test_order_type_shape_dtype_values():
    want = np.zeros((2, 3))
    assert "returned list, expected numpy.ndarray" in compare([0.0], want, name="f()").message
    assert "shape (3, 2), expected (2, 3)" in compare(np.zeros((3, 2)), want, name="f()").message
    assert "dtype float32, expected float64" in compare(np.zeros((2, 3), np.float32), want, name="f()").message
    got = want.copy()
    got[1, 2] = 5.0
    got[0, 0] = 1e-3
    message = compare(got, want, name="f()").message
    assert "2 of 6 elements differ" in message and "worst at index [1, 2]" in message and "got 5" in message
    assert "rtol=1e-07" in message
    assert compare(want + 1e-12, want, name="f()").ok


def test_tensors_check_device_and_dtype():
    want = torch.zeros(2)
    assert compare(tv(torch.zeros(2)), want, name="g()").ok
    assert "dtype torch.float64, expected torch.float32" in compare(tv(torch.zeros(2, dtype=torch.float64)), want,
                                                                    name="g()").message
    assert "on device cuda:0, expected cpu" in compare(tv(torch.zeros(2), "cuda:0"), want, name="g()").message
    assert "returned numpy.ndarray" in compare(np.zeros(2), want, name="g()").message


def test_foreign_values_never_compare_equal():
    verdict = compare(Foreign("m.Sneaky", "...", "numpy.ndarray"), np.zeros(2), name="h()")
    assert not verdict.ok and "subclass of numpy.ndarray" in verdict.message


def test_nan_where_a_number_is_expected_fails():
    assert not compare(np.array([np.nan, 1.0]), np.array([0.0, 1.0]), name="f()").ok
    assert compare(np.array([np.nan, np.inf]), np.array([np.nan, np.inf]), name="f()").ok


def test_sequences_name_the_failing_element():
    verdict = compare((np.zeros(2), np.ones(2)), (np.zeros(2), np.zeros(2)), name="f()")
    assert verdict.message.startswith("f()[1]:")
    assert "returned 1 values, expected 2" in compare((np.zeros(2),), (1.0, 2.0), name="f()").message


def test_expect_names_the_known_mistake():
    with pytest.raises(CheckFailed) as info:
        expect(2.0, 1.0, name="loss()", mistakes=[Mistake("you doubled it", 2.0)], hint="generic")
    assert info.value.hint == "you doubled it"
    with pytest.raises(CheckFailed) as info:
        expect(3.0, 1.0, name="loss()", mistakes=[Mistake("you doubled it", 2.0)], hint="generic")
    assert info.value.hint == "generic"


def test_to_numbers_rejects_non_numbers():
    assert to_numbers([1, np.float64(2.0), tv(torch.tensor(3.0))], name="losses").tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(CheckFailed, match=r"losses\[1\] is str"):
        to_numbers([1.0, "2"], name="losses")
