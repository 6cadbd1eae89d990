"""``@oracle``: suite helpers whose expected values a student release can replay.

``autograder.engine.replay`` (replaying, in a release) and ``autograder.release.record``
(recording, when a release is built) implement the ``_oracle`` hook this decorator calls;
on a real solution module the helper simply runs.
"""
from __future__ import annotations

import functools
from typing import Any


def oracle(func: Any) -> Any:
    """Mark a suite helper ``func(reference, *args, **kwargs)`` that computes expected values
    from the reference solution with plain data in and out (numbers, strings, containers,
    arrays, tensors without autograd history).

    Inside, the helper may use the reference freely: build its modules, put them in an
    ``nn.Sequential``, backpropagate through them.  In the kit it simply runs; at release time
    its result is recorded (the helper receives the real solution module); in a student release
    the result is replayed and the helper's body never runs.  This is how checks whose oracle
    is a reference *object* become releasable::

        @oracle
        def mylinear_expected(reference, state, X, upstream):
            ref = reference_with(reference.MyLinear(*state["weight"].shape), state)
            out = ref(X)
            weighted_sum(out, upstream).backward()
            return out.detach(), {"weight": ref.weight.grad, "bias": ref.bias.grad}
    """
    @functools.wraps(func)
    def wrapper(reference: Any, *args: Any, **kwargs: Any) -> Any:
        hook = getattr(type(reference), "_oracle", None)  # Recorder / Replayer; never a module
        if hook is None:
            return func(reference, *args, **kwargs)
        return hook(reference, func, args, kwargs)
    return wrapper


def oracle_path(func: Any) -> str:
    return f"oracle:{func.__qualname__}"
