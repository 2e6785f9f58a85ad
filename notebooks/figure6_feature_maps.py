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

# %% tags=["remove-cell"]
from srlib import book

shared = book.shared_parameters(globals())  # a bad parameter stops the notebook here, in one line

# %%
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")

import matplotlib.pyplot as plt
import numpy as np
from myst_nb import glue

from srlib import book
from srlib.data import dataset_paths, load_image, make_lr
from srlib.feature_maps import average_feature_maps

scale, root, options = shared.scales[0], shared.root, shared.run_options
# The curriculum's network (x2, then x4 from x2) and Table II's Model2: the same architecture
# trained end to end at x4 for as many steps as the curriculum's stages together.
runs = {"curriculum": book.curriculum_run(profile, scale, "full", **options),
        "end to end (Model2)": book.curriculum_run(profile, scale, "model2", **options)}
path = next(p for p in dataset_paths(dataset, root) if p.stem == image)
hr, lr = make_lr(load_image(path), scale)
print(f"{path.name}: HR {hr.shape[1]}x{hr.shape[0]}, LR {lr.shape[1]}x{lr.shape[0]}")


def drawn_maps(run):
    """The run's average feature maps, keeping only the stages its network has: a level without
    a refined block gets no "after refined block" panel (its map would repeat the previous one)."""
    maps = average_feature_maps(run.weights, lr)
    levels = sorted({k.split("/")[0] for k in maps})
    hr_blocks = list(run.config.model_spec()[1].get("hr_blocks") or [1] * len(levels))
    parts = {level: ("u", "up", "hr") if hr_blocks[i] else ("u", "up") for i, level in enumerate(levels)}
    kept = {k: v for k, v in maps.items() if k.split("/")[1] in parts[k.split("/")[0]]}
    return kept, levels, parts, hr_blocks


def draw(run, label):
    maps, levels, parts, hr_blocks = drawn_maps(run)
    names = {"u": "after U blocks (LR space)", "up": "after transposed conv",
             "hr": "after refined block" + ("s" if max(hr_blocks) > 1 else "")}
    print(f"{label}: refined blocks per level: " + ", ".join(f"{lv} {n}" for lv, n in zip(levels, hr_blocks)))
    sr = run.upscaler(scale, "cpu")
    ncol = 1 + max(len(p) for p in parts.values())
    fig, axes = plt.subplots(len(levels), ncol, figsize=(min(9.0, 2.2 * ncol), 2.2 * len(levels)))
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
    fig.suptitle(f"Figure 6 (ours, {label}): average feature maps, {dataset} {image}, x{scale}, profile {profile}")
    fig.tight_layout()
    return fig, maps


figures = {}
for (label, run), name in zip(runs.items(), ["figure6_feature_maps", "figure6_feature_maps_end_to_end"]):
    fig, figures[label] = draw(run, label)
    book.save_figure(fig, name)
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
for label, maps in figures.items():
    for key, m in maps.items():
        e = imresize(edges, output_shape=m.shape)
        rows.append({"map": key, "size": f"{m.shape[1]}x{m.shape[0]}", "model": label,
                     "r": float(np.corrcoef(m.ravel(), e.ravel())[0, 1])})
import pandas as pd

corr = pd.DataFrame(rows).pivot_table(index=["map", "size"], columns="model", values="r").round(3)
corr.columns = [f"correlation with HR edges: {c}" for c in corr.columns]
book.styled(corr, "Average feature map vs HR edge magnitude (Pearson r), curriculum vs end to end",
            "figure6-edges", precision=3)

# %% [markdown]
# The paper reads its Figure 6 as the curriculum giving clearer contours stage by stage; it shows
# no end-to-end model's maps to compare with. Both are drawn here, from one seed each: the
# correlations describe these two networks, not the training methods in general (the
# {ref}`claims chapter <claims>` lists this claim as not testable as stated).

# %%
for label, run in runs.items():
    print(run.provenance(f"CSRCNN x{scale}, {label}").line())
glue("figure6_last_edge_corr", float(corr.iloc[-1, list(runs).index("curriculum")]), display=False)
