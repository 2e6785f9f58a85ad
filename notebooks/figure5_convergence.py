# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# (figure5)=
# # Figure 5: convergence with and without back-projection
#
# The paper's Figure 5 follows PSNR during training for the network with BP-U blocks and the one
# with traditional U blocks: the first converges faster and higher. Here the curves are the
# validations stored with the records of {ref}`Table III <table3>`: every run of the curriculum
# validates on all of Set5 at its stage's scale every few dozen steps, and records the step and
# the CPU time it had spent. The same seeds train both networks on the same batches, so the curves
# are compared seed by seed. Two stages are shown: x2, where both networks start from scratch, and
# x4, which each continues from its own x2 network.

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
#
# * draw convergence curves from stored validations and compare two architectures over steps and CPU time;
# * turn "converges faster" into a number with a confidence interval: the training needed to reach a common PSNR.
# ```

# %% tags=["parameters"]
profile = "quick"
device = "auto"  # not used to read the records; build_book.sh passes it to every notebook
data_dir = ""  # data root for retraining (empty: SRLIB_DATA_DIR, else ./data)
scale = 4  # the records whose curriculum is drawn (x2, then x4)
results_dir = "results/ablations"  # the stored records: <results_dir>/<profile>/*.json
retrain = 0  # 1: train the Table III units whose records are missing from results_dir (CPU-hours at quick)
runs_dir = "runs/ablations"  # where retraining trains
jobs = 2  # retraining: single-thread training processes side by side

# %% tags=["remove-cell"]
from srlib import ablations as ab
from srlib import book

shared = book.shared_parameters(globals(), profiles=ab.BUDGETS)  # a bad parameter stops the notebook here, in one line

# %%
import math
import time
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from myst_nb import glue

from srlib import ablations as ab
from srlib import book

sns.set_theme(style="whitegrid", context="notebook")
TABLE = "table3"  # Figure 5's runs are Table III's
scale, start = shared.scales[0], shared.start
records = ab.records_for(profile, (TABLE,), **shared.record_options)
BLOCKS = {"full": "BP-U", "tu": "T-U"}
mine = [r for r in records if r["variant"] in BLOCKS and not r["notation"] and not r.get("tag") and r["scale"] == scale]
stages = [2 ** i for i in range(1, scale.bit_length())]
print(f"{len(mine)} records of BP-U / T-U at x{scale} stored under "
      f"{book.display_path(book.resolve(results_dir) / profile)}"
      + (f" (of {2 * ab.BUDGETS[profile].seeds} planned)" if profile in ab.BUDGETS else ""))
print(ab.describe(mine, "Figure 5's records"))

# %% [markdown]
# ## The curves
#
# Each line is the mean over the seeds stored, the band their range (lowest to highest). Against
# CPU time the seeds validate at slightly different times, so each is interpolated onto a common
# grid first (the span every seed covers).

# %%
curves = []
for r in mine:
    for s in r["stages"]:
        for step, cpu, psnr in s["validation"]:
            curves.append({"block": BLOCKS[r["variant"]], "seed": r["seed"], "stage": s["scale"], "step": step,
                           "cpu_seconds": cpu, "psnr": psnr})
curves = pd.DataFrame(curves, columns=["block", "seed", "stage", "step", "cpu_seconds", "psnr"])


