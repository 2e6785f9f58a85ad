"""The CSRCNN paper's *reported* numbers (Tables II-VI and a Figure 10 reconstruction).

Every value returned here is transcribed from the paper (Zhang, Shao, Liang, Gao and Shen,
"Large Factor Image Super-Resolution with Cascaded Convolutional Neural Networks"); these are
the paper's reported values, not results produced by this repository. The CSV files live in
``data/paper/`` and ``data/paper/README.md`` documents columns, units and caveats.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

PAPER_DIR = Path(__file__).resolve().parents[1] / "data" / "paper"

_FILES = {
    "table2": "table2_ablation.csv",
    "table3": "table3_ublock.csv",
    "table4": "table4_depth.csv",
    "table5": "table5_benchmarks.csv",
    "table6": "table6_efficiency.csv",
    "figure10": "figure10_points.csv",
    "text_facts": "text_facts.csv",
}


def load_paper_table(name: str) -> pd.DataFrame:
    """Load one of the paper's tables ('table2' ... 'table6', 'figure10') as a DataFrame.

    These are the paper's reported values, not ours.
    """
    if name not in _FILES:
        raise KeyError(f"unknown paper table {name!r}; valid names: {sorted(_FILES)}")
    path = PAPER_DIR / _FILES[name]
    if not path.is_file():
        raise FileNotFoundError(f"paper data file not found: {path}")
    return pd.read_csv(path, keep_default_na=False, true_values=["true"], false_values=["false"])


def paper_cell(table: str, *, column: str, missing: float | None = None, **selectors) -> float:
    """One number the paper reports, e.g.
    ``paper_cell('table5', method='Bicubic', scale=4, dataset='Set5', column='psnr')``.

    Raises ``KeyError`` for an unknown column and ``LookupError`` unless exactly one row matches;
    with ``missing`` (e.g. ``math.nan``), returns it instead where the paper has no such number.
    """
    if missing is not None:
        try:
            return paper_cell(table, column=column, **selectors)
        except LookupError:  # KeyError (an unknown column) included
            return missing
    df = load_paper_table(table)
    for key in (column, *selectors):
        if key not in df.columns:
            raise KeyError(f"{table} has no column {key!r}; columns: {list(df.columns)}")
    mask = pd.Series(True, index=df.index)
    for key, value in selectors.items():
        mask &= df[key] == value
    hits = df.loc[mask, column]
    if len(hits) != 1:
        raise LookupError(f"{table}: {len(hits)} rows match {selectors}, expected exactly 1")
    return float(hits.iloc[0])
