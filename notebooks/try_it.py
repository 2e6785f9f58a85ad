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
# (try-it)=
# # Try it on your own image
#
# Upscale any image with the trained CSRCNN, bicubic beside it. Run this notebook with papermill
# and your own parameters, for example
#
# ```bash
# .venv/bin/papermill notebooks/try_it.ipynb out.ipynb \
#     -p image photo.png -p scale 8
# ```
#
# (`.venv/bin/jupytext --to ipynb notebooks/try_it.py` makes the `.ipynb`), or from the command
# line without a notebook: `python -m srlib upscale photo.png --scale 8 -o out.png`, with the same
# committed weights (`python -m srlib weights` lists them all). The weights are the best committed
# ones for the scale (the CPU campaign's or the reference run's, whichever has the higher stored
# Set5 PSNR; `results/`), else this
# profile's curriculum run. Two modes:
#
# * `mode = "degrade"`: the image is treated as ground truth, shrunk with MATLAB bicubic, then
#   upscaled back, so PSNR can be measured (what the benchmarks do);
# * `mode = "enlarge"`: the image itself is enlarged (no ground truth, no PSNR), which is what a
#   user usually wants.

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
#
# * upscale an image of your own with the trained network, with or without a ground truth;
# * tell the benchmark setting (degrade, then upscale) from enlarging a real image.
# ```

# %% tags=["parameters"]
profile = "quick"
device = "auto"
runs_dir = "runs"
data_dir = ""
image = ""  # a path; empty: Set14 comic from the data root
scale = 4  # 2, 4 or 8
mode = "degrade"  # degrade | enlarge
results_dir = "results"  # committed result folders (campaign/, reference/): the best per scale is used
crop = 0.25  # side of the zoomed crop, as a fraction of the image

# %% tags=["remove-cell"]
from srlib import book

shared = book.shared_parameters(globals())  # a bad parameter stops the notebook here, in one line

# %%
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message="IProgress not found")

import matplotlib.pyplot as plt
import numpy as np

from srlib import book, published
from srlib.data import dataset_paths, load_image, make_lr, save_image
from srlib.evaluation import bicubic_upscaler
from srlib.metrics import evaluate_pair

scale, root = shared.scales[0], shared.root
path = Path(image) if image else next(p for p in dataset_paths("Set14", root) if p.stem == "comic")
refs = published.best_per_scale(results_dir)  # the best committed weights per scale
run = refs.get(scale) or book.curriculum_run(profile, scale, "full", **shared.run_options)
print(f"image: {path}")
print(run.provenance(f"weights: CSRCNN x{scale}").line())

# %%
img = load_image(path)
if mode == "degrade":
    hr, lr = make_lr(img, scale)
else:
    hr, lr = None, img
t0 = time.perf_counter()
sr = run.upscaler(scale, device)(lr, scale)
t_sr = time.perf_counter() - t0
bic = bicubic_upscaler(lr, scale)
out_dir = book.resolve("book/notebooks/figures")
out_dir.mkdir(parents=True, exist_ok=True)
save_image(out_dir / f"try_it_x{scale}_csrcnn.png", sr)
print(f"LR {lr.shape[1]}x{lr.shape[0]} -> {sr.shape[1]}x{sr.shape[0]} in {t_sr:.2f} s")

# %%
h, w = sr.shape[:2]
ch, cw = max(8, int(h * float(crop))), max(8, int(w * float(crop)))
y0, x0 = (h - ch) // 2, (w - cw) // 2
panels = [("input", np.kron(lr, np.ones((scale, scale, 1), dtype=lr.dtype))), ("bicubic", bic),
          ("CSRCNN", sr)] + ([("ground truth", hr)] if hr is not None else [])
fig, axes = plt.subplots(2, len(panels), figsize=(2.3 * len(panels), 5))  # readable at column width
for j, (title, im) in enumerate(panels):
    show = im[..., 0] if im.shape[2] == 1 else im
    axes[0, j].imshow(show, cmap="gray" if im.shape[2] == 1 else None)
    axes[0, j].set_title(title)
    axes[1, j].imshow(show[y0:y0 + ch, x0:x0 + cw], cmap="gray" if im.shape[2] == 1 else None)
    axes[1, j].set_title("centre crop")
for ax in axes.ravel():
    ax.axis("off")
fig.tight_layout()
book.save_figure(fig, f"try_it_x{scale}")
plt.show()

# %%
if hr is not None:
    for name, out in (("bicubic", bic), ("CSRCNN", sr)):
        s = evaluate_pair(out if out.ndim == 3 else out[..., None], hr, scale)
        print(f"{name}: PSNR {s.psnr:.2f} dB, SSIM {s.ssim:.4f} (Y channel, {scale} pixels shaved)")
else:
    print("enlarge mode: no ground truth, no PSNR")

# %% [markdown]
# ## The weights, and how to use them
#
# Every committed network a reader can use, named for what it is, with its stored scores on the
# four benchmarks (the paper's protocol) and the training compute behind it from scratch; the
# default of each scale is the one the command line, `torch.hub` and this page use.

# %%
import pandas as pd

listing = pd.DataFrame(published.listing())
if len(listing):
    # each scale's default, and every network of another kind than the defaults (e.g. the paper's architecture)
    shown = listing[listing["default"] | ~listing.network.isin(set(listing[listing["default"]].network))]
    scores = pd.DataFrame(list(shown.psnr), index=shown.index).round(2)
    weights_table = pd.concat([shown[["name", "network"]], scores], axis=1).assign(
        **{"PFLOP": (shown.total_training_flops / 1e15).round(2), "default": shown["default"].map({True: "yes", False: ""})})
    display(book.styled(weights_table.set_index("name"), "Committed weights: PSNR (dB) on each benchmark",
                        "try-it-weights"))
    print(f"{len(listing)} committed results in all: `python -m srlib weights` lists them.")
    print("A result's weights: results/<name>/weights_fp16.safetensors")

# %% [markdown]
# From Python, `torch.hub` loads the default weights of a scale from a clone of the repository
# (no download; the cell below runs it), and the command line does the same for whole images:
#
# ```bash
# python -m srlib weights                      # the table above
# python -m srlib upscale photo.png --scale 4  # x4 weights: photo_x4.png
# python -m srlib evaluate --dataset Set5 --scale 4  # their PSNR, SSIM
# ```

# %%
import torch

net = torch.hub.load(str(book.REPO_ROOT), "csrcnn", scale=4, source="local")  # the default x4 weights
with torch.no_grad():
    levels = net(torch.rand(1, 3, 24, 24))  # an RGB image in [0, 1], N x 3 x H x W
print(f"output: {tuple(levels[-1].shape)} (the x4 image is the last of the list)")
