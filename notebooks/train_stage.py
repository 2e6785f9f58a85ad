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
# # Training one curriculum stage
#
# CSRCNN is trained the way it is built: level by level. The x2 network is trained first; the x4
# network starts from it and adds a second level, whose image is faded in over the first part of
# its training; the x8 network does the same from x4. This notebook runs **one** stage. The book's
# build runs it three times with papermill (`scale` 2, then 4, then 8; see {doc}`../reproduce`).
#
# A stage that was already trained with the same configuration (same profile, same fields, same
# starting checkpoint) is found in `runs/` and reused; only a new configuration trains.

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
#
# * run one curriculum stage with papermill parameters and find it again in `runs/` by its key;
# * read a training log (loss, learning rate, validation PSNR) and a provenance line;
# * list the fields in which a profile's run differs from the paper's settings.
# ```

# %% tags=["parameters"]
profile = "quick"  # smoke | quick | reference | paper (srlib.profiles.PRESETS)
scale = 2  # this stage: 2, 4 or 8
variant = "full"  # full | model1 | model3 | tu (see srlib.training.runs.stage_config)
init = ""  # empty: from scratch (x2); previous: the previous stage, found or trained; or a checkpoint path
device = "auto"  # auto | cpu | cuda
runs_dir = "runs"  # where runs live (git-ignored)
data_dir = ""  # data root; empty: $SRLIB_DATA_DIR or ./data
eval_sets = "Set5,Set14"  # benchmarks evaluated at the end of the stage
cache_dir = "runs/cache/eval"
overrides = "{}"  # JSON dict of TrainConfig fields to change, for example {"steps": 50}

# %% tags=["remove-cell"]
from srlib import book

shared = book.shared_parameters(globals())  # a bad parameter stops the notebook here, in one line

# %%
import json
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from myst_nb import glue

from srlib import book
from srlib.evaluation import bicubic_upscaler
from srlib.paper import load_paper_table
from srlib.training import preset
from srlib.profiles import PAPER_STATED

sns.set_theme(style="whitegrid", context="notebook")
scale, root, sets, start = shared.scales[0], shared.root, shared.datasets, shared.start
extra = json.loads(overrides) if isinstance(overrides, str) else dict(overrides)
extra.update(device=device, progress=False)
if data_dir:
    extra["data_root"] = str(data_dir)

# %% [markdown]
# ## The configuration
#
# The profile fixes the budget. Beside each field where this run differs from the paper: the
# paper's value where the paper states one, else "not stated" with the value this book's `paper`
# profile uses in its place (the book's choice, not the paper's).

# %%
chosen = book.stage_config(profile, scale, variant, **{k: v for k, v in extra.items() if k != "init"})
paper_cfg = preset("paper", scale)
diff = {k: v for k, v in chosen.to_dict().items()
        if json.dumps(v) != json.dumps(paper_cfg.to_dict().get(k))
        and k not in ("profile", "device", "progress", "data_root", "init", "variant", "final_scale")}
paper_value = {k: json.dumps(paper_cfg.to_dict().get(k)) if k in PAPER_STATED
               else f"not stated (the book's paper profile: {json.dumps(paper_cfg.to_dict().get(k))})" for k in diff}
config_table = pd.DataFrame({"this run": {k: json.dumps(v) for k, v in diff.items()}, "the paper": paper_value})
book.styled(config_table, f"Stage x{scale} ({variant}), profile {profile}: fields that differ from the paper's setting",
            f"train-x{scale}-config")

# %% [markdown]
# ## Training
#
# `srlib.training.runs.curriculum_run` finds (or trains) the previous stages first, then this one.

# %%
if init in ("", "previous") or scale == 2:
    run = book.curriculum_run(profile, scale, variant, runs_dir=runs_dir, **extra)
