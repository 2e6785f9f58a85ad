"""Tables II and III at every stored budget side by side: per row of the paper's table, the
paper's value and, per budget, the mean over its seeds with a 95 % interval and n, or "not
trained yet" where a budget has no record of the row (:func:`budget_summary` gives the numbers,
:func:`budget_table` the text a page shows)."""
from __future__ import annotations

import math
from typing import Any, Sequence

import pandas as pd

from ..formatting import NO_VALUE, format_mean_ci, format_number
from ..paper import paper_cell
from .plan import BUDGET_TABLES, BUDGETS, DATASETS, TABLE_ROWS, TABLE_SCALES
from .statistics import summary, table_scores

__all__ = ["NOT_TRAINED", "shown_budgets", "paper_value", "budget_summary", "budget_table"]

#: What a budget's cell says where it has no record of the row.
NOT_TRAINED = "not trained yet"
_SUMMARY_COLUMNS = ["row", "scale", "dataset", "paper", "budget", "mean", "ci_low", "ci_high", "n", "planned"]


def shown_budgets(profile: str, table: str) -> list[str]:
    """The budgets ``table``'s page shows side by side at ``profile``: ``quick`` and every larger
    budget that trains ``table`` (:data:`BUDGET_TABLES`); any other profile (smoke) alone."""
    if profile != "quick":
        return [profile]
    return [profile, *(name for name, tables in BUDGET_TABLES.items() if table in tables and name != profile)]


def paper_value(table: str, row: str, scale: int, dataset: str, value: str = "psnr") -> float:
    """The paper's ``value`` of ``row`` at x``scale`` on ``dataset`` in ``table`` (``table2`` or
    ``table3``); NaN where the paper gives none (Table II is Set14 x4 PSNR only)."""
    if table == "table2":
        if (scale, dataset, value) != (4, "Set14", "psnr"):
            return math.nan
        return paper_cell("table2", model=row, column="set14_x4_psnr", missing=math.nan)
    if table == "table3":
        return paper_cell("table3", block=row, scale=scale, column=f"{dataset.lower()}_{value}", missing=math.nan)
    raise ValueError(f"no paper values for {table!r}; expected table2 or table3")


def budget_summary(records_by_budget: dict[str, Sequence[dict[str, Any]]], table: str, value: str = "psnr",
                   datasets: Sequence[str] = DATASETS, scales: Sequence[int] | None = None,
                   level: float = 0.95) -> pd.DataFrame:
    """One row per row of ``table`` (the paper's order) x scale x dataset x budget (the order of
    ``records_by_budget``): the paper's value, the budget's mean of ``value`` over its seeds with
    the ``level`` Student-t interval (NaN for one seed; mean NaN for none), ``n`` seeds stored and
    ``planned`` seeds per row at that budget (0 for a budget without a plan)."""
    out = []
    for budget, records in records_by_budget.items():
        stats = summary(table_scores(records, table), value, level).set_index(["row", "scale", "dataset"])
        planned = BUDGETS[budget].seeds_for(table) if budget in BUDGETS else 0
        for dataset in datasets:
            for scale in scales or TABLE_SCALES[table]:
                for row in TABLE_ROWS[table]:
                    key = (row, scale, dataset)
                    hit = stats.loc[key] if key in stats.index else None
                    out.append({"row": row, "scale": scale, "dataset": dataset,
                                "paper": paper_value(table, row, scale, dataset, value), "budget": budget,
                                "mean": math.nan if hit is None else float(hit["mean"]),
                                "ci_low": math.nan if hit is None else float(hit["ci_low"]),
                                "ci_high": math.nan if hit is None else float(hit["ci_high"]),
                                "n": 0 if hit is None else int(hit["n"]), "planned": planned})
    return pd.DataFrame(out, columns=_SUMMARY_COLUMNS)


def budget_table(summary_frame: pd.DataFrame, decimals: int = 2) -> pd.DataFrame:
    """:func:`budget_summary` as the text a page shows: index (dataset, scale, row), columns
    ``paper`` then per budget ``ours`` (``'mean ± half-width'``, the mean alone for one seed,
    :data:`NOT_TRAINED` for none), ``n`` (``'k/planned'``: seeds stored of those planned) and ``vs paper`` (ours - paper)."""
    if summary_frame.empty:
        return pd.DataFrame()
    index = ["dataset", "scale", "row"]
    keys = pd.MultiIndex.from_frame(summary_frame.drop_duplicates(index)[index])
    paper = summary_frame.drop_duplicates(index).set_index(index).paper
    table = pd.DataFrame({("paper", ""): [format_number(v, decimals) for v in paper.reindex(keys)]}, index=keys)
    for budget in dict.fromkeys(summary_frame.budget):
        part = summary_frame[summary_frame.budget == budget].set_index(index).reindex(keys)
        stored = part.n.fillna(0).astype(int)
        table[(budget, "ours")] = [format_mean_ci(r, decimals) if n else NOT_TRAINED
                                   for (_, r), n in zip(part.iterrows(), stored)]
        table[(budget, "n")] = [f"{n}/{int(p)}" if p else str(n) for n, p in zip(stored, part.planned.fillna(0))]
        table[(budget, "vs paper")] = [format_number(m - p, decimals, signed=True) if n else NO_VALUE
                                         for m, p, n in zip(part["mean"], part.paper, stored)]
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    return table.rename(index=lambda s: f"x{s}", level="scale")
