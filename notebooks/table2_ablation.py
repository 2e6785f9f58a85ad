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
# (table2)=
# # Table II: the ablation
#
# The paper removes its three ideas one at a time and reports x4 PSNR on Set14:
#
# | Row | BP-U block | curriculum | asymmetric | how it is built here |
# |---|---|---|---|---|
# | FSRCNN | no | no | no | `srlib.models.fsrcnn`, trained directly at x4 (Y channel, as its paper) |
# | Model1 | yes | yes | no | `variant='model1'`: the full model's U blocks split evenly over the levels |
# | Model2 | yes | no | yes | `variant='model2'`: the full architecture trained end to end at x4 |
# | Model3 | no | yes | yes | `variant='tu'`: traditional U blocks (no subtraction, no concatenation) |
# | Full | yes | yes | yes | `variant='full'`: the full model with the curriculum (x2, then x4 from x2) |
#
# Every row is trained from several seeds at one budget (`srlib.ablations.BUDGETS`): each
# curriculum stage gets the same steps, and the end-to-end rows (FSRCNN, Model2) as many steps as
# the x2 and x4 stages together. The seeds are **paired**: seed *k* gives every row the same
# stream of training batches, so a row's difference to Full is measured seed by seed, and the
# spread of those differences, not of the scores, gives its confidence interval.
#
# The trainings cost CPU-hours, so they are run once (`python -m srlib ablations run`) and stored
# as small JSON records under `results/ablations/<profile>/` (scores per image on Set5 and Set14,
# the training's cost, its validation curve and its provenance); this page only reads them.
# Setting the parameter `retrain = 1` trains the rows whose records are missing. The runs are
# shared with {ref}`Table III <table3>` and {ref}`Figure 5 <figure5>` (Full = BP-U, Model3 = T-U).

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
#
# * reproduce an ablation table and read each row's difference to the full model;
# * judge a difference by its confidence interval over paired seeds, not by its sign.
# ```

# %% tags=["parameters"]
profile = "quick"
device = "auto"  # not used to read the records; build_book.sh passes it to every notebook
data_dir = ""  # data root for retraining (empty: SRLIB_DATA_DIR, else ./data)
datasets = "Set14,Set5"  # the paper's column first
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
import pandas as pd
import seaborn as sns
from myst_nb import glue

from srlib import ablations as ab
from srlib import book
from srlib.paper import load_paper_table

sns.set_theme(style="whitegrid", context="notebook")
TABLE, SCALE = "table2", 4
sets, start = shared.datasets, shared.start
records = ab.records_for(profile, (TABLE,), **shared.record_options)
scores = ab.table_scores(records, TABLE)
budget = ab.BUDGETS.get(profile)
# the larger budgets are read only: their records are committed, never trained by this page
records_by_budget = {name: records if name == profile else ab.load_records(name, results_dir)
                     for name in ab.shown_budgets(profile, TABLE)}
for name in records_by_budget:
    print(ab.table_status(name, TABLE, results_dir))


# %% [markdown]
# ## The table: the paper's numbers beside ours, at each budget
#
# Two budgets are stored: `quick` (narrow networks, every table) and `scale` (the CPU variant's
# 48-channel network with the campaign's recipe, at ten times or more of quick's training FLOPs
# per row). For each, "ours" is the mean over the seeds stored ± the half-width of its 95%
# confidence interval (Student t; the mean alone for a single seed), n the seeds stored of those
# planned; "vs paper" is ours minus the paper. The absolute numbers are far from the paper's at
# a CPU budget (see {doc}`../limitations`); the ablation's claim is in the differences between
# rows, the next table.

# %%
paper2 = load_paper_table("table2").set_index("model")
rows = list(paper2.index)
by_budget = ab.budget_summary(records_by_budget, TABLE)
shown = ab.budget_table(by_budget).xs(("Set14", f"x{SCALE}"), level=("dataset", "scale")).reindex(rows)
flags = paper2[["bpu_block", "curriculum", "asymmetric"]].replace({True: "✓", False: "×"})
flags.columns = pd.MultiIndex.from_product([["design"], ["BP-U", "curriculum", "asymmetric"]])
table = flags.join(shown).rename_axis("row")
display(book.styled(table, f"Table II: ablation, Set14 x{SCALE} PSNR (dB): paper | each budget's mean over seeds "
                           "± 95% CI, n (seeds stored / planned), vs paper (ours minus the paper)", "table2"))
for name, stored in records_by_budget.items():
    print(ab.describe(ab.table_records(stored, TABLE), f"Table II's records, budget {name}"))

# %% [markdown]
# ## What each removed idea costs
#
# The paper's claim is about **differences between rows**: each idea adds a little, and all three
# together add most. Below, Full minus each row, paired by seed (the same seed's Full against the
# same seed's row), with its 95% confidence interval and a verdict on the paper's claim that the
# row is worse than Full.

# %%
REMOVED = {"Model1": "asymmetry (6-4-2 blocks)", "Model2": "curriculum", "Model3": "BP-U block",
           "FSRCNN": "all three"}
