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
budget = ab.BUDGETS.get(profile)
print(ab.table_status(profile, TABLE, results_dir))


# %% [markdown]
# ## The table: the paper's numbers beside ours
#
# "Ours" is the mean over the seeds stored ± the half-width of its 95% confidence interval
# (Student t; none for a single seed), n the number of seeds; "difference" is ours minus the
# paper. The absolute numbers are far from the paper's at a CPU budget (see
# {doc}`../limitations`); the claim is the sign and size of BP-U minus T-U, further down.

# %%
paper3 = load_paper_table("table3")
BLOCKS = ["T-U", "BP-U"]


def comparison(value, decimals):
    """Rows (scale, block); per dataset paper | ours | difference; then n (strings)."""
    summ = ab.summary(scores, value).set_index(["row", "scale", "dataset"])
    out = []
    for s in scale_list:
        for block in BLOCKS:
            line = {"scale": f"x{s}", "block": block}
            n = 0
            for d in sets:
                paper = paper3[(paper3.block == block) & (paper3.scale == s)][f"{d.lower()}_{value}"]
                paper = float(paper.iloc[0]) if len(paper) else math.nan
                key = (block, s, d)
                hit = summ.loc[key] if key in summ.index else None
                mean = hit["mean"] if hit is not None else math.nan
                line[(d, "paper")] = book.format_number(paper, decimals)
                line[(d, "ours")] = book.format_mean_ci(hit, decimals)
                line[(d, "difference")] = book.format_number(mean - paper, decimals, signed=True)
                n = max(n, int(hit["n"]) if hit is not None else 0)
            line[("", "n")] = n
            out.append(line)
    table = pd.DataFrame(out).set_index(["scale", "block"])
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    return table


seeds_note = f"; n: seeds stored, of {budget.seeds_for(TABLE)} planned" if budget else ""
display(book.styled(comparison("psnr", 2), f"Table III, PSNR (dB): paper | ours (mean over seeds ± 95% CI) | "
                                           f"difference{seeds_note}", "table3"))
print(ab.describe(ab.table_records(records, TABLE), "Table III's records"))

# %%
display(book.styled(comparison("ssim", 3), f"Table III, SSIM: paper | ours (mean over seeds ± 95% CI) | "
                                           f"difference{seeds_note}", "table3-ssim", precision=3))

# %% [markdown]
# ## What back-projection adds: BP-U minus T-U, paired by seed
#
# The claim is the sign and size of **BP-U minus T-U**. Each seed trains both networks on the same
# batches; the difference of the two is taken seed by seed, and its mean gets a 95% confidence
# interval. The verdict is on the paper's claim that BP-U is better.

# %%
gap = []
for value, decimals in (("psnr", 2), ("ssim", 3)):
    diffs = ab.paired_differences(scores, "T-U", value=value)
    for s in scale_list:
        for d in sets:
            p = paper3[paper3.scale == s].set_index("block")[f"{d.lower()}_{value}"]
            hit = diffs[(diffs.row == "BP-U") & (diffs.scale == s) & (diffs.dataset == d)]
            n = int(hit.n.iloc[0]) if len(hit) else 0
            mean, low, high = (float(hit[c].iloc[0]) for c in ("difference", "ci_low", "ci_high")) if n else \
                (math.nan,) * 3
            present = set(scores[(scores.scale == s) & (scores.dataset == d)].row)
            why = "no paired seed yet" if {"BP-U", "T-U"} <= present else "not run yet"
            gap.append({"measure": "PSNR (dB)" if value == "psnr" else "SSIM", "dataset": d, "scale": f"x{s}",
                        "paper: BP-U - T-U": book.format_number(p["BP-U"] - p["T-U"], decimals, signed=True),
                        "ours: BP-U - T-U": book.format_number(mean, decimals, signed=True) if n else why,
                        "95% CI": book.format_interval(low, high, decimals, signed=True), "n": n,
                        "verdict": ab.verdict(low, high, n) if n else why, "_mean": mean})
gap = pd.DataFrame(gap).set_index(["measure", "dataset", "scale"])
display(book.styled(gap.drop(columns="_mean"), "Back-projection's gain, BP-U - T-U: paper vs ours (paired by seed)",
                    "table3-deltas"))
print(f"verdict rule: {ab.VERDICT_RULE}")

# %%
params = (scores.drop_duplicates(["row", "scale"]).set_index(["row", "scale"]).parameters
          if "parameters" in scores else pd.Series(dtype=float))
for (block, s), count in params.sort_index().items():
    print(f"{block} x{s}: {int(count):,} parameters at profile {profile}'s width")
first = ("PSNR (dB)", "Set5", "x4")
glue("table3_gain_x4_set5", float(gap.loc[first, "_mean"]) if first in gap.index else math.nan, display=False)
print(f"this page: {book.format_duration(time.perf_counter() - start)}")
