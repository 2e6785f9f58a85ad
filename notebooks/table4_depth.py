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
# (table4)=
# # Table IV: how many U and R blocks?
#
# Table IV varies the depth of a two-level (x4) network: U{sub}`n` BP-U blocks per level, a transposed
# convolution T, then R{sub}`m` refined blocks (one row has a U block in HR space instead). Each row
# is written in the paper's notation, which `srlib` parses (`CSRCNNConfig.from_notation`), and is
# trained with the curriculum (x2, then x4 from x2).
#
# Besides the paper's nine rows, one more is trained: **U2TR1 U2TR1**, not in the paper. It is the
# counterpart of the paper's U2TU1 U2TU1 (the same blocks per level, a refined block in HR space
# instead of a U block), which the paper's reading "refined blocks beat U blocks in HR space"
# needs and its table lacks.
#
# Every row is trained from several paired seeds (seed *k* gives every row the same batches) at
# Table IV's own budget (`srlib.ablations.BUDGETS`: its refined blocks work in HR space and cost
# many times a U-block step, so fewer steps and seeds than Tables II and III). The trainings are
# run once (`python -m srlib ablations run`) and stored as records under
# `results/ablations/<profile>/`; this page reads them (`retrain = 1` trains the missing ones).
# The parameter counts are exact whatever the profile.

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
#
# * write a network in the paper's Table IV notation and count its parameters exactly;
# * tell a depth effect from seed noise with paired seeds and confidence intervals.
# ```

# %% tags=["parameters"]
profile = "quick"
device = "auto"  # not used to read the records; build_book.sh passes it to every notebook
data_dir = ""  # data root for retraining (empty: SRLIB_DATA_DIR, else ./data)
datasets = "Set5,Set14"
results_dir = "results/ablations"  # the stored records: <results_dir>/<profile>/*.json
retrain = 0  # 1: train this table's units whose records are missing from results_dir (CPU-hours at quick)
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
from srlib.models.csrcnn import CSRCNNConfig
from srlib.paper import load_paper_table
from srlib.param_counts import config_parameters

sns.set_theme(style="whitegrid", context="notebook")
TABLE, REFERENCE = "table4", "U2TR0 U2TR0"
sets, start = shared.datasets, shared.start
records = ab.records_for(profile, (TABLE,), **shared.record_options)
scores = ab.table_scores(records, TABLE)
scores = scores[scores.dataset.isin(sets)]
budget = ab.BUDGETS.get(profile)
print(ab.table_status(profile, TABLE, results_dir))
paper4 = load_paper_table("table4")
ROWS = [*paper4.notation, *ab.TABLE4_EXTRA]


# %% [markdown]
# ## Parameters: the paper's full-width (64 channels) counts against our networks at 64 channels

# %%
counts = pd.DataFrame({"method": ROWS,
                       "params_k": [config_parameters(CSRCNNConfig.from_notation(n)) / 1000 for n in ROWS]})
paper_params = pd.concat([paper4.rename(columns={"notation": "method"})[["method", "params_k"]],
                          pd.DataFrame({"method": list(ab.TABLE4_EXTRA), "params_k": math.nan})], ignore_index=True)
cmp_params = book.compare(paper_params, counts, on=["method"], values=["params_k"])
params_table = book.comparison_table(cmp_params, ["method"], "params_k", 0)
params_table.index = [f"{m} (not in the paper)" if m in ab.TABLE4_EXTRA else m for m in params_table.index]
book.styled(params_table, "Table IV, parameters (K) at 64 channels: paper | ours | difference", "table4-params")

# %% [markdown]
# ## PSNR at x4
#
# "Ours" is the mean over the seeds stored ± the half-width of its 95% confidence interval
# (Student t; none for a single seed), n the number of seeds; "difference" is ours minus the
# paper. Our networks are trained at the profile's width and budget, far below the paper's (see
# {doc}`../limitations`): the absolute numbers are not the point, the differences between rows are.

# %%
summ = ab.summary(scores).set_index(["row", "dataset"])
params_k = counts.set_index("method").params_k
out = []
for row in ROWS:
    line = {"row": row, ("", "params (K)"): f"{params_k[row]:.0f}"}
    n = 0
    for d in sets:
        paper = paper4.set_index("notation")[f"{d.lower()}_psnr"].get(row, math.nan)
        hit = summ.loc[(row, d)] if (row, d) in summ.index else None
        mean = hit["mean"] if hit is not None else math.nan
        line[(d, "paper")] = "not in the paper" if row in ab.TABLE4_EXTRA else book.format_number(paper, 2)
        line[(d, "ours")] = book.format_mean_ci(hit)
        line[(d, "difference")] = book.format_number(mean - paper, 2, signed=True)
        n = max(n, int(hit["n"]) if hit is not None else 0)
    line[("", "n")] = n
    out.append(line)
table = pd.DataFrame(out).set_index("row")
table.columns = pd.MultiIndex.from_tuples(table.columns)
seeds_note = f"; n: seeds stored, of {budget.seeds_for(TABLE)} planned" if budget else ""
display(book.styled(table, f"Table IV, x4 PSNR (dB): paper | ours (mean over seeds ± 95% CI) | difference; "
                           f"parameters at 64 channels{seeds_note}", "table4"))
print(ab.describe(ab.table_records(records, TABLE), "Table IV's records"))
trained = scores.drop_duplicates("row").set_index("row").reindex(ROWS).parameters.dropna() \
    if "parameters" in scores else pd.Series(dtype=float)
if len(trained):
    print(f"parameters of the trained networks at profile {profile}'s width: "
          + ", ".join(f"{row} {int(v):,}" for row, v in trained.items()))

