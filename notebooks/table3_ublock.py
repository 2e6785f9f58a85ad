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
# curriculum (x2, then x4 from x2, then x8 from x4) and the same budget (`ablation_steps`; the
# runs are shared with {ref}`Table II <table2>` and {ref}`Figure 5 <figure5>`).

# %% tags=["parameters"]
profile = "quick"
device = "auto"
runs_dir = "runs"
data_dir = ""
scales = "4,8"
datasets = "Set5,Set14"
cache_dir = "runs/cache/eval"
ablation_steps = ""  # JSON such as {"2": 150, "4": 60}; empty: srlib.reports.ABLATION_STEPS for the profile

# %%
import time
import json
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")

import pandas as pd
from myst_nb import glue

from srlib import reports
from srlib.data import data_root
from srlib.paper import load_paper_table

root = data_root(data_dir or None)
scale_list = [int(s) for s in str(scales).split(",")]
sets = [d.strip() for d in datasets.split(",") if d.strip()]
common = dict(runs_dir=runs_dir, device=device, progress=False, **({"data_root": str(data_dir)} if data_dir else {}))
start = time.perf_counter()
steps = json.loads(ablation_steps) if ablation_steps else reports.ABLATION_STEPS.get(profile)
print(f"steps per curriculum stage of every row: {steps or 'the profile defaults'}")


def ablation_run(scale, variant):
    return reports.curriculum_run(profile, scale, variant, stage_steps=steps,
                                  name=f"{variant}-ablation" if steps else None, **common)

# %%
BLOCKS = {"T-U": "tu", "BP-U": "full"}
runs = {(block, s): ablation_run(s, variant) for block, variant in BLOCKS.items() for s in scale_list}
ours = pd.concat([reports.evaluate_grid(run.upscaler(s, device), method=block, datasets=sets, scales=[s], root=root,
                                        cache_dir=reports.resolve(cache_dir), cache_key=reports.file_sha256(run.weights))
                  for (block, s), run in runs.items()], ignore_index=True)

# %%
paper3 = load_paper_table("table3")
paper_long = pd.concat([
    paper3[["block", "scale", f"{d.lower()}_psnr", f"{d.lower()}_ssim"]]
    .rename(columns={"block": "method", f"{d.lower()}_psnr": "psnr", f"{d.lower()}_ssim": "ssim"}).assign(dataset=d)
    for d in sets], ignore_index=True)
paper_long = paper_long[paper_long.scale.isin(scale_list)]
cmp = reports.compare(paper_long, ours, on=["method", "scale", "dataset"], values=["psnr", "ssim"])
reports.styled(reports.comparison_table(cmp, ["scale", "method"], "psnr", 2, columns="dataset"),
               "Table III, PSNR (dB): paper | ours | difference", "table3-psnr")

# %%
reports.styled(reports.comparison_table(cmp, ["scale", "method"], "ssim", 3, columns="dataset"),
               "Table III, SSIM: paper | ours | difference", "table3-ssim")

# %% [markdown]
# The claim is the sign and size of **BP-U minus T-U**:

# %%
gap = []
for s in scale_list:
    for d in sets:
        p = paper_long.set_index(["method", "scale", "dataset"]).psnr
        o = ours.set_index(["method", "scale", "dataset"]).psnr
        gap.append({"scale": s, "dataset": d, "paper: BP-U - T-U (dB)": p[("BP-U", s, d)] - p[("T-U", s, d)],
                    "ours: BP-U - T-U (dB)": o[("BP-U", s, d)] - o[("T-U", s, d)]})
gap = pd.DataFrame(gap).set_index(["scale", "dataset"]).round(3)
reports.styled(gap, "Back-projection's gain, paper vs ours", "table3-gain", precision=3)

# %%
params = {key: run.parameters() for key, run in runs.items()}
for (block, s), run in runs.items():
    print(run.provenance(f"{block} x{s} ({params[(block, s)]:,} parameters)").line())
glue("table3_gain_x4_set5", float(gap.loc[(scale_list[0], sets[0]), "ours: BP-U - T-U (dB)"]), display=False)
print(f"this page: {reports.format_duration(time.perf_counter() - start)}")
