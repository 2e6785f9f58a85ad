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
# (protocol)=
# # The evaluation protocol, checked
#
# Before any network is trained, this page checks the ruler everything else is measured with.
# The rules (modcrop, MATLAB bicubic on uint8, Y channel, `scale` pixels shaved, MATLAB's
# SSIM) are listed in {doc}`../method`; here they meet the data:
#
# 1. which datasets are under the data root (a missing one is reported, never downloaded);
# 2. our bicubic against MATLAB's own LR files, pixel by pixel;
# 3. the *Bicubic* rows of the paper's Table V recomputed, beside the paper's values;
# 4. what each common departure from the protocol (another resizer, RGB, another SSIM) changes.
#
# If step 3 agrees, a difference later in the book between the paper's CSRCNN and ours is about
# the network and its training, not about how PSNR was computed.

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
#
# * state the five rules of the paper's evaluation protocol and check each against MATLAB's own files;
# * recompute a published baseline row and read a paper | ours | difference table;
# * say how much each common departure from the protocol (resizer, RGB, SSIM window) moves a score.
# ```

# %% tags=["parameters"]
# Papermill parameters (scripts/build_book.sh passes profile; the rest are defaults).
profile = "quick"  # unused here (no training); kept so every notebook takes the same options
device = "auto"  # unused here (bicubic runs on the CPU)
data_dir = ""  # data root; empty: $SRLIB_DATA_DIR or ./data
scales = "2,4,8"
datasets = "Set5,Set14,B100,Urban100,Manga109"  # Table V's columns
cache_dir = "runs/cache/eval"  # bicubic scores are cached here (keyed by code + data files)

# %% tags=["remove-cell"]
from srlib import book

shared = book.shared_parameters(globals())  # a bad parameter stops the notebook here, in one line

# %%
import time
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")

import pandas as pd

from srlib import book
from srlib.data import DATASETS, available_datasets
from srlib.evaluation import bicubic_upscaler, evaluate
from srlib.paper import load_paper_table

root, scale_list, dataset_list, start = shared.root, shared.scales, shared.datasets, shared.start
pd.set_option("display.max_columns", 40)

# %% [markdown]
# ## 1. The data
#
# The table lists every dataset the project knows, whether it is complete under the data root,
# and where to get it when it is not. Manga109 is not in the shared copy: Table V's Manga109
# column will say so instead of showing a number.

# %%
status = available_datasets(root)
data_table = pd.DataFrame(
    [{"dataset": s.name, "role": "benchmark" if s.kind == "benchmark" else "training",
      "images expected": s.count, "present": "yes" if status[s.name] else "no", "folder": s.folder}
     for s in DATASETS.values()])
print(f"data root: {root.resolve()}")
for s in DATASETS.values():
    if not status[s.name]:
        print(f"{s.name} is missing; where to get it: {s.source}")
book.styled(data_table.set_index("dataset"), "Datasets under the data root", "protocol-data")

# %% [markdown]
# ## 2. Our bicubic is MATLAB's
#
# The paper made its LR images with MATLAB's `imresize(..., 'bicubic')`. Python's usual resizers
# (PIL, OpenCV, even "MATLAB-like" ports that skip MATLAB's rounding between the two 1-D passes)
# give slightly different pixels; section 4 measures what that does to the scores. The shared
# data contains LR files written by MATLAB itself; each is recomputed from its HR image here and
# compared bit for bit.

# %%
lr_check = book.matlab_lr_check(root)
if lr_check.empty:
    print("No MATLAB LR files under the data root: the check is skipped.")
    lr_summary = lr_check
else:
    lr_summary = (lr_check.groupby(["dataset", "scale", "matlab_path"])
                  .agg(files=("image", "count"), identical=("identical", "sum"),
                       max_abs_diff=("max_abs_diff", "max")).reset_index())
    print(f"{int(lr_check.identical.sum())} of {len(lr_check)} MATLAB LR files reproduced bit for bit")
book.styled(lr_summary, "srlib.imresize against MATLAB's LR files (max_abs_diff in grey levels)",
            "protocol-matlab")

# %% [markdown]
# ## 3. The Bicubic rows of Table V
#
# The paper's Table V starts each scale with *Bicubic*. Recomputing those rows needs no training,
# only the protocol, so any difference here is a difference of protocol. "paper" is the value
# printed in the paper (from `data/paper/table5_benchmarks.csv`), "ours" is computed now,
# "difference" is ours minus paper.

# %%
bicubic = book.evaluate_grid(bicubic_upscaler, method="Bicubic", datasets=dataset_list, scales=scale_list,
                             root=root, cache_dir=book.resolve(cache_dir), cache_key="bicubic-matlab-uint8")
paper5 = load_paper_table("table5")
paper_bic = paper5[(paper5.method == "Bicubic") & paper5.scale.isin(scale_list) & paper5.dataset.isin(dataset_list)]
bic_cmp = book.compare(paper_bic, bicubic, on=["method", "scale", "dataset"], values=["psnr", "ssim"])
book.styled(book.comparison_long(bic_cmp, ["scale"], "psnr", 2),
            "Table V, Bicubic rows: PSNR (dB), paper | ours | difference", "table5-bicubic-psnr")