def on_grid(frame, x, points=60):
    """Per block: mean, min and max over seeds of PSNR against ``x`` (the CPU axis interpolated)."""
    out = []
    for block, group in frame.groupby("block"):
        if x == "step":
            agg = group.groupby("step").psnr.agg(["mean", "min", "max", "count"]).reset_index()
            out.append(agg.rename(columns={"step": "x"}).assign(block=block))
            continue
        runs = [g.sort_values(x) for _, g in group.groupby("seed")]
        lo, hi = max(g[x].iloc[0] for g in runs), min(g[x].iloc[-1] for g in runs)
        if hi <= lo:
            continue
        grid = np.linspace(lo, hi, points)
        ys = np.array([np.interp(grid, g[x], g.psnr) for g in runs])
        out.append(pd.DataFrame({"x": grid, "mean": ys.mean(0), "min": ys.min(0), "max": ys.max(0),
                                 "count": len(runs), "block": block}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["x", "mean", "min", "max", "block"])


fig, axes = plt.subplots(len(stages), 2, figsize=(9, 3.4 * len(stages)), squeeze=False)
for i, s in enumerate(stages):
    for j, (x, label) in enumerate((("step", "training step of the stage"), ("cpu_seconds", "CPU seconds of the stage"))):
        ax = axes[i][j]
        data = on_grid(curves[curves.stage == s], x)
        for k, (block, g) in enumerate(data.groupby("block", sort=False)):
            colour = "C0" if block == "BP-U" else "C1"
            ax.plot(g.x, g["mean"], color=colour, label=f"{block} ({int(g['count'].max())} seeds)")
            ax.fill_between(g.x, g["min"], g["max"], color=colour, alpha=0.2, lw=0)
        if data.empty:
            ax.text(0.5, 0.5, "not run yet", transform=ax.transAxes, ha="center", color="gray")
        else:
            ax.legend(fontsize=9, loc="lower right")
        ax.set(xlabel=label, ylabel=f"Set5 x{s} PSNR (dB)",
               title=f"x{s} stage" + (" (from scratch)" if s == 2 else f" (from each one's x{s // 2} network)"))
fig.suptitle(f"Figure 5 (ours, profile {profile}): BP-U vs T-U, mean over seeds, band min-max")
fig.tight_layout()
book.save_figure(fig, "figure5_convergence")
plt.show()

# %% [markdown]
# ## How much faster? Training to a common PSNR
#
# A curve that lies higher reaches a given PSNR sooner. The measure
# (`srlib.ablations.convergence`): per stage, the threshold is the highest Set5 PSNR that *every*
# run of both networks reaches, and each run's cost is the steps and CPU seconds of that stage it
# took to first reach it. T-U minus BP-U, paired by seed, is what back-projection saves
# (positive: BP-U is faster); its verdict is on the paper's claim that BP-U converges faster.

# %%
per_seed, deltas = [], []
for s in stages:
    conv = ab.convergence(mine, list(BLOCKS), scale, stage=s)
    if conv.empty:
        deltas += [{"stage": f"x{s}", "measure": m, "threshold (dB)": book.NO_VALUE,
                    "T-U - BP-U": "not run yet", "95% CI": book.NO_VALUE, "n": 0, "verdict": "not run yet"}
                   for m in ("steps", "CPU seconds")]
        continue
    wide = conv.assign(block=conv.variant.map(BLOCKS)).pivot_table(index="seed", columns="block",
                                                                  values=["steps", "cpu_seconds"])
    for seed, r in wide.iterrows():
        per_seed.append({"stage": f"x{s}", "seed": seed,
                         **{f"{b}: steps": r.get(("steps", b), math.nan) for b in BLOCKS.values()},
                         **{f"{b}: CPU s": r.get(("cpu_seconds", b), math.nan) for b in BLOCKS.values()}})
    for column, measure, decimals in (("steps", "steps", 0), ("cpu_seconds", "CPU seconds", 0)):
        both = wide[column].reindex(columns=list(BLOCKS.values())).dropna() if column in wide else pd.DataFrame()
        diff = (both["T-U"] - both["BP-U"]) if len(both) else pd.Series(dtype=float)
        m, lo, hi = ab.mean_ci(diff.values)
        n = len(diff)
        deltas.append({"stage": f"x{s}", "measure": measure, "threshold (dB)": f"{conv.threshold.iloc[0]:.2f}",
                       "T-U - BP-U": book.format_number(m, decimals, signed=True) if n else "no paired seed yet",
                       "95% CI": book.NO_VALUE if math.isnan(lo) else
                       f"[{book.format_number(lo, decimals, True)}, {book.format_number(hi, decimals, True)}]",
                       "n": n, "verdict": ab.verdict(lo, hi, n) if n else "no paired seed yet"})
per_seed = (pd.DataFrame(per_seed).set_index(["stage", "seed"]) if per_seed else  # none: one empty row per stage
            pd.DataFrame(index=pd.MultiIndex.from_tuples([(f"x{s}", "none stored") for s in stages],
                                                         names=["stage", "seed"]),
                         columns=["BP-U: steps", "T-U: steps", "BP-U: CPU s", "T-U: CPU s"], dtype=float))
display(book.styled(per_seed, "Figure 5: steps and CPU seconds of each stage to first reach the common threshold "
                              "(Set5), per seed", "figure5-convergence", precision=0))
display(book.styled(pd.DataFrame(deltas).set_index(["stage", "measure"]),
                    "What back-projection saves: T-U - BP-U to the common threshold, paired by seed",
                    "figure5-deltas"))
print(f"verdict rule: {ab.VERDICT_RULE}")

# %% [markdown]
# Where the curves end is Table III's x4 column: the networks' final scores on all of Set5 and
# Set14 are in {ref}`Table III <table3>`. The paper gives no numbers for its Figure 5 itself.

# %%
ends = ab.table_scores(mine, TABLE)
gap = ab.paired_differences(ends, "T-U") if len(ends) else pd.DataFrame(columns=["row", "dataset", "difference"])
gap = gap[(gap.row == "BP-U") & (gap.dataset == "Set5")].difference
glue("figure5_gain", float(gap.iloc[0]) if len(gap) else math.nan, display=False)
print(f"this page: {book.format_duration(time.perf_counter() - start)}")
