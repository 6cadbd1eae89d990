"""Check analytic gradients against central finite differences, in float64.

Two complementary probes (figures measured on the two-layer net 1000×100×10, float64):

* directional: for ``k`` random unit directions ``v`` per parameter, compare
  ``(f(p + eps v) - f(p - eps v)) / 2 eps`` with ``<grad, v>``.  This covers every element
  at once; correct code stays below 3.5e-6 relative error, every realistic bug above 1.9e-2,
  so the threshold is 1e-4.
* coordinates: a few random entries, each perturbed alone, which *points at a location*
  ("grad_w1[12, 5]: numerical 0.12, yours 0.0").  Threshold 1e-3.

Full finite differences over every coordinate would take minutes; never do that.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from autograder.checks.verdict import Verdict
from autograder.i18n import _

DIRECTION_RTOL = 1e-4
COORDINATE_RTOL = 1e-3


def _relative_error(numerical: float, analytic: float, scale: float) -> float:
    return abs(numerical - analytic) / max(abs(numerical), abs(analytic), 1e-8 * scale, 1e-300)


def check_gradient(f: Callable[[list], float], params: Sequence[np.ndarray], grads: Sequence[np.ndarray], *,
                   names: Sequence[str], rng: np.random.Generator, eps: float = 1e-5, directions: int = 3,
                   coordinates: int = 5, what: str = _("gradient")) -> Verdict:
    """Compare ``grads`` (the student's) with finite differences of ``f`` at ``params``.

    ``f`` takes a list of float64 arrays shaped like ``params`` and returns a float; it must
    be a trusted function (the reference loss), never student code.
    """
    params = [np.asarray(p, dtype=np.float64) for p in params]
    for name, p, g in zip(names, params, grads):
        if not isinstance(g, np.ndarray):
            return Verdict.failed(_("{name}: expected a numpy array, got {name2}", name=name,
                                    name2=type(g).__name__))
        if g.shape != p.shape:
            return Verdict.failed(_("{name}: shape {shape}, expected {shape2} (the parameter's shape)",
                                    name=name, shape=g.shape, shape2=p.shape))
    grads = [np.asarray(g, dtype=np.float64) for g in grads]
    scale = max(1.0, *(float(np.abs(g).max(initial=0.0)) for g in grads))

    def shifted(i: int, delta: np.ndarray) -> float:
        plus = [p if j != i else p + delta for j, p in enumerate(params)]
        minus = [p if j != i else p - delta for j, p in enumerate(params)]
        return (float(f(plus)) - float(f(minus))) / (2 * eps)

    for i, (name, p, g) in enumerate(zip(names, params, grads)):
        # Every probe is drawn before any is judged, in the same order whatever the student's
        # gradient, so the reference is asked the same questions for every submission (a
        # release or platform package answers from values recorded on the reference).
        along = []
        for _direction in range(directions):
            v = rng.standard_normal(p.shape)
            along.append(v / (np.linalg.norm(v) or 1.0))
        coords = rng.choice(p.size, size=min(coordinates, p.size), replace=False) if p.size else ()
        for v in along:
            numerical, analytic = shifted(i, eps * v), float(np.sum(g * v))
            err = _relative_error(numerical, analytic, scale)
            if err > DIRECTION_RTOL:
                located = _locate(shifted, i, name, p, g, coords, scale, eps)
                values = dict(name=name, what=what, numerical=numerical, analytic=analytic, err=err,
                              limit=DIRECTION_RTOL, located=located)
                return Verdict.failed(
                    _("{name}: the {what} disagrees with finite differences along a random direction "
                      "(numerical {numerical:.6g}, yours {analytic:.6g}, relative error {err:.2g} > "
                      "{limit:g}); {located}", **values)
                    if located else
                    _("{name}: the {what} disagrees with finite differences along a random direction (numerical "
                      "{numerical:.6g}, yours {analytic:.6g}, relative error {err:.2g} > {limit:g})", **values))
        located = _locate(shifted, i, name, p, g, coords, scale, eps)
        if located:
            return Verdict.failed(_("{name}: {located}", name=name, located=located))
    return Verdict.passed()


def _locate(shifted, i, name, p, g, coords, scale, eps) -> str | None:
    """Probe the coordinates ``coords`` (flat indices); describe the first that disagrees."""
    for flat in coords:
        index = np.unravel_index(int(flat), p.shape)
        delta = np.zeros_like(p)
        delta[index] = eps
        numerical, analytic = shifted(i, delta), float(g[index])
        err = _relative_error(numerical, analytic, scale)
        if err > COORDINATE_RTOL:
            at = ", ".join(str(int(k)) for k in index)
            return _("for example {name}[{at}]: finite differences give {numerical:.6g}, yours is "
                     "{analytic:.6g} (relative error {err:.2g})", name=name, at=at, numerical=numerical,
                     analytic=analytic, err=err)
    return None
