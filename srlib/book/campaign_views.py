"""The campaign chapter's tables and figure, from what :mod:`srlib.campaign` reads and computes:
reader-facing column names and units (PFLOP, CPU-hours, dB), nothing computed here that the
library does not give."""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from .. import campaign
from ..formatting import format_interval, format_number
from ..paper import paper_cell

__all__ = ["architecture_costs", "architecture_scores", "equal_compute_table", "paper_psnr", "stage_table", "fidelity_figure", "scratch_runs_table", "continuations_table",
           "width_table", "rounds_table"]


def paper_psnr(method: str, scale: int, dataset: str = "Set5") -> float:
    """The paper's Table V PSNR of ``method`` (dB)."""
    return paper_cell("table5", method=method, scale=scale, dataset=dataset, column="psnr")


def stage_table(stages: Mapping) -> pd.DataFrame:
    """paper | ours | difference with bicubic, per stage (``{scale: PublishedResult}``) and benchmark."""
    rows = [{"scale": f"x{s}", "dataset": ds, "paper": paper_psnr("CSRCNN", s, ds), "ours": m["psnr"],
             "difference": m["psnr"] - paper_psnr("CSRCNN", s, ds), "bicubic": m["bicubic_psnr"]}
            for s, res in sorted(stages.items()) for ds, m in res.metrics["results"].items()]
    return pd.DataFrame(rows).set_index(["scale", "dataset"])


def fidelity_figure(stages: Mapping, curves: Mapping[int, pd.DataFrame], fits: Mapping, continued: Mapping,
                    rates: Mapping[int, float]):
    """Set5 PSNR against training PFLOP, one panel per stage (top axis: CPU-hours at the stage's
    ``rates``, FLOP per CPU-second): the validation inside the stage's schedule, the finished runs
    of its network (``curves``: :func:`srlib.campaign.finished_runs`), the saturation law and its
    ceiling's interval (``fits``: :func:`srlib.campaign.ceiling_estimate`), the widened network's
    runs among ``continued`` and the paper's CSRCNN and VDSR; one legend under the panels."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    fig, axes = plt.subplots(1, len(stages), figsize=(10, 3.8), squeeze=False)
    for ax, (s, res) in zip(axes[0], sorted(stages.items())):
        val = campaign.read_log(res.folder).dropna(subset=["psnr"])
        ax.plot(val.train_flops / 1e15, val.psnr, "-", color="0.6", lw=1, label="inside the stage's schedule")
        for kind, label in (("scratch", "finished run from scratch"), ("continued", "finished further training")):
            pts = curves[s][curves[s].kind == kind]
            ax.plot(pts.train_flops / 1e15, pts.set5_psnr, "o" if kind == "scratch" else "s", ms=4, ls="none",
                    color="tab:red", mfc="tab:red" if kind == "scratch" else "none", label=label)
        more = continued.get(s, pd.DataFrame())
        if len(more):
            wider = more[more.channels != res.config.channels]
            ax.plot(wider.cumulative_flops / 1e15, wider.set5_psnr, "^", ms=4, color="tab:purple",
                    label="widened network (another network)")
        est = fits.get(s)
        if est and est["fit"]["identified"]:
            grid = np.geomspace(curves[s].train_flops.min() / 1e15, est["ahead_pflop"], 200)
            ax.plot(grid, campaign.saturation_psnr(est["fit"], grid), "--", color="tab:red", lw=1, label="fitted law")
            ax.axhspan(est["low"], est["high"], color="tab:red", alpha=0.15, lw=0, label="its ceiling, 95 % interval")
        for method, color in (("CSRCNN", "tab:blue"), ("VDSR", "tab:green")):
            ax.axhline(paper_psnr(method, s), color=color, ls=":", lw=1.2, label=f"paper's {method}")
        top = ax.secondary_xaxis("top", functions=(lambda f, r=rates[s]: f * 1e15 / r / 3600,
                                                   lambda h, r=rates[s]: h * 3600 * r / 1e15))
        top.set_xlabel(f"x{s}: CPU-hours at the stage's speed")
        ax.set(xscale="log", xlabel="training PFLOP")
        for axis in (ax.xaxis, top.xaxis):
            axis.set_minor_formatter(NullFormatter())  # labelled minor ticks of a log axis overlap
    axes[0][0].set_ylabel("Set5 PSNR (dB)")
    handles = {label: h for ax in axes[0] for h, label in zip(*ax.get_legend_handles_labels())}
    fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0.17, 1, 1))
    return fig


def scratch_runs_table(scratch: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The runs from scratch (``{kind: frame of read_pilots}``), one row per stored run."""
    runs = pd.concat([t.assign(kind=k) for k, t in scratch.items()], ignore_index=True)
    network = [f"{c} ch, U {u}" + (f", {r} refined" if r else "")
               for c, u, r in zip(runs.channels, runs.u_blocks, runs.refined_blocks)]
    return pd.DataFrame({
        "stored run": runs.pilot, "kind": runs.kind, "network": network, "params (K)": runs.parameters / 1e3,
        "steps": runs.steps, "seed": runs.seed, "PFLOP": runs.train_flops / 1e15, "Set5 (dB)": runs.set5_psnr,
    }).set_index("stored run")