# %% [markdown]
# ## Deeper, or just another seed?
#
# The paper's reading of its table: deeper is better, and refined blocks beat an equal number of U
# blocks in HR space. Measured as each row's gain over the shallowest row, U2TR0 U2TR0, paired by
# seed, the paper's gains and ours are on one scale: ours with its 95% confidence interval.

# %%
diffs = ab.paired_differences(scores, REFERENCE)
diffs = diffs.set_index(["row", "dataset"]) if len(diffs) else diffs
paper_idx = paper4.set_index("notation")
gains = []
for row in ROWS:
    if row == REFERENCE:
        continue
    line = {"row": row}
    n = 0
    for d in sets:
        paper = paper_idx[f"{d.lower()}_psnr"].get(row, math.nan) - paper_idx.loc[REFERENCE, f"{d.lower()}_psnr"]
        hit = diffs.loc[(row, d)] if (row, d) in diffs.index and diffs.loc[(row, d), "n"] > 0 else None
        if hit is not None:
            hit = {"mean": hit["difference"], "ci_low": hit["ci_low"], "ci_high": hit["ci_high"], "n": hit["n"]}
        line[(d, "paper")] = "not in the paper" if row in ab.TABLE4_EXTRA else book.format_number(paper, 2, True)
        present = set(scores[scores.dataset == d].row)
        line[(d, "ours")] = book.format_mean_ci(hit, 2, signed=True, missing="no paired seed yet" if {row, REFERENCE} <= present
                                      else "not run yet")
        line[(d, "_mean")], line[(d, "_low")], line[(d, "_high")], line[(d, "_paper")] = (
            (hit["mean"], hit["ci_low"], hit["ci_high"]) if hit is not None else (math.nan,) * 3) + (paper,)
        n = max(n, int(hit["n"]) if hit is not None else 0)
    line[("", "n")] = n
    gains.append(line)
gains = pd.DataFrame(gains).set_index("row")
gains.columns = pd.MultiIndex.from_tuples(gains.columns)
shown = gains[[c for c in gains.columns if not c[1].startswith("_")]]
display(book.styled(shown, f"Table IV: each row minus {REFERENCE}, x4 PSNR (dB), paper vs ours (mean over paired "
                           "seeds ± 95% CI)", "table4-deltas"))

# %%
# one column per network, in the paper's order (depth, then what sits in HR space), with the
# extra row beside its counterpart U2TU1; the tick gives its parameters at 64 channels
order = sorted(gains.index, key=lambda r: (r[1], {"R0": 0, "U1": 1, "R1": 2, "R2": 3}[r[3:5]]))
fig, axes = plt.subplots(len(sets), 1, figsize=(9, 3.5 * len(sets)), sharex=True, squeeze=False)
for ax, d in zip(axes[:, 0], sets):
    g = gains.reindex(order)
    x = np.arange(len(order))
    mean, low, high = g[(d, "_mean")], g[(d, "_low")], g[(d, "_high")]
    ok = mean.notna().values
    ax.plot(x + 0.12, g[(d, "_paper")], "D", color="C3", label="paper")
    ax.errorbar(x[ok] - 0.12, mean[ok], yerr=[(mean - low).fillna(0)[ok], (high - mean).fillna(0)[ok]], fmt="o",
                capsize=4, color="C0", label=f"ours (mean over paired seeds, 95% CI, profile {profile})")
    for i in x[~ok]:
        ax.annotate("not run yet", (i - 0.12, 0), rotation=90, ha="center", va="bottom", fontsize=9, color="gray")
    ax.axhline(0, color="black", lw=0.8)
    ax.set(ylabel=f"{d} x4 PSNR gain (dB)", title=f"{d}: gain over {REFERENCE} (the shallowest network)")
axes[0, 0].legend(loc="lower left", bbox_to_anchor=(0, 1.12), ncol=2, frameon=False)  # above the plot
axes[-1, 0].set_xticks(x, [f"{r.split(' ')[0]}{'*' if r in ab.TABLE4_EXTRA else ''}\n{params_k[r]:.0f}K"
                           for r in order], fontsize=9)
axes[-1, 0].set_xlabel("network (* not in the paper) and its parameters at 64 channels")
fig.tight_layout()
book.save_figure(fig, "table4_psnr_vs_params")
plt.show()

# %% [markdown]
# The row that is not in the paper answers its missing comparison: a refined block against a U
# block in HR space, with everything else equal (U2TR1 U2TR1 minus U2TU1 U2TU1, paired by seed).

# %%
pair = ab.paired_differences(scores, "U2TU1 U2TU1")
for d in sets:
    hit = pair[(pair.row == "U2TR1 U2TR1") & (pair.dataset == d)] if len(pair) else pair
    n = int(hit.n.iloc[0]) if len(hit) else 0
    if n:
        m, lo, hi = (float(hit[c].iloc[0]) for c in ("difference", "ci_low", "ci_high"))
        ci = f"95% CI [{lo:+.2f}, {hi:+.2f}]" if not math.isnan(lo) else "no CI (one seed)"
        print(f"{d} x4: U2TR1 U2TR1 - U2TU1 U2TU1 = {m:+.2f} dB, {ci}, n = {n}: {ab.verdict(lo, hi, n)}")
    else:
        print(f"{d} x4: U2TR1 U2TR1 - U2TU1 U2TU1: not run yet (no seed has both rows)")
print(f"verdict rule: {ab.VERDICT_RULE}")
glue("table4_rows_trained", int(scores.row.nunique()), display=False)
print(f"this page: {book.format_duration(time.perf_counter() - start)}")
