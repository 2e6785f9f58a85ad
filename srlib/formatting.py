"""Numbers as the book and the verdicts print them: a value with a fixed number of decimals, a
confidence interval, a mean with the half-width of its interval, and the mark for "no value"."""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["NO_VALUE", "format_number", "format_interval", "format_mean_ci"]

#: What a table shows where the paper has no value (e.g. DRCN at x8).
NO_VALUE = "—"


def format_number(value: Any, decimals: int, signed: bool = False) -> str:
    """A number as text with ``decimals`` digits (``+`` sign when ``signed``); NaN -> :data:`NO_VALUE`."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NO_VALUE
    return f"{value:+.{decimals}f}" if signed else f"{value:.{decimals}f}"


def format_interval(low: Any, high: Any, decimals: int = 2, signed: bool = False) -> str:
    """A confidence interval as ``'[a, b]'``; :data:`NO_VALUE` when there is none (NaN: fewer than
    two seeds)."""
    if low is None or pd.isna(low):
        return NO_VALUE
    return f"[{format_number(low, decimals, signed)}, {format_number(high, decimals, signed)}]"


def format_mean_ci(row: Any, decimals: int = 2, signed: bool = False, missing: str = "not run yet") -> str:
    """``'mean ± h'`` of a summary row (``mean``, ``ci_low``, ``ci_high``, as
    :func:`srlib.ablations.summary` or :func:`~srlib.ablations.paired_differences` give it), ``h``
    the half-width of its confidence interval; just the mean without an interval (one seed);
    ``missing`` when ``row`` is None."""
    if row is None:
        return missing
    text = format_number(row["mean"], decimals, signed)
    if pd.isna(row["ci_low"]):
        return text
    return f"{text} ± {(row['ci_high'] - row['ci_low']) / 2:.{decimals}f}"
