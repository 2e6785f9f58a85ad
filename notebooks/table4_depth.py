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
# Nine networks trained twice each is the most expensive page of the book: the profile gives each
# of them fewer steps than the main model (parameter `grid_steps`), and the `quick` profile trains
# only three of the rows (parameter `rows`; the others say "not run"). A short training ends
# wherever its seed leaves it, so one row is also trained from other seeds (parameter
# `noise_seeds`) and the page prints the rows' differences beside that spread. The parameter
# counts are exact whatever the profile.

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
#
# * write a network in the paper's Table IV notation and count its parameters exactly;
# * tell a depth effect from seed noise with a short training budget.
# ```

# %% tags=["parameters"]
profile = "quick"
device = "auto"
runs_dir = "runs"
data_dir = ""
datasets = "Set5,Set14"
grid_steps = ""  # JSON such as {"2": 60, "4": 40}; empty: srlib.book.budgets.TABLE4_STEPS for the profile
rows = ""  # comma-separated notations to train; empty: srlib.book.budgets.TABLE4_ROWS for the profile (None: all nine)
cache_dir = "runs/cache/eval"
noise_seeds = ""  # extra seeds of one row (the noise floor); empty: srlib.book.budgets.NOISE_SEEDS for the profile

# %%
import time
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from myst_nb import glue

from srlib import book
from srlib.data import data_root
from srlib.models.csrcnn import CSRCNNConfig
from srlib.paper import load_paper_table
from srlib.param_counts import config_parameters

sns.set_theme(style="whitegrid", context="notebook")
root = data_root(data_dir or None)
sets = [d.strip() for d in datasets.split(",") if d.strip()]
steps = book.steps_parameter(grid_steps, book.TABLE4_STEPS, profile)
common = book.run_options(runs_dir, device, data_dir)
paper4 = load_paper_table("table4")
chosen = [r.strip() for r in rows.split(",") if r.strip()] or book.TABLE4_ROWS.get(profile) or list(paper4.notation)
start = time.perf_counter()
print(f"steps per stage: {book.describe_steps(steps, profile, (2, 4))}; rows trained: {len(chosen)} of {len(paper4)}")

# %% [markdown]
# ## Parameters: the paper's full-width (64 channels) counts against our networks at 64 channels

# %%
counts = pd.DataFrame({"method": paper4.notation,
                       "params_k": [config_parameters(CSRCNNConfig.from_notation(n)) / 1000 for n in paper4.notation]})
cmp_params = book.compare(paper4.rename(columns={"notation": "method"})[["method", "params_k"]], counts,
                          on=["method"], values=["params_k"])
book.styled(book.comparison_table(cmp_params, ["method"], "params_k", 0),
            "Table IV, parameters (K) at 64 channels: paper | ours | difference", "table4-params")

# %% [markdown]
# ## PSNR at x4

# %%
runs = {notation: book.curriculum_run(profile, 4, "full", name=notation.replace(" ", "_"), notation=notation,
                                      stage_steps=steps, **common)
        for notation in chosen}
ours = book.evaluate_runs(((notation, 4, run) for notation, run in runs.items()), datasets=sets, root=root,
                          cache_dir=cache_dir, device=device)
paper_long = pd.concat([paper4.rename(columns={"notation": "method", f"{d.lower()}_psnr": "psnr"})
                        [["method", "psnr"]].assign(dataset=d, scale=4) for d in sets], ignore_index=True)
cmp = book.compare(paper_long, ours, on=["method", "scale", "dataset"], values=["psnr"])
book.styled(book.comparison_table(cmp, ["method"], "psnr", 2, columns="dataset"),
            f"Table IV, x4 PSNR (dB): paper | ours (profile {profile}) | difference", "table4-psnr")

# %% [markdown]
# The paper's reading of its table: deeper is better, and refined blocks beat an equal number of U
# blocks in HR space. In a plot of PSNR against parameters:

# %%
plot = cmp.merge(cmp_params[["method", "params_k_ours"]], on="method")
fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharex=True)
for ax, (source, col) in zip(axes, [("paper", "psnr_paper"), (f"ours ({profile})", "psnr_ours")]):
    sns.scatterplot(data=plot, x="params_k_ours", y=col, hue="method", style="dataset", s=70, ax=ax, legend=ax is axes[1])
    ax.set(xlabel="parameters at 64 channels (K, ours)", ylabel="x4 PSNR (dB)", title=source)
axes[1].legend(bbox_to_anchor=(1.02, 1), loc="upper left", fontsize=8)
fig.tight_layout()
book.save_figure(fig, "table4_psnr_vs_params")
plt.show()

# %% [markdown]
# ## Are the rows' differences larger than the noise?
#
# The row nearest the paper's chosen depth is trained again from other seeds with the same
# budget; the spread of its scores (max - min) is what the seed alone does. Rows whose differences
# are not larger than that spread cannot be ranked by this build.

# %%
n_seeds = int(noise_seeds) if str(noise_seeds).strip() else book.NOISE_SEEDS.get(profile, 0)
anchor = "U4TR1 U4TR1" if "U4TR1 U4TR1" in runs else next(iter(runs))
seed_runs = {seed: book.curriculum_run(profile, 4, "full", name=f"{anchor.replace(' ', '_')}-seed{seed}",
                                       notation=anchor, stage_steps=steps, seed=seed, **common)
             for seed in range(1, n_seeds + 1)}
seed_scores = pd.concat([ours[ours.method == anchor].assign(seed=0),
                         book.evaluate_runs(((anchor, 4, run) for run in seed_runs.values()), datasets=sets,
                                            root=root, cache_dir=cache_dir, device=device)
                         .assign(seed=[s for s in seed_runs for _ in sets])], ignore_index=True)
noise_rows = []
for ds in sets:
    row_psnr = ours[(ours.dataset == ds)].psnr.dropna()
    seed_psnr = seed_scores[seed_scores.dataset == ds].psnr.dropna()
    noise_rows.append({"dataset": ds, "rows trained": len(row_psnr),
                       "rows: max - min (dB)": float(row_psnr.max() - row_psnr.min()) if len(row_psnr) > 1 else float("nan"),
                       f"{anchor} over {len(seed_psnr)} seeds: max - min (dB)":
                           float(seed_psnr.max() - seed_psnr.min()) if len(seed_psnr) > 1 else float("nan")})
noise_table = pd.DataFrame(noise_rows).set_index("dataset")
book.styled(noise_table, f"Table IV rows against the seed spread of {anchor} (profile {profile})", "table4-noise")

# %%
spread_col = noise_table.columns[-1]
for ds, r in noise_table.iterrows():
    rows_range, seed_range = r["rows: max - min (dB)"], r[spread_col]
    if pd.isna(seed_range) or pd.isna(rows_range):
        verdict = "no noise floor in this run (noise_seeds = 0 or one row): the differences cannot be judged here"
    elif rows_range > 2 * seed_range:
        verdict = "the rows differ by more than twice the seed spread"
    else:
        verdict = "the rows differ by no more than twice the seed spread: this build cannot rank them"
    print(f"{ds}: rows span {rows_range:.2f} dB, seeds span {seed_range:.2f} dB -> {verdict}")

# %%
for notation, run in runs.items():
    print(run.provenance(f"{notation} ({run.parameters():,} parameters at this profile's width)").line())
for seed, run in seed_runs.items():
    print(run.provenance(f"{anchor}, seed {seed}").line())
glue("table4_rows_trained", len(runs), display=False)
print(f"this page: {book.format_duration(time.perf_counter() - start)}")
