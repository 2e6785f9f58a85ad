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
# same curriculum, at x4 and x8 on Set5 and Set14. Here both are trained with this profile's
# curriculum (x2, then x4 from x2, then x8 from x4) and the same budget: the profile's steps per
# stage, so the BP-U networks are the main curriculum's (Table V's CSRCNN), unless
# `ablation_steps` sets a budget of their own. The runs are shared with {ref}`Table II <table2>`
# and {ref}`Figure 5 <figure5>`.

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
#
# * explain what the BP-U block adds to a U block (the concatenation and the back-projection subtraction);
# * compare two blocks trained under the same budget and say what the comparison can and cannot show.
# ```

# %% tags=["parameters"]
profile = "quick"
device = "auto"
runs_dir = "runs"
data_dir = ""
scales = "4,8"
datasets = "Set5,Set14"
cache_dir = "runs/cache/eval"
ablation_steps = ""  # JSON such as {"2": 150, "4": 60}; empty: srlib.book.budgets.ABLATION_STEPS (the profile's steps)

# %%
import time
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")

import pandas as pd
from myst_nb import glue

from srlib import book
from srlib.data import data_root
from srlib.paper import load_paper_table

root = data_root(data_dir or None)
scale_list = [int(s) for s in str(scales).split(",")]
sets = [d.strip() for d in datasets.split(",") if d.strip()]
common = book.run_options(runs_dir, device, data_dir)
start = time.perf_counter()
steps = book.steps_parameter(ablation_steps, book.ABLATION_STEPS, profile)
print(f"steps per curriculum stage of every row: {book.describe_steps(steps, profile)}")


# %%
BLOCKS = {"T-U": "tu", "BP-U": "full"}
runs = {(block, s): book.ablation_run(profile, s, variant, steps, **common) for block, variant in BLOCKS.items() for s in scale_list}
ours = book.evaluate_runs(((block, s, run) for (block, s), run in runs.items()), datasets=sets, root=root,
                          cache_dir=cache_dir, device=device)

# %%
paper3 = load_paper_table("table3")
paper_long = pd.concat([
    paper3[["block", "scale", f"{d.lower()}_psnr", f"{d.lower()}_ssim"]]
    .rename(columns={"block": "method", f"{d.lower()}_psnr": "psnr", f"{d.lower()}_ssim": "ssim"}).assign(dataset=d)
    for d in sets], ignore_index=True)
paper_long = paper_long[paper_long.scale.isin(scale_list)]
cmp = book.compare(paper_long, ours, on=["method", "scale", "dataset"], values=["psnr", "ssim"])
book.styled(book.comparison_table(cmp, ["scale", "method"], "psnr", 2, columns="dataset"),
            "Table III, PSNR (dB): paper | ours | difference", "table3-psnr")

# %%
book.styled(book.comparison_table(cmp, ["scale", "method"], "ssim", 3, columns="dataset"),
            "Table III, SSIM: paper | ours | difference", "table3-ssim")

# %% [markdown]
# The claim is the sign and size of **BP-U minus T-U**. Read it against the noise floor measured
# in {ref}`Table II <table2>` (the spread of the same BP-U x4 network trained from other seeds):

# %%
gap = []
for s in scale_list:
    for d in sets:
        p = paper_long.set_index(["method", "scale", "dataset"]).psnr
        o = ours.set_index(["method", "scale", "dataset"]).psnr
        gap.append({"scale": s, "dataset": d, "paper: BP-U - T-U (dB)": p[("BP-U", s, d)] - p[("T-U", s, d)],
                    "ours: BP-U - T-U (dB)": o[("BP-U", s, d)] - o[("T-U", s, d)]})
gap = pd.DataFrame(gap).set_index(["scale", "dataset"]).round(3)
book.styled(gap, "Back-projection's gain, paper vs ours", "table3-gain", precision=3)

# %%
params = {key: run.parameters() for key, run in runs.items()}
for (block, s), run in runs.items():
    print(run.provenance(f"{block} x{s} ({params[(block, s)]:,} parameters)").line())
glue("table3_gain_x4_set5", float(gap.loc[(scale_list[0], sets[0]), "ours: BP-U - T-U (dB)"]), display=False)
print(f"this page: {book.format_duration(time.perf_counter() - start)}")
