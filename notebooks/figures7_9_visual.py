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
# (figures7-9)=
# # Figures 7, 8 and 9: what the images look like
#
# The paper's qualitative figures put the same region of a test image side by side for every
# method: Figure 7 at x4 ("woman" from Set5, "monarch" from Set14), Figure 8 at x8 ("img043"
# from Urban100, "108005" from B100, "Hamlet" from Manga109), and Figure 9 on real photographs
# that have no high-resolution original. Here the panels are the ground truth (HR), MATLAB
# bicubic, and CSRCNN twice where both exist: the best weights committed in the repository for
# that scale (the committed result folders under `results/`) and the network this build trained
# with its profile. Peer methods are not re-run (see {doc}`../limitations`), so they have no panel.
#
# Each zoomed crop is taken at the same place in every panel: the window where bicubic is
# furthest from HR (`srlib.book.figures.error_crop`), which is where a better method can show it.
# PSNR / SSIM under each panel are the whole image's, with the paper's protocol (Y channel,
# `scale` pixels shaved, MATLAB SSIM); bicubic and HR are exact, the CSRCNN panels are only as
# good as their training (their provenance is printed under the figures).

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
#
# * compare super-resolution methods visually at the same crop, with the scores beside the pictures;
# * explain why an image without a ground truth (a real photograph) can be shown but not scored.
# ```

# %% tags=["parameters"]
profile = "quick"
device = "auto"
runs_dir = "runs"
data_dir = ""
results_dir = "results"  # committed result folders (x2/, x4/, x8/ inside each), used when present
crop_fraction = 0.25  # side of the zoomed crop, as a fraction of the image's shorter side
native_side = 96  # Figure 9: side (LR pixels) of the region of each photograph that is enlarged

# %% tags=["remove-cell"]
from srlib import book

shared = book.shared_parameters(globals())  # a bad parameter stops the notebook here, in one line

# %%
import time
import textwrap
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from srlib import book, published
from srlib.data import load_image, make_lr
from srlib.evaluation import bicubic_upscaler
from srlib.metrics import evaluate_pair

root, start, common = shared.root, shared.start, shared.run_options
best = published.best_per_scale(results_dir, "Set5")
_profile_runs = {}
scores = []  # one row per CSRCNN / bicubic panel of Figures 7 and 8


def profile_run(scale):
    """This profile's curriculum run at ``scale`` (found in runs/, or trained now), as in Table V."""
    if scale not in _profile_runs:
        _profile_runs[scale] = book.curriculum_run(profile, scale, "full", **common)
    return _profile_runs[scale]


def methods_for(scale):
    """``[(panel title, run)]``: the best committed weights for ``scale`` (when committed) and this
    profile's run."""
    out = []
    if scale in best:
        out.append((f"CSRCNN, committed ({best[scale].record.get('profile')}, {best[scale].record.get('steps')} steps)",
                    best[scale]))
    run = profile_run(scale)
    out.append((f"CSRCNN, this build ({profile}, {run.summary.get('steps')} steps)", run))
    return out


def show(ax, img, title=None):
    ax.imshow(img[..., 0] if img.shape[2] == 1 else img, cmap="gray" if img.shape[2] == 1 else None,
              vmin=0, vmax=255, interpolation="nearest")
    ax.set_xticks([]), ax.set_yticks([])
    if title:
        ax.set_title(textwrap.fill(title, 24), fontsize=9)


def compare_figure(items, scale, name):
    """One row of whole images and one row of crops per ``(dataset, image)`` in ``items``."""
    rows = []
    for dataset, image in items:
        path = book.benchmark_image(dataset, image, root)
        if path is None:
            print(f"{dataset} '{image}': {book.MISSING} under the data root {root}: no panel "
                  "(the paper shows it; supply the dataset to see it here)")
            continue
        hr, lr = make_lr(load_image(path), scale)
        panels = [("HR (ground truth)", hr, None), ("bicubic", bicubic_upscaler(lr, scale), None)]
        for title, run in methods_for(scale):
            panels.append((title, np.asarray(run.upscaler(scale, device)(lr, scale)), run))
        rows.append((dataset, path.stem, hr, panels))
    if not rows:
        return None
    ncol = max(len(p) for *_, p in rows)
    ratios = [r for *_, hr, _ in rows for r in (hr.shape[0] / hr.shape[1], 1.0)]
    fig, axes = plt.subplots(2 * len(rows), ncol, figsize=(min(9.0, 2.2 * ncol), 2.1 * sum(ratios) + 0.4 * len(ratios)),
                             squeeze=False, gridspec_kw={"height_ratios": ratios}, layout="constrained")
    for r, (dataset, stem, hr, panels) in enumerate(rows):
        side = max(8, int(min(hr.shape[:2]) * float(crop_fraction)))
        y0, x0 = book.error_crop(hr, panels[1][1], side, border=scale)
        for c in range(ncol):
            top, bottom = axes[2 * r, c], axes[2 * r + 1, c]
            if c >= len(panels):
                top.axis("off"), bottom.axis("off")
                continue
            title, img, _ = panels[c]
            show(top, img, f"{dataset} {stem}, x{scale}\n{title}" if c == 0 else title)
            top.add_patch(Rectangle((x0, y0), side, side, fill=False, edgecolor="red", linewidth=1.2))
            show(bottom, img[y0:y0 + side, x0:x0 + side])
            score = evaluate_pair(img, hr, scale) if c else None
            # two short lines: one long label would run into its neighbour's under a narrow crop
            bottom.set_xlabel("PSNR / SSIM:\nreference" if score is None
                              else f"PSNR {score.psnr:.2f} dB\nSSIM {score.ssim:.4f}", fontsize=9)
            if score is not None:
                scores.append({"figure": name, "image": f"{dataset} {stem}", "scale": scale, "method": title,
                               "psnr": score.psnr, "ssim": score.ssim})
    book.save_figure(fig, name)  # constrained layout: a crop's labels never reach the next row's titles
    return fig


