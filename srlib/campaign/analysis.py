"""What the campaign's stored runs say: the noise of one run (from runs repeated with another
seed), the finished runs of one network and the ceiling the saturation law puts through them,
what a continuation bought over the weights it started from, and wider networks against the
stage's at equal compute or equal steps. The inputs are the frames of :mod:`.records`
(:func:`~.records.read_pilots`, :func:`~.records.read_continuations`); intervals are
Student-t (:mod:`srlib.stats`)."""
from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..stats import difference_interval, pooled_sd
from .fits import fit_saturation, fit_saturation_interval

__all__ = ["SCRATCH_RECIPE", "CONTINUED_RECIPE", "NETWORK", "SET5_TARGETS", "seed_spread", "difference_interval",
           "same_network", "finished_runs", "ceiling_estimate", "stage_ceiling", "continuation_gains", "period_gains",
           "last_period", "width_comparisons", "widened_comparisons", "compute_spent"]

#: What makes two runs from scratch (pilots, single schedules) repeats of one recipe: they then
#: differ in their seed only.
SCRATCH_RECIPE = ["channels", "u_blocks", "refined_blocks", "steps", "lr", "patch", "batch", "loss"]
#: The same for two continuations (a training started from a finished run's weights).
CONTINUED_RECIPE = ["parent", "channels", "lr", "patch", "batch", "loss", "steps"]
#: The columns of :func:`~.records.read_pilots` that name a network.
NETWORK = ["channels", "u_blocks", "refined_blocks"]
#: The campaign's Set5 targets (dB): VDSR's Set5 in the paper's Table V rounded down at x2 and
#: x4, and 25.9 dB at x8 (beyond VDSR's 25.72).
SET5_TARGETS = {2: 37.5, 4: 31.35, 8: 25.9}


def seed_spread(runs: pd.DataFrame, recipe: list[str], value: str = "set5_psnr") -> tuple[float, int]:
    """The noise of one run: the pooled standard deviation (dB) of ``runs[value]`` within the
    groups of rows that agree on every column of ``recipe`` (runs repeated with another seed),
    and its degrees of freedom (:func:`srlib.stats.pooled_sd`); ``(nan, 0)`` when no recipe was
    repeated. ``runs``: a frame of :func:`~.records.read_pilots` or :func:`~.records.read_continuations`."""
    if not len(runs):
        return math.nan, 0
    return pooled_sd(group[value] for _, group in runs.groupby(recipe, dropna=False))


def same_network(runs: pd.DataFrame, config) -> pd.DataFrame:
    """The rows of ``runs`` (:func:`~.records.read_pilots`) that trained ``config``'s network at its scale."""
    if not len(runs):
        return runs
    return runs[(runs.scale == config.scale) & (runs.channels == config.channels)
                & (runs.refined_blocks == config.hr_blocks)
                & (runs.u_blocks == "/".join(map(str, config.blocks_per_level)))]


def finished_runs(config, stage_flops: float, stage_psnr: float, scratch: Mapping[str, pd.DataFrame],
                  continued: pd.DataFrame) -> pd.DataFrame:
    """Every finished run of ``config``'s network (the stage's): the runs from scratch among
    ``scratch`` (``{kind: frame of read_pilots}``, e.g. pilots and single schedules), the stage
    itself (``stage_flops``, ``stage_psnr``: its last validation) and the continuations of
    ``continued`` at the stage's width, each at its training FLOPs from the start (a widened
    continuation is another network and is left out). Columns: run, kind (``'scratch'`` or
    ``'continued'``), train_flops, set5_psnr."""
    rows = [{"run": f"{kind} {p.pilot}", "kind": "scratch", "train_flops": p.train_flops, "set5_psnr": p.set5_psnr}
            for kind, table in scratch.items() for p in same_network(table, config).itertuples()]
    rows.append({"run": f"stage x{config.scale}", "kind": "scratch", "train_flops": stage_flops,
                 "set5_psnr": stage_psnr})
    if len(continued):
        rows += [{"run": c.name, "kind": "continued", "train_flops": c.cumulative_flops, "set5_psnr": c.set5_psnr}
                 for c in continued[continued.channels == config.channels].itertuples()]
    return pd.DataFrame(rows, columns=["run", "kind", "train_flops", "set5_psnr"])


