"""The league chapter's tables and figures, from :mod:`srlib.league`'s frames."""
from __future__ import annotations

import pandas as pd

from .tables import format_mean_ci

__all__ = ["budget_spread_text", "cost_table", "standings_table", "cited_gap_table", "paired_table", "ensemble_table",
           "claim_table", "late_gain_table", "learning_curves_figure", "pareto_figure"]


def _colours() -> dict[str, str]:
    """One colour per entrant, the same in every figure of the chapter (the league's order)."""
    from ..league import ENTRANTS

    return {e.name: f"C{i}" for i, e in enumerate(ENTRANTS)}


def _ci(means, lows, highs, digits: int = 2, signed: bool = False) -> list[str]:
    return [format_mean_ci({"mean": m, "ci_low": lo, "ci_high": hi}, digits, signed=signed)
            for m, lo, hi in zip(means, lows, highs)]


def budget_spread_text(spent: pd.DataFrame) -> str:
    """:func:`srlib.league.budget_spent` in a few words: the range of the runs' shares of the
    budget and how many lie within its tolerance."""
    if not len(spent):
        return "not run yet"
    if spent.share.isna().all():
        return "a fixed number of steps, no CPU budget"
    return (f"{spent.share.min():.0%} to {spent.share.max():.0%} of the budget; {int(spent.within.sum())} of "
            f"{len(spent)} runs within 30 % of it")


def cost_table(costs: pd.DataFrame) -> pd.DataFrame:
    """:func:`srlib.league.inference_costs` with readers' column names, indexed by scale and entrant."""
    return pd.DataFrame({"scale": costs.scale, "network": costs.entrant, "parameters (M)": costs.parameters / 1e6,
                         "GFLOPs": costs.gflops, "time (ms)": costs.time_ms}).set_index(["scale", "network"]) \
        .sort_index(level="scale", sort_remaining=False)


def standings_table(standings: pd.DataFrame, scale: int, metric: str = "psnr") -> pd.DataFrame:
    """One scale of :func:`srlib.league.standings`, one row per network: ``metric`` (``psnr`` or
    ``ssim``) per benchmark as mean ± 95 % half-width over seeds, and for PSNR the seeds and the
    training CPU-seconds."""
    if metric not in ("psnr", "ssim"):
        raise ValueError(f"metric {metric!r}: expected 'psnr' or 'ssim'")
    part = standings[standings.scale == scale]
    digits = 2 if metric == "psnr" else 4
    cells = _ci(part[metric], part[f"{metric}_low"], part[f"{metric}_high"], digits)
    wide = part.assign(cell=cells).pivot(index="entrant", columns="dataset", values="cell")
    wide = wide[[d for d in dict.fromkeys(part.dataset)]]
    wide.columns = [f"{d} ({', '.join(sorted(set(part[part.dataset == d].subset)))})"
                    if part[part.dataset == d].subset.ne("").any() else d for d in wide.columns]
    if metric == "psnr":  # (the cited values: cited_gap_table)
        wide["seeds"] = part.groupby("entrant").n.max()
        wide["training CPU-s"] = part.groupby("entrant").cpu_seconds.first().round(0).astype(int)
    wide.index.name = "network"
    return wide


def cited_gap_table(standings: pd.DataFrame) -> pd.DataFrame:
    """The paper's cited Table V PSNR (dB) per scale and network (rows) and benchmark (columns), with
    ours minus it in brackets where the comparison is like for like (the same network on every
    image: :data:`srlib.league.SAME_AS_CITED`, no subset); "—" where the paper cites none."""
    def cell(row) -> str:
        if row.cited_psnr != row.cited_psnr:
            return "—"
        gap = "" if row.ours_minus_cited != row.ours_minus_cited else f" ({row.ours_minus_cited:+.2f})"
        return f"{row.cited_psnr:.2f}{gap}"

    shown = standings.assign(cell=[cell(r) for r in standings.itertuples()])
    wide = shown.pivot_table(index=["scale", "entrant"], columns="dataset", values="cell", aggfunc="first")
    wide = wide[[d for d in dict.fromkeys(standings.dataset) if d in wide]]
    wide.index.names = ["scale", "network"]
    return wide


def paired_table(paired: pd.DataFrame, reference: str = "CSRCNN") -> pd.DataFrame:
    """:func:`srlib.league.paired_to` as the chapter prints it: per scale and network (``reference``
    left out), each benchmark's difference to ``reference`` with its 95 % half-width."""
    rows = paired[paired.row.ne(reference)]
    rows = rows.assign(cell=_ci(rows.difference, rows.ci_low, rows.ci_high, signed=True))
    wide = rows.pivot_table(index=["scale", "row"], columns="dataset", values="cell", aggfunc="first")
    wide.index.names = ["scale", "network"]
    return wide[[d for d in dict.fromkeys(rows.dataset)]]  # the benchmarks in the paper's order


