"""Two networks trained by the campaign's recipe, compared at equal compute.

A published stage (:class:`srlib.published.PublishedResult`) keeps beside its weights a ``log.csv``
of its validation PSNR (Set5, float32 weights) against its own training FLOPs and CPU-seconds, and
records the published result it started from (``parent``). :func:`stage_chain` walks those links
back to the stage trained from scratch; a stage initialised from another one (x4 from x2) has
spent its parents' compute too, and :func:`chain_curve` puts the whole chain's compute under every
validation point. :func:`equal_compute` then reads each network at the end of its schedule and the other one
at the same compute (linear interpolation between validation points; a point beyond the other's
curve is left NaN: nothing is extrapolated here). A value read in the middle of a schedule comes
before the learning rate has decayed and is therefore pessimistic for that network; the table
says which values those are.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .. import published
from ..published import PublishedResult, find_published
from ..stats import difference_interval
from .records import read_log

__all__ = ["AXES", "BENCHMARKS", "stage_chain", "chain_curve", "psnr_at", "equal_compute", "ahead_at_equal_compute", "chain_summary"]

#: The benchmarks a published stage is evaluated on (all images, the paper's protocol).
BENCHMARKS = published.BENCHMARKS

#: The two measures of compute: training FLOPs (forward + backward, the engine's counter) and
#: single-core CPU-seconds (what the training cost on this kind of machine).
AXES = {"train_flops": "training FLOPs", "cpu_seconds": "single-core CPU-seconds"}


def stage_chain(result: PublishedResult) -> list[PublishedResult]:
    """``result`` and the published stages it was trained from, first (from scratch) to last, by
    the ``parent`` each one recorded when it was published. A parent that is not published (or a
    loop) raises a one-line error: the chain's compute would be unknown."""
    chain = [result]
    while chain[0].parent:
        parent = find_published(chain[0].parent, chain[0].root)
        if parent is None or parent.name in {r.name for r in chain}:
            raise ValueError(f"{chain[0].name} was trained from {chain[0].parent}, which is not a published result "
                             f"under {chain[0].root} (or starts a loop): its chain's compute is unknown")
        chain.insert(0, parent)
    return chain


def _spent(stage: PublishedResult) -> tuple[float, float]:
    """(training FLOPs, CPU-seconds) of one published stage's own training, from its provenance."""
    return float(stage.training_flops), float(stage.record["cpu_seconds"])


def chain_curve(stages: Sequence[PublishedResult]) -> pd.DataFrame:
    """The validation curve of the last of ``stages`` (published stages, first to last, e.g.
    :func:`stage_chain`) with the compute of the whole chain: columns step, psnr, train_flops and
    cpu_seconds, the earlier stages' totals added to the last stage's own counters."""
    if not stages:
        raise ValueError("chain_curve() needs at least one published stage")
    *parents, last = stages
    flops0 = sum(_spent(p)[0] for p in parents)
    seconds0 = sum(_spent(p)[1] for p in parents)
    log = read_log(last.folder)
    if "train_flops" not in log:
        raise ValueError(f"{last.folder / 'log.csv'} has no train_flops column")
    points = log.dropna(subset=["psnr"])
    return pd.DataFrame({"step": points.step.to_numpy(), "psnr": points.psnr.to_numpy(dtype=float),
                         "train_flops": points.train_flops.to_numpy(dtype=float) + flops0,
                         "cpu_seconds": points.cpu_hours.to_numpy(dtype=float) * 3600.0 + seconds0})


def psnr_at(curve: pd.DataFrame, value: float, axis: str = "train_flops") -> float:
    """The PSNR of ``curve`` (:func:`chain_curve`) at ``value`` of ``axis``, linearly interpolated
    between validation points; NaN outside the curve's range (no extrapolation)."""
    if axis not in AXES:
        raise ValueError(f"axis {axis!r}: expected one of {sorted(AXES)}")
    x, y = curve[axis].to_numpy(dtype=float), curve.psnr.to_numpy(dtype=float)
    if not len(x) or value < x[0] or value > x[-1]:
        return math.nan
    return float(np.interp(value, x, y))


def equal_compute(curves: Mapping[str, pd.DataFrame], axis: str = "train_flops", sd: float = math.nan,
                  dof: int = 0) -> pd.DataFrame:
    """Two networks' curves (``{name: chain_curve(...)}``, exactly two) compared on ``axis``: for
    each network, its compute and PSNR at the end of its schedule, the other network's PSNR at
    that compute, the difference (this one minus the other) and its 95 % Student-t interval from
    the noise of one run (``sd`` dB with ``dof`` degrees of freedom, e.g. from
    :func:`~.analysis.seed_spread`; NaN ends without one). ``other_in_schedule`` is True where
    the other network's value comes from the middle of its schedule (before its learning rate
    decayed: a pessimistic reading of it)."""
    if len(curves) != 2:
        raise ValueError(f"equal_compute() compares exactly two networks, got {len(curves)}")
    rows = []
    for (name, curve), (other, other_curve) in zip(curves.items(), reversed(list(curves.items()))):
        end = float(curve[axis].iloc[-1])
        mine = float(curve.psnr.iloc[-1])
        theirs = psnr_at(other_curve, end, axis)
        interval = difference_interval([mine], [theirs], sd, dof) if not math.isnan(theirs) else \
            {"difference": math.nan, "low": math.nan, "high": math.nan}
        rows.append({"network": name, axis: end, "psnr": mine, "other": other, "other_psnr": theirs,
                     "difference": interval["difference"], "low": interval["low"], "high": interval["high"],
                     "other_in_schedule": bool(not math.isnan(theirs) and end < float(other_curve[axis].iloc[-1]))})
    return pd.DataFrame(rows)


def ahead_at_equal_compute(table: pd.DataFrame, network: str) -> dict[str, float]:
    """From one :func:`equal_compute` table: how far ``network`` is ahead of the other at equal
    compute, ``{"gap", "low", "high"}`` (dB, 95 % interval), read on the row whose comparison is
    defined (one network's end may lie beyond the other's curve), preferring the row where the
    other network is not read in the middle of its schedule; NaN where neither row is defined."""
    rows = table[table.difference.notna()].sort_values("other_in_schedule")
    if rows.empty:
        return {"gap": math.nan, "low": math.nan, "high": math.nan}
    row = rows.iloc[0]
    if row.network == network:
        return {"gap": float(row.difference), "low": float(row.low), "high": float(row.high)}
    return {"gap": -float(row.difference), "low": -float(row.high), "high": -float(row.low)}


def chain_summary(stages: Sequence[PublishedResult]) -> dict:
    """One row describing the last of ``stages`` (published stages, first to last): its scale,
    channels, refined blocks, parameters (stored weights), steps, training FLOPs per step, the
    chain's training FLOPs and CPU-seconds, and its PSNR on each of :data:`BENCHMARKS` (all images;
    NaN where it was not evaluated)."""
    last = stages[-1]
    record = last.record
    spent = [_spent(s) for s in stages]
    return {"scale": last.scale, "channels": int(record["config"]["channels"]),
            "refined_blocks": int(record["config"]["hr_blocks"]), "parameters": last.parameters(),
            "steps": int(record["steps"]), "flops_per_step": float(record["train_flops_per_step"]),
            "train_flops": sum(f for f, _ in spent), "cpu_seconds": sum(c for _, c in spent),
            **{b: math.nan if last.psnr(b) is None else last.psnr(b) for b in BENCHMARKS}}