else:
    cfg = book.stage_config(profile, scale, variant, init=str(book.resolve(init)), **extra)
    run = book.find_or_train(cfg, label=f"{variant}-x{scale}", runs_dir=runs_dir)
print(run.provenance(f"CSRCNN x{scale} ({variant})").line())
start_from = run.info.get("init") or {}
print("initialised from:", f"{book.display_path(start_from['path'])} (step {start_from.get('step')}, "
      f"x{start_from.get('scale')})" if start_from.get("path") else "scratch (random weights)")
print(f"parameters: {run.parameters():,}")

# %% [markdown]
# ## The training log
#
# Loss per logged step (L1 first, then alternating L2 / L1 fine-tuning; the colour says which) and
# the learning rate. The PSNR points are the validations the profile asked for.

# %%
log = run.log()
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
for kind, part in log.groupby("loss_kind"):
    axes[0].plot(part.step, part.loss, ".", label=kind.upper(), markersize=5)
axes[0].set(xlabel="step", ylabel="training loss", yscale="log", title=f"x{scale} stage: loss")
axes[0].legend()
axes[1].plot(log.step, log.lr, color="gray")
axes[1].set(xlabel="step", ylabel="learning rate", title="schedule")
if "alpha" in log and log.alpha.lt(1).any():
    ax2 = axes[1].twinx()
    ax2.plot(log.step, log.alpha, color="tab:orange")
    ax2.set_ylabel("fade-in weight of the new level", color="tab:orange")
fig.tight_layout()
book.save_figure(fig, f"train_x{scale}_{variant}_log")
plt.show()

# %% [markdown]
# ## How good is this stage?
#
# PSNR / SSIM (Y channel, the paper's protocol) of this stage's model and of bicubic, beside the
# paper's CSRCNN and Bicubic rows of Table V.

# %%
weights_key = book.weights_fingerprint(run.weights)
ours = pd.concat([
    book.evaluate_grid(run.upscaler(scale, device), method="CSRCNN", datasets=sets, scales=[scale], root=root,
                       cache_dir=book.resolve(cache_dir), cache_key=weights_key),
    book.evaluate_grid(bicubic_upscaler, method="Bicubic", datasets=sets, scales=[scale], root=root,
                       cache_dir=book.resolve(cache_dir), cache_key="bicubic-matlab-uint8"),
])
paper5 = load_paper_table("table5")
paper_rows = paper5[paper5.method.isin(["CSRCNN", "Bicubic"]) & (paper5.scale == scale) & paper5.dataset.isin(sets)]
cmp = book.compare(paper_rows, ours, on=["method", "scale", "dataset"], values=["psnr", "ssim"])
book.styled(book.comparison_table(cmp, ["method"], "psnr", 2, columns="dataset"),
            f"x{scale} stage: PSNR (dB), paper | ours | difference", f"train-x{scale}-psnr")

# %%
book.styled(book.comparison_table(cmp, ["method"], "ssim", 4, columns="dataset"),
            f"x{scale} stage: SSIM, paper | ours | difference", f"train-x{scale}-ssim")

# %%
csr = ours[ours.method == "CSRCNN"].set_index("dataset")
bic = ours[ours.method == "Bicubic"].set_index("dataset")
first = sets[0]
gain = float(csr.loc[first, "psnr"] - bic.loc[first, "psnr"])
print(f"{first} x{scale}: CSRCNN {csr.loc[first, 'psnr']:.2f} dB vs bicubic {bic.loc[first, 'psnr']:.2f} dB "
      f"({gain:+.2f} dB)")
print(run.provenance(f"CSRCNN x{scale} ({variant})").line())
glue(f"x{scale}_psnr_{first}", float(csr.loc[first, "psnr"]), display=False)
glue(f"x{scale}_gain_{first}", gain, display=False)
glue(f"x{scale}_steps", int(run.summary["steps"]), display=False)
glue(f"x{scale}_wall", book.format_duration(run.summary["wall_time"]), display=False)
