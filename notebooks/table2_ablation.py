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
# | Full | yes | yes | yes | the full model with the curriculum: the main curriculum's x4 network |
#
# All five rows get the same budget: each curriculum stage the profile's steps, and the
# end-to-end rows (FSRCNN, Model2) as many steps as the x2 and x4 stages together. The Full row
# is therefore the same network as Table V's CSRCNN x4 (found, not retrained). Setting
# `ablation_steps` gives every row a budget of its own (Full then trained separately, in folders
# named `*-ablation-*`). Runs are shared with {ref}`Table III <table3>` and
# {ref}`Figure 5 <figure5>` (Full = BP-U, Model3 = T-U) and trained once.

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
#
# * reproduce an ablation table and read each row's difference to the full model;
# * judge a difference against the spread of the same network over seeds (the noise floor).
# ```

# %% tags=["parameters"]
profile = "quick"
device = "auto"
runs_dir = "runs"
data_dir = ""
scale = 4
datasets = "Set14,Set5"  # the paper's column first
cache_dir = "runs/cache/eval"
ablation_steps = ""  # JSON such as {"2": 150, "4": 60}; empty: srlib.book.budgets.ABLATION_STEPS (the profile's steps)
noise_seeds = ""  # extra seeds of the Full row (the noise floor); empty: srlib.book.budgets.NOISE_SEEDS for the profile

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
from srlib.paper import load_paper_table

sns.set_theme(style="whitegrid", context="notebook")
root = data_root(data_dir or None)
scale = int(scale)
sets = [d.strip() for d in datasets.split(",") if d.strip()]
common = book.run_options(runs_dir, device, data_dir)
start = time.perf_counter()
steps = book.steps_parameter(ablation_steps, book.ABLATION_STEPS, profile)
print(f"steps per curriculum stage of every row: {book.describe_steps(steps, profile)}")


# %%
VARIANTS = {"FSRCNN": "fsrcnn", "Model1": "model1", "Model2": "model2", "Model3": "tu", "Full": "full"}
runs = {row: book.ablation_run(profile, scale, variant, steps, **common) for row, variant in VARIANTS.items()}
ours = book.evaluate_runs(((row, scale, run) for row, run in runs.items()), datasets=sets, root=root,
                          cache_dir=cache_dir, device=device)

# %%
paper2 = load_paper_table("table2")
paper_long = paper2.rename(columns={"model": "method", "set14_x4_psnr": "psnr"}).assign(scale=scale, dataset="Set14")
cmp = book.compare(paper_long[["method", "scale", "dataset", "psnr"]], ours[ours.dataset == "Set14"],
                   on=["method", "scale", "dataset"], values=["psnr"])
table = book.comparison_table(cmp, ["method"], "psnr", 2)
flags = paper2.set_index("model")[["bpu_block", "curriculum", "asymmetric"]].replace({True: "✓", False: "×"})
flags.columns = pd.MultiIndex.from_product([["design"], ["BP-U", "curriculum", "asymmetric"]])
table = flags.join(table.set_axis(pd.MultiIndex.from_product([["Set14 x4 PSNR (dB)"], ["paper", "ours", "difference"]]),
                                  axis=1))
book.styled(table, "Table II: ablation, Set14 x4 PSNR, paper | ours | difference", "table2")

# %% [markdown]
# The paper's claim is about **differences between rows**: each idea adds a little, and all three
# together add most. The same differences, measured from each row to Full:

# %%
psnr = ours[ours.dataset == "Set14"].set_index("method").psnr
paper_psnr = paper_long.set_index("method").psnr
deltas = pd.DataFrame({"paper: Full - row": paper_psnr["Full"] - paper_psnr,
                       "ours: Full - row": psnr["Full"] - psnr}).drop("Full").round(2)
book.styled(deltas, "What each removed idea costs (dB), paper vs ours", "table2-deltas")

# %%
fig, ax = plt.subplots(figsize=(7, 3.6))
plot = deltas.rename_axis("row").reset_index().melt(id_vars="row", var_name="source", value_name="dB")
sns.barplot(data=plot, x="row", y="dB", hue="source", ax=ax)
ax.axhline(0, color="black", lw=0.8)
ax.set(xlabel="", ylabel="PSNR lost vs Full (dB)", title=f"Table II: cost of removing each idea (Set14 x{scale})")
fig.tight_layout()
book.save_figure(fig, "table2_deltas")
plt.show()

# %% [markdown]
# ## How much of that is noise?
#
# A short training ends wherever its seed (initial weights, order of the patches) leaves it. To
# read the differences above, the Full row's configuration is trained again, whole curriculum
# included, from other seeds; the spread of those runs is the noise floor. A row's difference to
# Full that is smaller than the spread says nothing about the idea it removes.

# %%
n_seeds = int(noise_seeds) if str(noise_seeds).strip() else book.NOISE_SEEDS.get(profile, 0)
seed_runs = {0: runs["Full"]} | {
    seed: book.curriculum_run(profile, scale, "full", stage_steps=steps, name=f"full-seed{seed}", seed=seed, **common)
    for seed in range(1, n_seeds + 1)}
seed_scores = book.evaluate_runs(((f"Full, seed {seed}", scale, run) for seed, run in seed_runs.items()),
                                 datasets=["Set14"], root=root, cache_dir=cache_dir, device=device)
spread = float(seed_scores.psnr.max() - seed_scores.psnr.min()) if len(seed_scores) > 1 else float("nan")
noise = seed_scores.set_index("method")[["psnr", "ssim"]].round(3)
if len(seed_scores) > 1:
    noise.loc["spread (max - min)"] = [round(spread, 3), round(float(seed_scores.ssim.max() - seed_scores.ssim.min()), 4)]
    print(f"Full row over {len(seed_scores)} seeds: {seed_scores.psnr.mean():.2f} dB, spread {spread:.2f} dB")
    beyond = [row for row in deltas.index if abs(deltas.loc[row, "ours: Full - row"]) > spread]
    print("rows whose difference to Full exceeds the spread:", ", ".join(beyond) or "none")
else:
    print("no extra seeds in this run (noise_seeds = 0): the table's differences have no noise floor here")
for seed, run in seed_runs.items():
    if seed:
        print(run.provenance(f"Full, seed {seed}").line())
book.styled(noise, f"Table II's Full row, trained from {len(seed_scores)} seeds: Set14 x{scale}", "table2-noise",
            precision=3)

# %%
if "Set5" in sets:
    extra = ours[ours.dataset == "Set5"][["method", "psnr", "ssim"]].set_index("method").round(3)
    display(book.styled(extra, f"The same runs on Set5 x{scale} (not in the paper's Table II)", "table2-set5",
                        precision=3))
for row, run in runs.items():
    print(run.provenance(f"{row}").line())
glue("table2_full_minus_fsrcnn", float(psnr["Full"] - psnr["FSRCNN"]), display=False)
glue("table2_full", float(psnr["Full"]), display=False)
glue("table2_seed_spread", spread, display=False)
print(f"this page: {book.format_duration(time.perf_counter() - start)}")
