"""Student-t intervals and the verdict rule, shared by every result set that repeats a run with
other seeds: the ablations (seed-paired differences, :mod:`srlib.ablations`) and the CPU
campaign (runs repeated with another seed, :mod:`srlib.campaign`).

* :func:`mean_ci`: the interval of a mean from the values themselves;
* :func:`pooled_sd`: the noise of one run, pooled over groups of repeats;
* :func:`difference_interval`: a difference of two means whose noise is known from
  :func:`pooled_sd` (with its degrees of freedom);
* :func:`verdict` (:data:`VERDICT_RULE`): what an interval says about a claimed positive difference.
"""
from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np
from scipy import stats

__all__ = ["t_quantile", "mean_ci", "pooled_sd", "difference_interval", "VERDICT_RULE", "verdict"]


def t_quantile(dof: int, level: float = 0.95) -> float:
    """The two-sided Student-t quantile of ``level`` with ``dof`` degrees of freedom (1.96 -> 2.78 at 4)."""
    return float(stats.t.ppf(0.5 + level / 2, dof))


def mean_ci(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """``(mean, low, high)``: Student-t confidence interval of the mean (NaNs for fewer than 2)."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        m = float(x.mean()) if len(x) else math.nan
        return m, math.nan, math.nan
    half = t_quantile(len(x) - 1, level) * float(x.std(ddof=1)) / math.sqrt(len(x))
    return float(x.mean()), float(x.mean() - half), float(x.mean() + half)


def pooled_sd(groups: Iterable[Sequence[float]]) -> tuple[float, int]:
    """The pooled standard deviation of values within ``groups`` (each group: one recipe repeated
    with other seeds) and its degrees of freedom (values in groups of two or more, minus those
    groups); ``(nan, 0)`` when no group has two values."""
    squares, dof = 0.0, 0
    for group in groups:
        x = np.asarray(group, dtype=float)
        if len(x) > 1:
            squares += float(((x - x.mean()) ** 2).sum())
            dof += len(x) - 1
    return (math.sqrt(squares / dof) if dof else math.nan), dof


def difference_interval(a, b, sd: float, dof: int, level: float = 0.95) -> dict[str, float]:
    """``mean(a) - mean(b)`` for two sets of single-run results and its Student-t interval at
    ``level``, the noise of one run being ``sd`` with ``dof`` degrees of freedom (from
    :func:`pooled_sd`): ``{"difference", "low", "high"}``, the ends NaN without a noise estimate."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    difference = float(a.mean() - b.mean())
    if not dof or not np.isfinite(sd):
        return {"difference": difference, "low": math.nan, "high": math.nan}
    half = t_quantile(dof, level) * sd * math.sqrt(1 / len(a) + 1 / len(b))
    return {"difference": difference, "low": difference - half, "high": difference + half}


#: How a claim "A is better than B" gets its verdict from the paired difference A - B over seeds.
VERDICT_RULE = ("held: the 95% confidence interval of the paired difference lies above zero; not held: it lies "
                "below zero; inconclusive at this budget: it contains zero (or fewer than 3 seeds)")


def verdict(low: float, high: float, n: int) -> str:
    """The verdict of :data:`VERDICT_RULE` for a claimed positive difference with CI [low, high]."""
    if n < 3 or math.isnan(low) or math.isnan(high):
        return "inconclusive at this budget"
    if low > 0:
        return "held"
    if high < 0:
        return "not held"
    return "inconclusive at this budget"
