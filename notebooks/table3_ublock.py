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
# (table3)=
# # Table III: BP-U block against the traditional U block
#
# The BP-U block (`srlib.models.blocks.BPUBlock`) differs from a traditional U block
# (`TUBlock`, "T-U") in two places: the concatenation of eq. (3) and the back-projection
# subtraction of eq. (4). Table III compares two otherwise identical networks, trained with the
# same curriculum, at x4 and x8 on Set5 and Set14. Here both are trained with the curriculum (x2,
# then x4 from x2, then x8 from x4) from several paired seeds at one budget
# (`srlib.ablations.BUDGETS`): seed *k* gives both networks the same training batches, so
# BP-U minus T-U is measured seed by seed.
#
# The trainings are run once (`python -m srlib ablations run`) and stored as records under
# `results/ablations/<profile>/`; this page reads them (`retrain = 1` trains the missing ones).
# They are shared with {ref}`Table II <table2>` (BP-U = Full, T-U = Model3) and
# {ref}`Figure 5 <figure5>`.

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
#
# * explain what the BP-U block adds to a U block (the concatenation and the back-projection subtraction);
# * compare two blocks trained under the same budget from paired seeds and say what the comparison can and cannot show.
# ```

# %% tags=["parameters"]
profile = "quick"
device = "auto"  # not used to read the records; build_book.sh passes it to every notebook
data_dir = ""  # data root for retraining (empty: SRLIB_DATA_DIR, else ./data)
scales = "4,8"
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

import pandas as pd
from myst_nb import glue

from srlib import ablations as ab
from srlib import book
from srlib.paper import load_paper_table

TABLE = "table3"
scale_list, sets, start = shared.scales, shared.datasets, shared.start
records = ab.records_for(profile, (TABLE,), **shared.record_options)
scores = ab.table_scores(records, TABLE)
scores = scores[scores.scale.isin(scale_list) & scores.dataset.isin(sets)]
# the larger budgets are read only: their records are committed, never trained by this page
records_by_budget = {name: records if name == profile else ab.load_records(name, results_dir)
                     for name in ab.shown_budgets(profile, TABLE)}
for name in records_by_budget:
    print(ab.table_status(name, TABLE, results_dir))


# %% [markdown]
# ## The table: the paper's numbers beside ours, at each budget
#
# Two budgets are stored: `quick` (narrow networks) and `scale` (the CPU variant's 48-channel
# network with the campaign's recipe, at ten times or more of quick's training FLOPs per row).
# For each, "ours" is the mean over the seeds stored ± the half-width of its 95% confidence
# interval (Student t; the mean alone for a single seed), n the seeds stored of those planned;
# "vs paper" is ours minus the paper. The absolute numbers are far from the paper's at a CPU
# budget (see {doc}`../limitations`); the claim is the sign and size of BP-U minus T-U, further down.

# %%
paper3 = load_paper_table("table3")
by_budget = {value: ab.budget_summary(records_by_budget, TABLE, value, datasets=sets, scales=scale_list)
             for value in ("psnr", "ssim")}
for value, decimals, table_id in (("psnr", 2, "table3"), ("ssim", 3, "table3-ssim")):
    measure = "PSNR (dB)" if value == "psnr" else "SSIM"
    display(book.styled(ab.budget_table(by_budget[value], decimals), f"Table III, {measure}: paper | each budget's mean "
                        "over seeds ± 95% CI, n (seeds stored / planned), vs paper (ours minus the paper)", table_id,
                        precision=decimals))
for name, stored in records_by_budget.items():
    print(ab.describe(ab.table_records(stored, TABLE), f"Table III's records, budget {name}"))

# %% [markdown]
# ## What back-projection adds: BP-U minus T-U, paired by seed
#
# The claim is the sign and size of **BP-U minus T-U**. Each seed trains both networks on the same
# batches; the difference of the two is taken seed by seed, and its mean gets a 95% confidence
# interval. The verdict is on the paper's claim that BP-U is better.

# %%
gap = []
for name, stored in records_by_budget.items():
    at = ab.table_scores(stored, TABLE)
    at = at[at.scale.isin(scale_list) & at.dataset.isin(sets)]
    for value, decimals in (("psnr", 2), ("ssim", 3)):
        diffs = ab.paired_differences(at, "T-U", value=value)
        for s in scale_list:
            for d in sets:
                p = paper3[paper3.scale == s].set_index("block")[f"{d.lower()}_{value}"]
                hit = diffs[(diffs.row == "BP-U") & (diffs.scale == s) & (diffs.dataset == d)]
                n = int(hit.n.iloc[0]) if len(hit) else 0
                mean, low, high = (float(hit[c].iloc[0]) for c in ("difference", "ci_low", "ci_high")) if n else \
                    (math.nan,) * 3
                present = set(at[(at.scale == s) & (at.dataset == d)].row)
                why = "no paired seed yet" if {"BP-U", "T-U"} <= present else ab.NOT_TRAINED
                gap.append({"measure": "PSNR (dB)" if value == "psnr" else "SSIM", "dataset": d, "scale": f"x{s}",
                            "budget": name,
                            "paper: BP-U - T-U": book.format_number(p["BP-U"] - p["T-U"], decimals, signed=True),
                            "ours: BP-U - T-U": book.format_number(mean, decimals, signed=True) if n else why,
                            "95% CI": book.format_interval(low, high, decimals, signed=True), "n": n,
                            "verdict": ab.verdict(low, high, n) if n else why, "_mean": mean})
order = {d: i for i, d in enumerate(sets)}  # the page's order of datasets, then scales, budgets as stored
gap = pd.DataFrame(gap).sort_values(["measure", "dataset", "scale"], kind="stable",
                                    key=lambda c: c.map(order) if c.name == "dataset" else c)
gap = gap.set_index(["measure", "dataset", "scale", "budget"])
display(book.styled(gap.drop(columns="_mean"), "Back-projection's gain, BP-U - T-U: paper vs ours at each budget (paired by seed)",
                    "table3-deltas"))
print(f"verdict rule: {ab.VERDICT_RULE}")

# %%
params = (scores.drop_duplicates(["row", "scale"]).set_index(["row", "scale"]).parameters
          if "parameters" in scores else pd.Series(dtype=float))
for (block, s), count in params.sort_index().items():
    print(f"{block} x{s}: {int(count):,} parameters at profile {profile}'s width")
first = ("PSNR (dB)", "Set5", "x4", profile)
glue("table3_gain_x4_set5", float(gap.loc[first, "_mean"]) if first in gap.index else math.nan, display=False)
for name in records_by_budget:  # BP-U's Set5 x4 PSNR at each budget (NaN: not trained yet)
    psnr = by_budget["psnr"]
    hit = psnr[(psnr.budget == name) & (psnr.row == "BP-U") & (psnr.dataset == "Set5") & (psnr.scale == 4)]
    glue(f"table3_bpu_x4_set5_{name}", float(hit["mean"].iloc[0]) if len(hit) else math.nan, display=False)
print(f"this page: {book.format_duration(time.perf_counter() - start)}")
