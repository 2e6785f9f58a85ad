"""The claims chapter's figure: each comparison claim's effect against the training it had."""
from __future__ import annotations

import textwrap

import pandas as pd

__all__ = ["differences_figure", "side_by_side", "changes_text"]


def differences_figure(by_budget: pd.DataFrame, columns: int = 3, width_in: float = 8.5):
    """One panel per claim of :func:`srlib.claims.comparison_claims_by_budget` (rows with a
    difference): the mean paired difference and its 95 % interval at each budget's training FLOPs,
    the paper's difference dashed, zero in black. Sized for the book's column (``width_in``) with
    titles of at most three short lines, so that no text is smaller than the column allows or
    overlaps its neighbour. ``None`` when no claim has a stored difference."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import LogLocator, NullFormatter

    plot = by_budget.dropna(subset=["difference"])
    if not len(plot):
        return None
    names = list(dict.fromkeys(plot.claim))
    cols = min(columns, len(names))
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width_in, 2.9 * rows), squeeze=False, sharex=True)
    for ax, claim in zip(axes.flat, names):
        pts = plot[plot.claim == claim]
        low, high = pts.ci_low.fillna(pts.difference), pts.ci_high.fillna(pts.difference)
        ax.errorbar(pts.train_flops, pts.difference, yerr=[pts.difference - low, high - pts.difference],
                    fmt="o-", color="C0", capsize=3)
        if pts.paper_difference.notna().any():
            ax.axhline(float(pts.paper_difference.iloc[0]), color="C3", ls="--", lw=1)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title(textwrap.fill(claim, 30), fontsize=10)
        ax.tick_params(labelsize=10)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("A - B (dB)", fontsize=10)
    for ax in axes[-1]:
        ax.set_xlabel("training FLOPs", fontsize=10)
    # after every panel exists: the shared log axis labels its decades only (a scale set on one
    # shared axis resets the formatters of the others)
    axes.flat[0].set_xscale("log")
    for ax in axes.flat:
        ax.xaxis.set_major_locator(LogLocator(base=10, numticks=4))
        ax.xaxis.set_minor_formatter(NullFormatter())
    fig.tight_layout()
    return fig


def side_by_side(by_budget: pd.DataFrame, budgets) -> pd.DataFrame:
    """The comparison claims with, per budget of ``budgets`` (in that order), "ours (n=...)" and the
    verdict, after the paper's value: one row per claim in the order of ``by_budget``
    (:func:`srlib.claims.comparison_claims_by_budget`)."""
    side = by_budget.assign(ours=by_budget.ours + " (n=" + by_budget.n.astype(str) + ")").pivot(
        index="claim", columns="budget_name", values=["ours", "verdict"]).swaplevel(axis=1)
    side = side.reindex(columns=[(b, v) for b in budgets for v in ("ours", "verdict") if b in side.columns.levels[0]])
    side.insert(0, ("paper", ""), by_budget.drop_duplicates("claim").set_index("claim").paper)
    side.columns.names = ["budget", None]  # the header row reads "budget | paper | quick | ..."
    return side.reindex(list(dict.fromkeys(by_budget.claim)))


def changes_text(by_budget: pd.DataFrame, changes: pd.DataFrame) -> str:
    """The verdicts that changed between budgets (:func:`srlib.claims.verdict_changes`) in one
    sentence, or that none did (and whether any claim was judged at two budgets at all)."""
    judged_twice = by_budget[by_budget.verdict.ne("not run yet")].groupby("claim").budget_name.nunique().gt(1).any()
    return "; ".join(f"{r.claim}: {r['verdict then']} at {r['from budget']}, {r['verdict now']} at {r['to budget']}"
                     for _, r in changes.iterrows()) \
        or ("none" if judged_twice else "none yet (no claim is judged at the larger budget so far)")

