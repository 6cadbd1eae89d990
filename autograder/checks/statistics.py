"""Statistical checks: a statistic must lie within ``SIGMA`` standard deviations of its
expected value under the specified distribution.

A correct implementation fails one such test with probability about 2.0e-9 (two-sided 6σ,
normal approximation), so a suite that runs a dozen of them has a designed false-fail
probability near 3e-8 per run.  The worker seeds every request with the check's seed, so
each verdict is also deterministic given the seed.
"""
from __future__ import annotations

from autograder.checks.verdict import CheckFailed
from autograder.i18n import _

SIGMA = 6.0  # acceptance band of every statistical test, in standard deviations


def within(value: float, expected: float, sd: float, what: str, hint: str | None = None) -> None:
    """Fail unless ``value`` is within ``SIGMA * sd`` of ``expected``; ``what`` names the statistic."""
    if not abs(value - expected) <= SIGMA * sd:
        raise CheckFailed(_("{what} is {value:.6g}, expected {expected:.6g} ± {value2:.2g} ({SIGMA:g} standard "
                            "deviations)", what=what, value=value, expected=expected, value2=SIGMA * sd,
                            SIGMA=SIGMA), hint)