def ceiling_estimate(points: pd.DataFrame, noise: Mapping[str, tuple[float, int]], ahead: float = 10.0,
                     n: int = 300, seed: int = 0) -> dict[str, Any] | None:
    """The saturation law through ``points`` (:func:`finished_runs`; compute in PFLOP) and how far
    its ceiling can move: ``None`` below four points. The noise of one point is that of its kind
    (``noise``: ``{kind: (sd, dof)}`` from :func:`seed_spread`, ``'continued'`` falling back to
    ``'scratch'`` when no continuation was repeated), never below the fit's residual. Returns
    ``fit`` (:func:`~.fits.fit_saturation`), ``sigma`` (per kind), ``points``, ``best``, and when
    the fit is identified ``low`` / ``high`` / ``samples`` of its ceiling and, at ``ahead`` times
    the largest compute (``ahead_pflop``), ``at_low`` / ``at_high`` (:func:`~.fits.fit_saturation_interval`)."""
    if len(points) < 4:
        return None
    compute, psnr = points.train_flops.to_numpy() / 1e15, points.set5_psnr.to_numpy()
    fit = fit_saturation(compute, psnr)
    scratch_sd = noise.get("scratch", (math.nan, 0))[0]
    continued_sd = noise.get("continued", (math.nan, 0))[0]
    sigma = {"scratch": max(float(np.nan_to_num(scratch_sd)), fit["rmse"])}
    sigma["continued"] = max(continued_sd, fit["rmse"]) if np.isfinite(continued_sd) else sigma["scratch"]
    out = {"fit": fit, "sigma": sigma, "points": len(points), "best": float(psnr.max()),
           "ahead_pflop": float(ahead * compute.max())}
    if fit["identified"]:
        out.update(fit_saturation_interval(compute, psnr, sigma=points.kind.map(sigma).to_numpy(), n=n, seed=seed,
                                           at=out["ahead_pflop"]))
    return out


def stage_ceiling(config, stage_flops: float, stage_psnr: float, scratch: Mapping[str, pd.DataFrame],
                  continued: pd.DataFrame, ahead: float = 10.0) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """The finished runs of a stage's network (:func:`finished_runs`) and the ceiling through them
    (:func:`ceiling_estimate`), with the noise of one run measured per kind: for runs from
    scratch the pooled seed spread of every repeated run from scratch at the stage's scale (of
    every width: a seed moves a result by about as much whatever the width), for further
    trainings that of the repeated continuations at the stage's width."""
    points = finished_runs(config, stage_flops, stage_psnr, scratch, continued)
    from_scratch = pd.concat([t for t in scratch.values() if len(t)] or [pd.DataFrame(columns=["scale"])])
    same_width = continued[continued.channels == config.channels] if len(continued) else continued
    noise = {"scratch": seed_spread(from_scratch[from_scratch.scale == config.scale], SCRATCH_RECIPE),
             "continued": seed_spread(same_width, CONTINUED_RECIPE)}
    return points, ceiling_estimate(points, noise, ahead=ahead)


def continuation_gains(continued: pd.DataFrame, stage_psnr: float, scale: int) -> pd.DataFrame:
    """``continued`` (:func:`~.records.read_continuations`) with ``start_psnr`` (the Set5 of the
    weights each started from: the stage's ``stage_psnr`` for ``x<scale>``, else its parent's
    result) and ``gain`` (its own Set5 minus that)."""
    start = {f"x{scale}": stage_psnr, **dict(zip(continued.name, continued.set5_psnr))}
    out = continued.assign(start_psnr=continued.parent.map(start))
    return out.assign(gain=out.set5_psnr - out.start_psnr)


def period_gains(runs, start_psnr: dict[str, float], recipe: list[str], sd: float, dof: int):
    """What each continuation recipe bought over the weights it started from: one row per group of
    ``runs`` (a frame of :func:`~.records.read_continuations`) that agree on every column of
    ``recipe`` (which must name the ``parent``), in order of training FLOPs: the ``recipe``
    columns, ``names``, ``runs``, ``cumulative_flops`` and ``cpu_seconds`` (means), ``set5_psnr``
    (mean), ``gain`` (that mean minus ``start_psnr[parent]``, the parent's one result) and ``low`` /
    ``high``, its Student-t interval at 95 % (:func:`srlib.stats.difference_interval` against the
    parent as one run of noise ``sd``)."""
    if "parent" not in recipe:
        raise ValueError(f"recipe {recipe} names no 'parent': runs from different weights would be pooled")
    rows = []
    for key, group in runs.groupby(recipe, dropna=False):
        parent = group.parent.iloc[0]
        d = difference_interval(group.set5_psnr, [start_psnr[parent]], sd, dof)
        rows.append({**dict(zip(recipe, key)), "names": ", ".join(group.name), "runs": len(group),
                     "cumulative_flops": group.cumulative_flops.mean(), "cpu_seconds": group.cpu_seconds.mean(),
                     "set5_psnr": group.set5_psnr.mean(), "gain": d["difference"], "low": d["low"], "high": d["high"]})
    columns = [*recipe, "names", "runs", "cumulative_flops", "cpu_seconds", "set5_psnr", "gain", "low", "high"]
    return pd.DataFrame(rows, columns=columns).sort_values("cumulative_flops", ignore_index=True)