def claim_table(ahead: pd.DataFrame) -> pd.DataFrame:
    """:func:`srlib.league.claim_ahead`'s rows as one verdict per peer (rows) and benchmark (columns)."""
    wide = ahead.pivot_table(index="row", columns="dataset", values="verdict", aggfunc="first")
    wide.index.name = "peer"
    return wide[[d for d in dict.fromkeys(ahead.dataset)]]


def ensemble_table(ensemble: pd.DataFrame) -> pd.DataFrame:
    """:func:`srlib.league.ensemble_scores` as the chapter prints it: the self-ensemble's PSNR and
    its gain over the plain networks, each with its 95 % half-width, and the seeds."""
    return pd.DataFrame({"scale": ensemble.scale, "network": ensemble.entrant, "dataset": ensemble.dataset,
                         "x8 self-ensemble": _ci(ensemble.psnr, ensemble.psnr_low, ensemble.psnr_high),
                         "gain over plain": _ci(ensemble.gain, ensemble.gain_low, ensemble.gain_high, signed=True),
                         "n": ensemble.n}).set_index(["scale", "network", "dataset"])


def late_gain_table(gains: pd.DataFrame, start: float) -> pd.DataFrame:
    """:func:`srlib.league.late_gain` as the chapter prints it: per scale and network, the Set5
    PSNR gained over the last part of the budget, mean ± 95 % half-width over seeds."""
    label = f"Set5 gain in the last {1 - start:.0%} of the budget (dB)"
    return pd.DataFrame({"scale": gains.scale, "network": gains.entrant,
                         label: _ci(gains.gain, gains.low, gains.high, signed=True),
                         "seeds": gains.n}).set_index(["scale", "network"]).sort_index()


def learning_curves_figure(curves: pd.DataFrame, width_in: float = 8.5):
    """One panel per scale: each network's Set5 PSNR against the training CPU-seconds spent (the
    mean over seeds at each validation), the legend below the panels. ``None`` without curves."""
    import matplotlib.pyplot as plt

    if not len(curves):
        return None
    scales = sorted(curves.scale.unique())
    colours = _colours()
    fig, axes = plt.subplots(1, len(scales), figsize=(width_in, 3.6), squeeze=False, layout="constrained")
    for ax, scale in zip(axes[0], scales):
        part = curves[curves.scale == scale]
        for entrant, run in part.groupby("entrant", sort=False):
            mean = run.groupby("step")[["cpu_seconds", "psnr"]].mean().sort_values("cpu_seconds")
            ax.plot(mean.cpu_seconds, mean.psnr, marker=".", color=colours[entrant], label=entrant)
        ax.set(title=f"x{scale}", xlabel="training CPU-seconds", ylabel=f"Set5 x{scale} PSNR (dB)")
    handles = {label: h for ax in axes[0] for h, label in zip(*ax.get_legend_handles_labels())}
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncol=min(4, len(handles)),
               fontsize=9, frameon=False)
    return fig


def pareto_figure(points: pd.DataFrame, fronts: dict, width_in: float = 8.5):
    """One panel per scale: each network's mean Set5 PSNR against its forward-pass time (``points``:
    scale, entrant, psnr, time_ms), one colour per network named in the legend below the panels (no
    label over the data), and the accuracy-speed front (``fronts``: ``{scale: [entrant, ...]}``,
    :func:`srlib.league.pareto_front`) dashed."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    scales = sorted(points.scale.unique())
    colours = _colours()
    fig, axes = plt.subplots(1, len(scales), figsize=(width_in, 3.8), squeeze=False, layout="constrained")
    for ax, scale in zip(axes[0], scales):
        part = points[points.scale == scale].set_index("entrant")
        front = part.loc[fronts.get(scale, [])]
        ax.plot(front.time_ms, front.psnr, ls="--", color="0.6", zorder=0)
        for name, row in part.iterrows():
            ax.scatter(row.time_ms, row.psnr, color=colours[name], s=36, label=name, zorder=2)
        ax.set(xscale="log", xlabel="forward pass, 32 x 32 LR input (ms, log)", ylabel=f"Set5 x{scale} PSNR (dB)",
               title=f"x{scale}")
        ax.xaxis.set_minor_formatter(NullFormatter())  # no crowded minor labels on the log axis
    handles = {label: h for ax in axes[0] for h, label in zip(*ax.get_legend_handles_labels())}
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncol=min(4, len(handles)),
               fontsize=9, frameon=False)
    return fig