# %% [markdown]
# ## Figure 7: x4

# %%
fig7 = compare_figure([("Set5", "woman"), ("Set14", "monarch")], 4, "figure7_x4")
plt.show()

# %% [markdown]
# ## Figure 8: x8
#
# Manga109 is not in the shared data; when a reader supplies it (see `data/README.md`) the Hamlet
# panel appears, otherwise the line under the figure says it is missing.

# %%
fig8 = compare_figure([("Urban100", "img043"), ("B100", "108005"), ("Manga109", "Hamlet")], 8, "figure8_x8")
plt.show()

# %% [markdown]
# The scores under the panels, as a table:

# %%
import pandas as pd

score_table = pd.DataFrame(scores).set_index(["figure", "image", "method"])[["psnr", "ssim"]]
book.styled(score_table, "Figures 7 and 8: PSNR (dB) / SSIM of each panel (whole image, paper's protocol)",
            "figures7-8-scores", precision=4)

# %% [markdown]
# ## Figure 9: images that have no high-resolution original
#
# The paper enlarges two real photographs: one degraded by motion blur at x4 and one from the
# Internet at x8. Here the inputs are photographs that ship inside scikit-image, a package this
# project already depends on (`skimage.data`): `clock` (a photograph of a clock blurred by
# motion, grey) at x4 and `astronaut` (a colour portrait) at x8. A region of
# `native_side` x `native_side` pixels of each is enlarged *as it is*, with no downscaling first:
# there is no ground truth and no PSNR, only what each method makes of real pixels. The region is
# the one with the most detail (`srlib.book.figures.detail_crop`). The networks
# were trained on MATLAB-bicubic downscaled images, whose blur and noise these photographs do
# not share.

# %%
import skimage.data

native = [("skimage.data.clock (motion blur, grey)", skimage.data.clock(), 4),
          ("skimage.data.astronaut", skimage.data.astronaut(), 8)]
ncol = 2 + max(len(methods_for(s)) for *_, s in native)
fig, axes = plt.subplots(len(native), ncol, figsize=(min(9.0, 2.2 * ncol), 2.4 * len(native)), squeeze=False)
for r, (label, photo, scale) in enumerate(native):
    photo = photo[..., None] if photo.ndim == 2 else photo
    side = min(int(native_side), *photo.shape[:2])
    y0, x0 = book.detail_crop(photo, side)
    lr = np.ascontiguousarray(photo[y0:y0 + side, x0:x0 + side])
    panels = [(f"{label}\nrows {y0}-{y0 + side - 1}, columns {x0}-{x0 + side - 1}\ninput (nearest, x{scale})",
               np.kron(lr, np.ones((scale, scale, 1), lr.dtype))), (f"bicubic x{scale}", bicubic_upscaler(lr, scale))]
    panels += [(title, np.asarray(run.upscaler(scale, device)(lr, scale))) for title, run in methods_for(scale)]
    for c in range(ncol):
        if c < len(panels):
            show(axes[r, c], panels[c][1], panels[c][0])
        else:
            axes[r, c].axis("off")
fig.tight_layout()
book.save_figure(fig, "figure9_native")
plt.show()

# %% [markdown]
# ## Where the CSRCNN panels come from

# %%
for s in (4, 8):
    for title, run in methods_for(s):
        print(run.provenance(f"x{s} panel '{title}'").line())
missing = [s for s in (4, 8) if s not in best]
if missing:
    print(f"no committed weights for x{', x'.join(map(str, missing))} under {results_dir}/: those figures show only "
          f"this build's network (profile {profile})")
print(f"this page: {book.format_duration(time.perf_counter() - start)}")
