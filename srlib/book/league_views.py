"""The league chapter's tables and figures, from :mod:`srlib.league`'s frames."""
from __future__ import annotations

import pandas as pd

from .tables import format_mean_ci

__all__ = ["cost_table", "standings_table", "cited_gap_table", "late_gain_table", "learning_curves_figure"]


def cost_table(costs: pd.DataFrame) -> pd.DataFrame:
    """:func:`srlib.league.inference_costs` with readers' column names, indexed by scale and entrant."""
    return pd.DataFrame({"scale": costs.scale, "network": costs.entrant, "parameters (M)": costs.parameters / 1e6,
                         "GFLOPs": costs.gflops, "time (ms)": costs.time_ms}).set_index(["scale", "network"]) \
        .sort_index(level="scale", sort_remaining=False)


def standings_table(standings: pd.DataFrame, scale: int, metric: str = "psnr") -> pd.DataFrame:
    """One scale of :func:`srlib.league.standings`, one row per network: ``metric`` (``psnr`` or
    ``ssim``) per benchmark as mean ± 95 % half-width over seeds, and for PSNR the cited Set5 value
    of the paper's Table V, ours minus it and the training CPU-seconds."""
    if metric not in ("psnr", "ssim"):
        raise ValueError(f"metric {metric!r}: expected 'psnr' or 'ssim'")
    part = standings[standings.scale == scale]
    digits = 2 if metric == "psnr" else 4
    cells = [format_mean_ci({"mean": m, "ci_low": lo, "ci_high": hi}, digits)
             for m, lo, hi in zip(part[metric], part[f"{metric}_low"], part[f"{metric}_high"])]
    wide = part.assign(cell=cells).pivot(index="entrant", columns="dataset", values="cell")
    wide = wide[[d for d in dict.fromkeys(part.dataset)]]
    wide.columns = [f"{d} ({', '.join(sorted(set(part[part.dataset == d].subset)))})"
                    if part[part.dataset == d].subset.ne("").any() else d for d in wide.columns]
    if metric == "psnr":
        set5 = part[part.dataset == "Set5"].set_index("entrant")
        wide["cited Set5"] = set5.cited_psnr
        wide["ours - cited, Set5"] = set5.ours_minus_cited.round(2)
        wide["seeds"] = set5.n
        wide["training CPU-s"] = part.groupby("entrant").cpu_seconds.first().round(0)
    wide.index.name = "network"
    return wide


def cited_gap_table(standings: pd.DataFrame) -> pd.DataFrame:
    """Ours minus the paper's cited Table V PSNR (dB), per scale and network (rows) and benchmark
    (columns); empty where the comparison is not like for like (a subset of the images, a network
    the paper does not cite)."""
    wide = standings.pivot_table(index=["scale", "entrant"], columns="dataset", values="ours_minus_cited",
                                 aggfunc="first", dropna=False)
    wide = wide[[d for d in dict.fromkeys(standings.dataset) if d in wide]]
    wide.index.names = ["scale", "network"]
    return wide


def late_gain_table(gains: pd.DataFrame, start: float) -> pd.DataFrame:
    """:func:`srlib.league.late_gain` as the chapter prints it: per scale and network, the Set5
    PSNR gained over the last part of the budget, mean ± 95 % half-width over seeds."""
    label = f"Set5 gain in the last {1 - start:.0%} of the budget (dB)"
    return pd.DataFrame({"scale": gains.scale, "network": gains.entrant,
                         label: [format_mean_ci({"mean": m, "ci_low": lo, "ci_high": hi}, 2, signed=True)
                                 for m, lo, hi in zip(gains.gain, gains.low, gains.high)],
                         "seeds": gains.n}).set_index(["scale", "network"]).sort_index()


def learning_curves_figure(curves: pd.DataFrame, width_in: float = 8.5):
    """One panel per scale: each network's Set5 PSNR against the training CPU-seconds spent (the
    mean over seeds at each validation), the legend below the panels. ``None`` without curves."""
    import matplotlib.pyplot as plt

    if not len(curves):
        return None
    scales = sorted(curves.scale.unique())
    colours = {name: f"C{i}" for i, name in enumerate(dict.fromkeys(curves.entrant))}  # one colour per network
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
