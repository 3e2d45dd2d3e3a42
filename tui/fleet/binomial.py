"""The lower tail of the binomial distribution, exact enough for millions of trials, in pure Python
(the click signal's one-sided test; no SciPy in the dependencies)."""

from __future__ import annotations

import math


def binomial_cdf(successes: int, trials: int, probability: float) -> float:
    """P(X ≤ `successes`) for X ~ Binomial(`trials`, `probability`), summing the tail away from
    the mean in log space (each term is smaller than the last, so the sum stops early)."""
    if successes < 0:
        return 0.0
    if successes >= trials or probability <= 0.0:
        return 1.0
    if probability >= 1.0:
        return 0.0
    mean = trials * probability
    if successes <= mean:
        return min(1.0, _tail(successes, trials, probability, step=-1, stop=-1))
    return max(0.0, 1.0 - _tail(successes + 1, trials, probability, step=1, stop=trials + 1))


def _tail(start: int, trials: int, probability: float, *, step: int, stop: int) -> float:
    log_p, log_q = math.log(probability), math.log1p(-probability)
    log_n = math.lgamma(trials + 1)
    total = 0.0
    for k in range(start, stop, step):
        term = math.exp(
            log_n - math.lgamma(k + 1) - math.lgamma(trials - k + 1) + k * log_p
            + (trials - k) * log_q
        )  # fmt: skip
        total += term
        if term <= total * 1e-17:
            break
    return total
