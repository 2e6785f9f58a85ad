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
# | Full | yes | yes | yes | the full model with the curriculum, at this table's budget |
#
# All five rows get the same budget: each curriculum stage the same number of steps, and the
# end-to-end rows (FSRCNN, Model2) as many steps as the two stages together. In the `quick`
# profile that budget (`ablation_steps`) is smaller than the main curriculum's, so the Full row
# here is its own run. Runs are shared with {ref}`Table III <table3>` and
# {ref}`Figure 5 <figure5>` (Full = BP-U, Model3 = T-U) and trained once.

# %% tags=["parameters"]
profile = "quick"
device = "auto"
runs_dir = "runs"
data_dir = ""
scale = 4
datasets = "Set14,Set5"  # the paper's column first
cache_dir = "runs/cache/eval"
ablation_steps = ""  # JSON such as {"2": 150, "4": 60}; empty: srlib.reports.ABLATION_STEPS for the profile

# %%
import time
import json
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from myst_nb import glue

from srlib import reports
from srlib.data import data_root
from srlib.paper import load_paper_table

sns.set_theme(style="whitegrid", context="notebook")
root = data_root(data_dir or None)
scale = int(scale)
sets = [d.strip() for d in datasets.split(",") if d.strip()]
common = dict(runs_dir=runs_dir, device=device, progress=False, **({"data_root": str(data_dir)} if data_dir else {}))
start = time.perf_counter()
steps = json.loads(ablation_steps) if ablation_steps else reports.ABLATION_STEPS.get(profile)
print(f"steps per curriculum stage of every row: {steps or 'the profile defaults'}")


def ablation_run(scale, variant):
    return reports.curriculum_run(profile, scale, variant, stage_steps=steps,
                                  name=f"{variant}-ablation" if steps else None, **common)

# %%
VARIANTS = {"FSRCNN": "fsrcnn", "Model1": "model1", "Model2": "model2", "Model3": "tu", "Full": "full"}
runs = {row: ablation_run(scale, variant) for row, variant in VARIANTS.items()}
frames = []
for row, run in runs.items():
    frames.append(reports.evaluate_grid(run.upscaler(scale, device), method=row, datasets=sets, scales=[scale],
                                        root=root, cache_dir=reports.resolve(cache_dir),
                                        cache_key=reports.file_sha256(run.weights)))
ours = pd.concat(frames, ignore_index=True)

# %%
paper2 = load_paper_table("table2")
paper_long = paper2.rename(columns={"model": "method", "set14_x4_psnr": "psnr"}).assign(scale=scale, dataset="Set14")
cmp = reports.compare(paper_long[["method", "scale", "dataset", "psnr"]], ours[ours.dataset == "Set14"],
                      on=["method", "scale", "dataset"], values=["psnr"])
table = reports.comparison_table(cmp, ["method"], "psnr", 2)
flags = paper2.set_index("model")[["bpu_block", "curriculum", "asymmetric"]].replace({True: "✓", False: "×"})
flags.columns = pd.MultiIndex.from_product([["design"], ["BP-U", "curriculum", "asymmetric"]])
table = flags.join(table.set_axis(pd.MultiIndex.from_product([["Set14 x4 PSNR (dB)"], ["paper", "ours", "difference"]]),
                                  axis=1))
reports.styled(table, "Table II: ablation, Set14 x4 PSNR, paper | ours | difference", "table2")

# %% [markdown]
# The paper's claim is about **differences between rows**: each idea adds a little, and all three
# together add most. The same differences, measured from each row to Full:

# %%
psnr = ours[ours.dataset == "Set14"].set_index("method").psnr
paper_psnr = paper_long.set_index("method").psnr
deltas = pd.DataFrame({"paper: Full - row": paper_psnr["Full"] - paper_psnr,
                       "ours: Full - row": psnr["Full"] - psnr}).drop("Full").round(2)
reports.styled(deltas, "What each removed idea costs (dB), paper vs ours", "table2-deltas")

# %%
fig, ax = plt.subplots(figsize=(7, 3.6))
plot = deltas.rename_axis("row").reset_index().melt(id_vars="row", var_name="source", value_name="dB")
sns.barplot(data=plot, x="row", y="dB", hue="source", ax=ax)
ax.axhline(0, color="black", lw=0.8)
ax.set(xlabel="", ylabel="PSNR lost vs Full (dB)", title=f"Table II: cost of removing each idea (Set14 x{scale})")
fig.tight_layout()
reports.save_figure(fig, "table2_deltas")
plt.show()

# %%
if "Set5" in sets:
    extra = ours[ours.dataset == "Set5"][["method", "psnr", "ssim"]].set_index("method").round(3)
    display(reports.styled(extra, f"The same runs on Set5 x{scale} (not in the paper's Table II)", "table2-set5",
                           precision=3))
for row, run in runs.items():
    print(run.provenance(f"{row}").line())
glue("table2_full_minus_fsrcnn", float(psnr["Full"] - psnr["FSRCNN"]), display=False)
glue("table2_full", float(psnr["Full"]), display=False)
print(f"this page: {reports.format_duration(time.perf_counter() - start)}")
