"""Recording a reference's answers, and replaying them in a student release."""
from __future__ import annotations

import numpy as np
import pytest

from autograder.checks.oracle import oracle
from autograder.engine import replay
from autograder.release.record import Recorder


class _Layer:
    def __init__(self, scale):
        self.scale = scale
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        return x * self.scale * self.calls


class _Module:
    __name__ = "fake_solution"

    @staticmethod
    def double(x, out=None):
        if out is not None:
            out[...] = 2 * x
        return 2 * x

    Layer = _Layer


def test_record_and_replay_functions_objects_and_in_place_results():
    recorder = Recorder(_Module(), "exerciseX").bind_check("c")
    x = np.arange(4.0)
    out = np.zeros(4)
    assert np.array_equal(recorder.double(x, out=out), 2 * x)
    layer = recorder.Layer(3.0)
    first, second, scale = layer(x), layer(x), layer.scale
    data = replay.decode(replay.encode(recorder.records()))
    replayer = replay.Replayer(data).bind_check("c")
    out2 = np.zeros(4)
    assert np.array_equal(replayer.double(x, out=out2), 2 * x) and np.array_equal(out2, 2 * x)
    again = replayer.Layer(3.0)
    assert np.array_equal(again(x), first) and np.array_equal(again(x), second) and again.scale == scale
    with pytest.raises(replay.NotRecorded, match="public seed"):
        replayer.double(x + 1)
    # a last-bit difference in an argument (another BLAS) still finds the recorded call
    assert np.array_equal(replayer.double(np.nextafter(x, 10), out=np.zeros(4)), 2 * x)


def test_unrecordable_argument_is_refused():
    recorder = Recorder(_Module(), "exerciseX").bind_check("c")
    with pytest.raises(replay.RecordError, match="not plain data"):
        recorder.double(object())


def test_oracle_runs_in_the_kit_and_replays_in_a_release():
    calls = []

    @oracle
    def expected(reference, x):
        calls.append(x)
        layer = reference.Layer(2.0)  # a real object, used freely inside the oracle
        return {"first": layer(x), "second": layer(x)}

    module = _Module()
    x = np.arange(3.0)
    kit = expected(module, x)  # the kit: a plain call on the real module
    recorder = Recorder(module, "exerciseX").bind_check("c")
    assert all(np.array_equal(kit[k], v) for k, v in expected(recorder, x).items())
    replayer = replay.Replayer(replay.decode(replay.encode(recorder.records()))).bind_check("c")
    before = len(calls)
    got = expected(replayer, x)
    assert len(calls) == before  # replayed: the helper's body did not run
    assert all(np.array_equal(kit[k], v) for k, v in got.items())
    with pytest.raises(replay.NotRecorded, match="expected"):
        expected(replayer, x + 1)