# %%
book.styled(book.comparison_long(bic_cmp, ["scale"], "ssim", 4),
            "Table V, Bicubic rows: SSIM, paper | ours | difference", "table5-bicubic-ssim")

# %%
ok = bic_cmp.dropna(subset=["psnr_ours"])
worst_psnr = float(ok.psnr_diff.abs().max()) if len(ok) else float("nan")
worst_ssim = float(ok.ssim_diff.abs().max()) if len(ok) else float("nan")
print(f"{len(ok)} cells computed; largest |difference|: {worst_psnr:.3f} dB PSNR, {worst_ssim:.4f} SSIM "
      "(the paper prints 2 decimals for PSNR and 3 for SSIM, so up to 0.005 and 0.0005 is rounding)")
missing = bic_cmp[bic_cmp.psnr_ours.isna()]
for _, r in missing.drop_duplicates("dataset").iterrows():
    print(f"{r.dataset}: {r.status}")

# %% [markdown]
# ### Why the SSIM window matters
#
# The paper's SSIM values are reproduced by MATLAB's built-in `ssim` (11x11 Gaussian window,
# sigma 1.5, replicate padding). Many Python projects (BasicSR, KAIR) compute SSIM on the
# "valid" part of the image only; that is another number. On Set5 the two give:

# %%
rows = []
for s in scale_list:
    for window in ("matlab", "valid"):
        r = evaluate(bicubic_upscaler, "Set5", s, method="Bicubic", root=root, ssim_window=window, progress=False)
        rows.append({"scale": s, "SSIM window": window, "PSNR": round(r.psnr, 3), "SSIM": round(r.ssim, 4)})
window_table = pd.DataFrame(rows).pivot(index="scale", columns="SSIM window", values="SSIM")
window_table["difference"] = window_table["valid"] - window_table["matlab"]
book.styled(window_table.round(4), "Set5 Bicubic SSIM: MATLAB window vs BasicSR's valid window",
            "protocol-ssim-window", precision=4)

# %% [markdown]
# (protocol-deviations)=
# ## 4. What each common departure from the protocol changes
#
# The usual reasons why a retrained network "does not reach the paper" are departures from this
# protocol: the LR images made by another resizer, PSNR computed on RGB instead of Y, BasicSR's
# "valid" SSIM. Each is applied here alone to the Bicubic baseline on Set5 (`srlib.book.
# protocol_checks.protocol_deviations`); "difference" is the departure minus the protocol. A departure that moves
# Bicubic moves every method's score in the same direction, so it must be ruled out before two
# tables are compared.

# %%
deviations = book.protocol_deviations("Set5", scale_list, root=root)
dev_table = deviations.pivot_table(index="description", columns="scale", values=["psnr_diff", "ssim_diff"],
                                   sort=False)
dev_table.columns = [f"x{s} {'PSNR (dB)' if v == 'psnr_diff' else 'SSIM'}" for v, s in dev_table.columns]
dev_table.index.name = "Set5 Bicubic, departure (alone)"
book.styled(dev_table.drop(index=book.PROTOCOL_DEVIATIONS["protocol"]).round(4),
            "Set5 Bicubic: departure minus protocol (PSNR in dB, SSIM)", "protocol-deviations", precision=4)

# %%
by = deviations.set_index(["deviation", "scale"])
top = max(scale_list)
largest_resizer = float(by.loc[["lr_pillow", "lr_float"], "psnr_diff"].abs().max())
for key in ("lr_pillow", "lr_float", "rgb", "ssim_valid"):
    d = by.loc[key]
    print(f"{book.PROTOCOL_DEVIATIONS[key]}: PSNR {d.psnr_diff.min():+.4f} to {d.psnr_diff.max():+.4f} dB, "
          f"SSIM {d.ssim_diff.min():+.4f} to {d.ssim_diff.max():+.4f} over x{', x'.join(map(str, scale_list))}")

# %%
from srlib.profiling import describe_device

prov = book.Provenance("Bicubic rows (this page)", device=describe_device("cpu"),
                       wall_s=time.perf_counter() - start,
                       extra={"cached cells": int(bicubic.cached.sum())})
print(prov.line())

# %%
from myst_nb import glue

glue("bicubic_worst_psnr", worst_psnr, display=False)
glue("bicubic_cells", len(ok), display=False)
glue("matlab_files_identical", int(lr_check.identical.sum()) if len(lr_check) else 0, display=False)
glue("matlab_files_total", len(lr_check), display=False)
glue("deviation_scale", top, display=False)
glue("deviation_pillow_psnr", float(by.loc[("lr_pillow", top), "psnr_diff"]), display=False)
glue("deviation_float_psnr", float(by.loc[("lr_float", top), "psnr_diff"]), display=False)
glue("deviation_resizer_largest", largest_resizer, display=False)
glue("deviation_rgb_psnr", float(by.loc[("rgb", top), "psnr_diff"]), display=False)
glue("deviation_rgb_ssim", float(by.loc[("rgb", top), "ssim_diff"]), display=False)
glue("deviation_valid_ssim_max", float(by.loc["ssim_valid"].ssim_diff.abs().max()), display=False)