def last_period(periods: pd.DataFrame, continued: pd.DataFrame) -> pd.Series:
    """Of the rows of ``periods`` (:func:`period_gains`) that started from the most trained weights
    (the parent with the most training FLOPs in ``continued``), the one that gained most."""
    if periods.empty:
        raise ValueError("no continuation recipe to choose from")
    trained = dict(zip(continued.name, continued.cumulative_flops))
    latest = periods[periods.parent == max(periods.parent, key=lambda name: trained.get(name, 0.0))]
    return latest.loc[latest.gain.idxmax()]


def width_comparisons(schedules: pd.DataFrame, config, sd: float, dof: int) -> pd.DataFrame:
    """Each other network among ``schedules`` (single schedules from scratch,
    :func:`~.records.read_pilots`) against ``config``'s network at the nearest training FLOPs:
    the difference of their mean Set5 and its Student-t interval, the noise of one run being
    ``sd`` with ``dof`` degrees of freedom. One row per other network: its NETWORK columns,
    runs, train_flops and set5_psnr (means); base_steps, base_runs, base_flops, base_psnr (the
    stage network's schedules compared with); difference, low, high."""
    ours = same_network(schedules, config)
    rows = []
    for key, other in ([] if ours.empty else schedules.drop(ours.index).groupby(NETWORK)):
        nearest = ours.steps.iloc[(ours.train_flops - other.train_flops.mean()).abs().argmin()]
        base = ours[ours.steps == nearest]
        d = difference_interval(other.set5_psnr, base.set5_psnr, sd, dof)
        rows.append({**dict(zip(NETWORK, key)), "runs": len(other), "train_flops": other.train_flops.mean(),
                     "set5_psnr": other.set5_psnr.mean(), "base_steps": int(nearest), "base_runs": len(base),
                     "base_flops": base.train_flops.mean(), "base_psnr": base.set5_psnr.mean(), **d})
    return pd.DataFrame(rows, columns=[*NETWORK, "runs", "train_flops", "set5_psnr", "base_steps", "base_runs",
                                       "base_flops", "base_psnr", "difference", "low", "high"])


def widened_comparisons(continued: pd.DataFrame, channels: int, sd: float, dof: int) -> pd.DataFrame:
    """Each widened recipe of ``continued`` against the continuations at the stage's width
    (``channels``) that ran the same recipe from the same weights (only the width differs):
    the difference of their mean Set5 and its Student-t interval (noise ``sd``, ``dof``). One
    row per such recipe: its CONTINUED_RECIPE columns but the width, wide_channels,
    wide_names / base_names, wide_runs / base_runs, wide_flops / base_flops (training FLOPs of
    the continuation itself), wide_psnr / base_psnr, difference, low, high."""
    same_start = [c for c in CONTINUED_RECIPE if c != "channels"]
    narrow = continued[continued.channels == channels]
    rows = []
    if len(continued):
        for key, wide in continued[continued.widened.astype(bool)].groupby(same_start):
            base = narrow[np.logical_and.reduce([narrow[c] == v for c, v in zip(same_start, key)])]
            if base.empty:  # no continuation of the stage's width ran this recipe
                continue
            d = difference_interval(wide.set5_psnr, base.set5_psnr, sd, dof)
            rows.append({**dict(zip(same_start, key)), "wide_channels": int(wide.channels.iloc[0]),
                         "wide_names": ", ".join(wide.name), "wide_runs": len(wide),
                         "wide_flops": wide.train_flops.mean(), "wide_psnr": wide.set5_psnr.mean(),
                         "base_names": ", ".join(base.name), "base_runs": len(base),
                         "base_flops": base.train_flops.mean(), "base_psnr": base.set5_psnr.mean(), **d})
    return pd.DataFrame(rows, columns=[*same_start, "wide_channels", "wide_names", "wide_runs", "wide_flops",
                                       "wide_psnr", "base_names", "base_runs", "base_flops", "base_psnr",
                                       "difference", "low", "high"])


def compute_spent(groups: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """What each group of stored runs cost (``{kind of run: frame with train_flops and
    cpu_seconds per run}``), with a ``total`` row: one row per group, columns runs, train_flops
    and cpu_seconds (sums; a run without recorded CPU seconds counts none)."""
    rows = {kind: {"runs": len(runs), "train_flops": float(runs.train_flops.sum()) if len(runs) else 0.0,
                   "cpu_seconds": float(runs.cpu_seconds.fillna(0).sum()) if len(runs) else 0.0}
            for kind, runs in groups.items()}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["runs", "train_flops", "cpu_seconds"])
    table.loc["total"] = table.sum()
    return table.astype({"runs": int})
