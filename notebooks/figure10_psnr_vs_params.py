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
# (figure10)=
# # Figure 10: accuracy against size at x8
#
# The paper's Figure 10 places each method by its number of parameters and its Set5 x8 PSNR:
# CSRCNN sits near the very large networks (D-DBPN, EDSR) in PSNR with a fraction of their
# parameters. Our copy of the paper lacks the figure itself, so its points are rebuilt from the
# paper's Tables V and VI (`data/paper/figure10_points.csv`; EDSR's count comes from the EDSR
# paper and is marked so). On top of them: the quick network this build trains (this profile's
# curriculum) and the best committed x8 network, each named for what it is, with their parameter
# counts as built.

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
#
# * place a network on an accuracy-against-size plot with the paper's peers;
# * say which of the plotted points were measured here and which are cited.
# ```

# %% tags=["parameters"]
profile = "quick"
device = "auto"
runs_dir = "runs"
data_dir = ""
cache_dir = "runs/cache/eval"
results_dir = "results"  # committed result folders (campaign/, reference/): the best per scale is used

# %% tags=["remove-cell"]
from srlib import book

shared = book.shared_parameters(globals())  # a bad parameter stops the notebook here, in one line

# %%
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from myst_nb import glue

from srlib import book, published
from srlib.models import build_model
from srlib.paper import load_paper_table
from srlib.profiling import count_parameters

sns.set_theme(style="whitegrid", context="notebook")
root = shared.root
points = load_paper_table("figure10")
run = book.curriculum_run(profile, 8, "full", **shared.run_options)


def set5_x8(record):
    r = book.evaluate_runs([("CSRCNN", 8, record)], datasets=["Set5"], root=root, cache_dir=cache_dir, device=device)
    return float(r.psnr.iloc[0])


ours = [{"method": f"{profile} network (ours)", "params_k": run.parameters() / 1000, "set5_x8_psnr": set5_x8(run),
         "provenance": run.provenance("CSRCNN x8").line()}]
refs = published.best_per_scale(results_dir)  # the best committed weights per scale
if 8 in refs:
    stored = refs[8].scores().set_index("dataset")  # evaluated when the result was published
    if "Set5" in stored.index:
        ours.append({"method": f"{refs[8].network.split(' (')[0]} (ours)", "params_k": refs[8].parameters() / 1000,
                     "set5_x8_psnr": float(stored.loc["Set5", "psnr"]),
                     "provenance": refs[8].provenance(f"{refs[8].kind} CSRCNN x8").line()})
ours = pd.DataFrame(ours)
full_width = count_parameters(build_model("csrcnn", scale=8)) / 1000
print(f"our CSRCNN x8 at the paper's width (64 channels): {full_width:,.0f} K parameters")

# %%
fig, ax = plt.subplots(figsize=(8, 5.6))
paper_pts = points[points.source.str.startswith("Table")]
ax.scatter(paper_pts.params_k, paper_pts.set5_x8_psnr, color="tab:blue", s=50, label="paper (Tables V + VI)")
other = points[~points.source.str.startswith("Table")]
ax.scatter(other.params_k, other.set5_x8_psnr, color="tab:blue", marker="s", facecolors="none", s=60,
           label="paper's PSNR, parameters from the EDSR paper")
for _, r in points.iterrows():
    ax.annotate(r.method, (r.params_k, r.set5_x8_psnr), textcoords="offset points", xytext=(5, 4), fontsize=9)
ax.scatter(ours.params_k, ours.set5_x8_psnr, color="tab:red", marker="*", s=180, label="ours (this build)")
for _, r in ours.iterrows():
    ax.annotate(r.method, (r.params_k, r.set5_x8_psnr), textcoords="offset points", xytext=(0, 9), fontsize=9,
                color="tab:red", ha="center")
ax.axvline(full_width, color="tab:red", ls=":", lw=1)
ax.text(full_width, ax.get_ylim()[0], " our x8 at 64 ch.", color="tab:red", fontsize=9, va="bottom")
ax.set(xscale="log", xlabel="parameters (K, log scale)", ylabel="Set5 x8 PSNR (dB)",
       title="Figure 10: PSNR against parameters, x8, Set5")
ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=False)  # below the axes
fig.tight_layout()
book.save_figure(fig, "figure10_psnr_vs_params")
plt.show()

# %% [markdown]
# The CSRCNN point, paper | ours | difference (the parameter difference is mostly the profile's
# narrower network; at 64 channels see {ref}`Table VI <table6>`):

# %%
paper_csr = points[points.method == "CSRCNN"].rename(columns={"set5_x8_psnr": "psnr"}).assign(method="CSRCNN")
ours_row = ours.iloc[[0]].rename(columns={"set5_x8_psnr": "psnr"}).assign(method="CSRCNN")
cmp = book.compare(paper_csr[["method", "params_k", "psnr"]], ours_row[["method", "params_k", "psnr"]],
                   on=["method"], values=["params_k", "psnr"])
table = pd.concat([book.comparison_table(cmp, ["method"], "params_k", 0),
                   book.comparison_table(cmp, ["method"], "psnr", 2)], axis=1)
book.styled(table, "Figure 10, CSRCNN point: paper | ours | difference", "figure10-csrcnn")

# %%
for line in ours.provenance:
    print(line)
glue("figure10_ours_psnr", float(ours.set5_x8_psnr.iloc[0]), display=False)
glue("figure10_ours_params_k", float(ours.params_k.iloc[0]), display=False)