def continuations_table(gains: pd.DataFrame) -> pd.DataFrame:
    """The further trainings (:func:`srlib.campaign.continuation_gains`), one row per stored run:
    what it started from, its recipe, its compute from the stage's start, its Set5 and its gain."""
    recipe = [f"{c} ch, LR {lr:g}, {loss}, {p}x{b}" for c, lr, loss, p, b in
              zip(gains.channels, gains.lr, gains.loss, gains.patch, gains.batch)]
    return pd.DataFrame({
        "stored run": gains.name, "started from": gains.parent, "recipe (patch x batch)": recipe,
        "steps": gains.steps, "seed": gains.seed, "PFLOP": gains.cumulative_flops / 1e15,
        "Set5 (dB)": gains.set5_psnr, "gain (dB)": gains.gain,
    }).set_index("stored run")


def width_table(scratch_cmp: pd.DataFrame, widened_cmp: pd.DataFrame) -> pd.DataFrame:
    """Wider networks against the stage's (:func:`srlib.campaign.width_comparisons`,
    :func:`srlib.campaign.widened_comparisons`), one row per comparison."""
    def row(name, runs, flops, base_runs, base_flops, r):
        return {"comparison": name, "runs each": min(runs, base_runs), "its training PFLOP": flops / 1e15,
                "the stage width's training PFLOP": base_flops / 1e15, "difference (dB)": r.difference,
                "95 % interval (dB)": format_interval(r.low, r.high, 3, signed=True)}
    rows = [row(f"{r.channels} channels, from scratch", r.runs, r.train_flops, r.base_runs, r.base_flops, r)
            for r in scratch_cmp.itertuples()]
    rows += [row(f"widened to {r.wide_channels} channels (further training)", r.wide_runs, r.wide_flops,
                 r.base_runs, r.base_flops, r) for r in widened_cmp.itertuples()]
    return pd.DataFrame(rows).set_index("comparison")


def rounds_table(rounds: pd.DataFrame) -> pd.DataFrame:
    """What each recipe of further training bought (:func:`srlib.campaign.period_gains`)."""
    return pd.DataFrame({
        "started from": rounds.parent, "stored runs": rounds.names, "peak LR": rounds.lr.map("{:g}".format),
        "loss": rounds.loss, "steps": rounds.steps, "PFLOP from the stage's start": rounds.cumulative_flops / 1e15,
        "CPU-hours": rounds.cpu_seconds / 3600, "Set5, mean (dB)": rounds.set5_psnr, "gain (dB)": rounds.gain,
        "95 % interval (dB)": [format_interval(lo, hi, 3, signed=True) for lo, hi in zip(rounds.low, rounds.high)],
    }).set_index("started from")


def architecture_costs(summary: pd.DataFrame) -> pd.DataFrame:
    """What each network's chain cost (rows of :func:`srlib.campaign.architectures.chain_summary`
    with a ``network`` column): parameters, GFLOPs per training step, steps, the chain's PFLOPs
    and CPU-hours, indexed by scale and network."""
    return pd.DataFrame({"scale": summary.scale, "network": summary.network,
                         "parameters (M)": summary.parameters / 1e6, "GFLOPs per step": summary.flops_per_step / 1e9,
                         "steps": summary.steps, "PFLOPs (chain)": summary.train_flops / 1e15,
                         "CPU-hours (chain)": summary.cpu_seconds / 3600}).set_index(["scale", "network"]).sort_index()


def architecture_scores(summary: pd.DataFrame) -> pd.DataFrame:
    """Each network's PSNR (dB) on the benchmarks, indexed by scale and network."""
    return summary.set_index(["scale", "network"]).sort_index()[list(campaign.architectures.BENCHMARKS)]


def equal_compute_table(tables: Mapping[tuple[int, str], pd.DataFrame]) -> pd.DataFrame:
    """:func:`srlib.campaign.architectures.equal_compute` frames (``{(scale, axis): frame}``) as one
    narrow table: per scale, measure of compute and network read at the end of its schedule, its
    compute, its PSNR, the other network's PSNR at that compute, the difference with its 95 %
    interval, and whether the other's value is from the middle of its schedule."""
    rows = []
    for (scale, axis), frame in tables.items():
        for r in frame.itertuples():
            spent = getattr(r, axis)
            compute = f"{spent / 1e15:.2f} PFLOPs" if axis == "train_flops" else f"{spent / 3600:.2f} CPU-h"
            defined = r.other_psnr == r.other_psnr
            rows.append({"scale": scale, "measure": "training FLOPs" if axis == "train_flops" else "CPU-seconds",
                         "network at its end": r.network, "compute": compute, "PSNR": f"{r.psnr:.3f}",
                         "the other there": f"{r.other_psnr:.3f}" if defined else "beyond its curve",
                         "difference": (format_number(r.difference, 2, signed=True) + " "
                                        + format_interval(r.low, r.high, 2, signed=True)) if defined else "",
                         "other mid-schedule": ("yes" if r.other_in_schedule else "no") if defined else ""})
    return pd.DataFrame(rows).set_index(["scale", "measure", "network at its end"])

