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
# (figure6)=
# # Figure 6: what each stage sees
#
# The paper's Figure 6 shows, for Set5 `butterfly` at x4, the feature maps of each stage averaged
# over their channels: the first level holds a rough outline, the second a sharper one. The same
# picture is drawn here from the x4 network of the curriculum (`CSRCNN.feature_maps`): for each
# level, after its U blocks (LR space), after its transposed convolution, and after its refined
# block (HR space) when the network has one, then the level's output image. The `quick` profile's
# networks have no refined block (see {doc}`../limitations`); their levels then show no such
# panel, since the map "after" it would be the transposed convolution's map again.

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
#
# * extract the channel-averaged feature maps of each stage of a trained cascade;
# * relate what the maps show to the stages the network actually has.
# ```

# %% tags=["parameters"]
profile = "quick"
device = "auto"
runs_dir = "runs"
data_dir = ""
dataset = "Set5"
image = "butterfly"
scale = 4

# %%
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")

import matplotlib.pyplot as plt
import numpy as np
from myst_nb import glue

from srlib import book
from srlib.data import data_root, dataset_paths, load_image, make_lr
from srlib.feature_maps import average_feature_maps

scale = int(scale)
root = data_root(data_dir or None)
run = book.curriculum_run(profile, scale, "full", runs_dir=runs_dir, device=device, progress=False,
                          **({"data_root": str(data_dir)} if data_dir else {}))
path = next(p for p in dataset_paths(dataset, root) if p.stem == image)
hr, lr = make_lr(load_image(path), scale)
maps = average_feature_maps(run.weights, lr)
print(f"{path.name}: HR {hr.shape[1]}x{hr.shape[0]}, LR {lr.shape[1]}x{lr.shape[0]}; {len(maps)} feature maps")

# %%
levels = sorted({k.split("/")[0] for k in maps})
# Refined blocks per level of the network actually trained (0 in the quick profile): a level
# without one gets no "after refined block" panel (its map would repeat the previous one).
hr_blocks = list(run.config.model_spec()[1].get("hr_blocks") or [1] * len(levels))
parts = {level: ("u", "up", "hr") if hr_blocks[i] else ("u", "up") for i, level in enumerate(levels)}
maps = {k: v for k, v in maps.items() if k.split("/")[1] in parts[k.split("/")[0]]}
names = {"u": "after U blocks (LR space)", "up": "after transposed conv",
         "hr": "after refined block" + ("s" if max(hr_blocks) > 1 else "")}
print("refined blocks per level: " + ", ".join(f"{level} {n}" for level, n in zip(levels, hr_blocks)))
sr = run.upscaler(scale, "cpu")
ncol = 1 + max(len(p) for p in parts.values())
fig, axes = plt.subplots(len(levels), ncol, figsize=(3.3 * ncol, 3.3 * len(levels)))
axes = np.atleast_2d(axes)
for i, level in enumerate(levels):
    for j, part in enumerate(parts[level]):
        m = maps[f"{level}/{part}"]
        axes[i, j].imshow(m, cmap="viridis")
        axes[i, j].set_title(f"{level}: {names[part]}\n{m.shape[1]}x{m.shape[0]}", fontsize=9)
    out = sr(lr, 2 ** (i + 1)) if 2 ** (i + 1) <= scale else None
    axes[i, ncol - 1].imshow(out)
    axes[i, ncol - 1].set_title(f"{level}: output image (x{2 ** (i + 1)})", fontsize=9)
for ax in axes.ravel():
    ax.axis("off")
fig.suptitle(f"Figure 6 (ours): average feature maps, {dataset} {image}, x{scale}, profile {profile}")
fig.tight_layout()
book.save_figure(fig, "figure6_feature_maps")
plt.show()

# %% [markdown]
# A number to go with the picture: how much the average map of each level correlates with the
# edges of the HR image (Sobel magnitude, resized to the map's size). The paper's observation
# would show as a higher value for the later level.

# %%
from scipy import ndimage

from srlib.matlab import imresize, rgb_to_y

y = rgb_to_y(hr.astype(np.float64))
edges = np.hypot(ndimage.sobel(y, 0), ndimage.sobel(y, 1))
rows = []
for key, m in maps.items():
    e = imresize(edges, output_shape=m.shape)
    rows.append({"map": key, "size": f"{m.shape[1]}x{m.shape[0]}",
                 "correlation with HR edges": float(np.corrcoef(m.ravel(), e.ravel())[0, 1])})
import pandas as pd

corr = pd.DataFrame(rows).set_index("map").round(3)
book.styled(corr, "Average feature map vs HR edge magnitude (Pearson r)", "figure6-edges", precision=3)

# %%
print(run.provenance(f"CSRCNN x{scale}").line())
glue("figure6_last_edge_corr", float(corr["correlation with HR edges"].iloc[-1]), display=False)
