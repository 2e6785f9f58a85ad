"""Is the league's budget enough? Each run's learning curve, from its record.

Every league record keeps, per training stage, the Set5 validation PSNR at 10 % steps of that
stage with the stage's CPU-seconds so far (:func:`srlib.ablations.running.evaluated_record`).
:func:`learning_curves` puts them on one axis: the fraction of the run's training budget spent
(a curriculum's earlier stages count; only its last stage, at the target scale, is compared).
:func:`late_gain` reads what the last part of the budget still bought: a network that gains much
there is far from converged at this budget, and its row of the league says more about the budget
than about the architecture. The learning rate decays (cosine) over every run, which flattens
every curve's end: a small late gain is necessary for convergence, not proof of it.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..stats import mean_ci

__all__ = ["learning_curves", "late_gain"]


def learning_curves(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per validation of the last training stage of each record: entrant, scale, seed,
    step, cpu_seconds (the run's training so far, earlier curriculum stages included), fraction
    (of the run's total training CPU-seconds) and psnr (Set5 at the record's scale)."""
    rows = []
    for r in records:
        stages = r["stages"]
        before = sum(float(s["cpu_seconds"]) for s in stages[:-1])
        total = before + float(stages[-1]["cpu_seconds"])
        for step, seconds, psnr in stages[-1].get("validation", []):
            rows.append({"entrant": r["entrant"], "scale": int(r["scale"]), "seed": int(r["seed"]), "step": int(step),
                         "cpu_seconds": before + float(seconds),
                         "fraction": (before + float(seconds)) / total if total else math.nan, "psnr": float(psnr)})
    return pd.DataFrame(rows, columns=["entrant", "scale", "seed", "step", "cpu_seconds", "fraction", "psnr"])


def late_gain(curves: pd.DataFrame, start: float = 0.75) -> pd.DataFrame:
    """Per entrant and scale: the Set5 PSNR gained from ``start`` (a fraction of the budget) to the
    end of training, mean over seeds with its 95 % Student-t interval (``n`` seeds), each seed's
    curve read at ``start`` by linear interpolation between validations (NaN where its curve
    begins after ``start``)."""
    rows = []
    for (entrant, scale), group in curves.groupby(["entrant", "scale"], sort=False):
        gains = []
        for _, run in group.groupby("seed"):
            run = run.sort_values("fraction")
            x, y = run.fraction.to_numpy(float), run.psnr.to_numpy(float)
            gains.append(y[-1] - float(np.interp(start, x, y)) if len(x) and x[0] <= start <= x[-1] else math.nan)
        gains = [g for g in gains if not math.isnan(g)]
        mean, low, high = mean_ci(gains)
        rows.append({"entrant": entrant, "scale": scale, "n": len(gains), "gain": mean, "low": low, "high": high})
    return pd.DataFrame(rows, columns=["entrant", "scale", "n", "gain", "low", "high"])