diffs = ab.paired_differences(scores, "Full")
diffs = diffs[(diffs.dataset == "Set14") & (diffs.scale == SCALE)].set_index("row") if len(diffs) else diffs
costs = []
for row, idea in REMOVED.items():
    paper_cost = paper2.loc["Full", "set14_x4_psnr"] - paper2.loc[row, "set14_x4_psnr"]
    if row in diffs.index and diffs.loc[row, "n"] > 0:
        d = diffs.loc[row]
        # paired_differences gives row - Full: the cost is its negative
        cost, low, high, n = -d["difference"], -d["ci_high"], -d["ci_low"], int(d["n"])
        verdict = ab.verdict(low, high, n)
    else:  # one of the two rows not run yet, or no seed that both have
        cost, low, high, n = math.nan, math.nan, math.nan, 0
        verdict = "no paired seed yet" if {row, "Full"} <= set(scores[scores.dataset == "Set14"].row) else "not run yet"
    costs.append({"row": row, "idea removed": idea, "paper: Full - row": paper_cost, "ours: Full - row": cost,
                  "ci_low": low, "ci_high": high, "n": n, "verdict": verdict})
costs = pd.DataFrame(costs).set_index("row")
shown = pd.DataFrame({"idea removed": costs["idea removed"],
                      "paper: Full - row (dB)": costs["paper: Full - row"].map(lambda v: book.format_number(v, 2, True)),
                      "ours: Full - row (dB)": [book.format_number(v, 2, True) if n else verdict
                                                for v, n, verdict in zip(costs["ours: Full - row"], costs.n,
                                                                         costs.verdict)],
                      "95% CI": [book.format_interval(lo, hi, 2, True) for lo, hi in zip(costs.ci_low, costs.ci_high)],
                      "n": costs.n, "verdict": costs.verdict})
display(book.styled(shown, f"What each removed idea costs, Set14 x{SCALE} (dB): paper vs ours (budget {profile}), paired by seed",
                    "table2-deltas"))
print(f"verdict rule: {ab.VERDICT_RULE}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.6))
x = range(len(costs))
ok = costs["ours: Full - row"].notna()
yerr = [(costs["ours: Full - row"] - costs.ci_low).fillna(0), (costs.ci_high - costs["ours: Full - row"]).fillna(0)]
ax.errorbar([i - 0.1 for i in x], costs["ours: Full - row"], yerr=yerr, fmt="o", capsize=4, color="C0",
            label=f"ours (mean, 95% CI, profile {profile})")
ax.plot([i + 0.1 for i in x], costs["paper: Full - row"], "D", color="C3", label="paper")
for i, (row, has) in enumerate(ok.items()):
    if not has:
        ax.annotate("not run yet", (i - 0.1, 0), ha="center", va="bottom", fontsize=8, color="gray")
ax.axhline(0, color="black", lw=0.8)
SHORT = {"Model1": "no asymmetry", "Model2": "no curriculum", "Model3": "no BP-U block", "FSRCNN": "none of the three"}
ax.set_xticks(list(x), [f"{row}\n({SHORT[row]})" for row in costs.index], fontsize=8)
ax.set(ylabel="Full - row, PSNR (dB)", title=f"Table II: what removing each idea costs (Set14 x{SCALE})")
ax.legend(fontsize=8, loc="upper left")
fig.tight_layout()
book.save_figure(fig, "table2_deltas")
plt.show()

# %% [markdown]
# ## Seed by seed
#
# The score of every row for every seed. A row and Full trained from the same seed saw the same
# batches; the seeds move every row up or down together, which is why the paired differences
# above are tighter than the spread of any one row.

# %%
if len(scores):
    per_seed = (scores[scores.dataset == "Set14"].pivot_table(index="row", columns="seed", values="psnr")
                .reindex(rows))
    per_seed.columns = [f"seed {s}" for s in per_seed.columns]
else:
    per_seed = pd.DataFrame(index=pd.Index(rows, name="row"), columns=["seeds"], dtype=float)
display(book.styled(per_seed, f"Set14 x{SCALE} PSNR (dB) of every row and seed stored (— : not run yet)",
                    "table2-seeds", precision=2))
full = scores[(scores.row == "Full") & (scores.dataset == "Set14")].psnr
spread = float(full.max() - full.min()) if len(full) > 1 else math.nan
if len(full) > 1:
    print(f"Full over {len(full)} seeds: {full.mean():.2f} dB, spread (max - min) {spread:.2f} dB")
else:
    print("Full has fewer than two seeds stored: no spread yet")

# %%
if "Set5" in sets:
    set5 = ab.budget_table(by_budget).xs(("Set5", f"x{SCALE}"), level=("dataset", "scale")).reindex(rows)
    set5 = set5.drop(columns=[c for c in set5.columns if c[0] == "paper" or c[1] == "vs paper"])
    display(book.styled(set5.rename_axis("row"), f"The same networks on Set5 x{SCALE} (not in the paper's Table II): "
                                                 "each budget's mean over seeds ± 95% CI, n", "table2-set5"))
get = lambda frame, key, col: float(frame.loc[key, col]) if key in frame.index else math.nan
glue("table2_full_minus_fsrcnn", get(costs, "FSRCNN", "ours: Full - row"), display=False)
glue("table2_full", float(full.mean()) if len(full) else math.nan, display=False)
glue("table2_seed_spread", spread, display=False)
for name in records_by_budget:  # the full model's Set14 mean at each budget (NaN: not trained yet)
    hit = by_budget[(by_budget.budget == name) & (by_budget.row == "Full") & (by_budget.dataset == "Set14")]
    glue(f"table2_full_{name}", float(hit["mean"].iloc[0]) if len(hit) else math.nan, display=False)
print(f"this page: {book.format_duration(time.perf_counter() - start)}")
