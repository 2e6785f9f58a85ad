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
# (architectures)=
# # The paper's architecture against the CPU variant, at equal compute
#
# The best weights of this book come from the **CPU variant** of CSRCNN: 48 channels, U blocks
# 6/4/2 and no refined block. The **paper's architecture** has 64 channels and one refined block
# per level, which works in HR space and makes a training step several times dearer. Both were
# trained here with the same recipe (T91 + BSD200, the bicubic image skip, PyTorch's
# initialisation, Adam with a cosine decay), x2 from scratch and then x4 from the x2 weights, so
# that width and the refined block are the only differences. Which one buys more PSNR for the
# same compute? Every number is read from the stored results under `results/campaign/`.
#
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
#
# * compare two networks at equal training compute instead of at equal steps;
# * tell a value read at the end of a schedule from one read in its middle;
# * say what one seed per network can and cannot support.
# ```

# %% tags=["parameters"]
profile = "quick"  # unused: this chapter only reads stored results (kept for the build script)
device = "auto"
campaign_dir = "results/campaign"

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

from srlib import campaign, published
from srlib.book import campaign_views as views
from srlib.campaign import architectures as arch

sns.set_theme(style="whitegrid", context="notebook")
base = book.resolve(campaign_dir)
# Each network by its last published stage; the stages before it are the ones it recorded as its
# parents (x4 was trained from the x2 weights).
LAST_STAGE = {"CPU variant": "campaign/x4", "paper's architecture": "campaign/paper-x4"}
chains = {}
for name, last in LAST_STAGE.items():
    stage = published.find_published(last, base.parent)
    chain = arch.stage_chain(stage) if stage is not None else []
    chains[name] = {r.scale: chain[:i + 1] for i, r in enumerate(chain)}
scales = sorted(set.intersection(*(set(c) for c in chains.values())))
print(f"compared at {', '.join(f'x{s}' for s in scales)}; " + "; ".join(
    f"{name}: {' -> '.join(r.name for r in by_scale[max(by_scale)]) if by_scale else 'not published'}"
    for name, by_scale in chains.items()))
for name, by_scale in chains.items():
    for s, stages in by_scale.items():
        print(stages[-1].provenance(f"{name} x{s}").line())

def glue_all(values):  # numbers the prose quotes, by name (numpy scalars as plain Python numbers)
    for key, value in values.items():
        glue(key, value.item() if hasattr(value, "item") else value, display=False)


# %% [markdown]
# ## The two networks, each at the end of its schedule
#
# Parameters, cost per training step, and the PSNR (dB) of the final weights on the four
# benchmarks, all images, with the paper's protocol. The compute of an x4 row includes its x2
# stage's.

# %%
summary = pd.DataFrame([{"network": name, **arch.chain_summary(stages)}
                        for name, by_scale in chains.items() for s, stages in sorted(by_scale.items())])
display(book.styled(views.architecture_costs(summary), "What each network's chain cost", "architectures-summary"))
book.styled(views.architecture_scores(summary), "PSNR (dB) of the final weights, all images", "architectures-scores")

# %% [markdown]
# ## At equal compute
#
# Each network is read at the end of its schedule, and the other one at the same compute on its
# validation curve (Set5, float32 weights, linear interpolation between validation points, never
# beyond the curve). A value read in the middle of a schedule comes before the learning rate has
# decayed and is pessimistic for that network; the column "other mid-schedule" says where. The
# interval is a 95 % Student-t interval from the noise of one run (the pooled spread of the
# campaign's runs repeated with another seed): one seed per network, so it says how far noise
# alone could move the difference. CPU-seconds depend on the processor a run used (named in the
# provenance lines above); training FLOPs do not, which makes them the fairer of the two measures.

# %%
scratch = pd.concat([campaign.read_pilots(base / "pilots"), campaign.read_pilots(base / "schedules")])
sd, dof = campaign.seed_spread(scratch, campaign.SCRATCH_RECIPE)
curves = {s: {name: arch.chain_curve(by_scale[s]) for name, by_scale in chains.items()} for s in scales}
tables = {(s, axis): arch.equal_compute(curves[s], axis, sd, dof) for s in scales for axis in arch.AXES}
book.styled(views.equal_compute_table(tables), "Each network at the end of its schedule, the other at the same "
            "compute (Set5, dB)", "architectures-equal-compute", precision=3)

# %%
fig, axes = plt.subplots(1, len(scales), figsize=(4.5 * len(scales), 3.6), squeeze=False)
for ax, s in zip(axes[0], scales):
    for name, curve in curves[s].items():
        ax.plot(curve.train_flops / 1e15, curve.psnr, marker=".", label=name)
    ax.set(title=f"x{s}", xlabel="training PFLOPs (chain)", ylabel=f"Set5 x{s} PSNR (dB)")
axes[0][-1].legend(loc="lower right", fontsize=9)
fig.tight_layout()
book.save_figure(fig, "architectures_curves")
plt.show()

# %% [markdown]
# Set5 PSNR during training against the compute spent, for both networks (each point a
# validation of the float32 weights). An x4 curve starts where its x2 stage ended: the x2
# stage's compute is counted in.

# %% [markdown]
# ## What it says
#
# At x2, at the same training FLOPs, the CPU variant is {glue:text}`arch_x2_flops_gap:.2f` dB
# (95 % interval {glue:text}`arch_x2_flops_low:.2f` to {glue:text}`arch_x2_flops_high:.2f`) above
# the paper's architecture, and at the same CPU-seconds {glue:text}`arch_x2_seconds_gap:.2f` dB
# ({glue:text}`arch_x2_seconds_low:.2f` to {glue:text}`arch_x2_seconds_high:.2f`). Each network at
# the end of its own schedule: the paper's architecture is {glue:text}`arch_x2_end_behind:.2f` dB
# behind although it spent {glue:text}`arch_x2_more_compute:.0%` more training FLOPs.
# {glue:text}`arch_x4_text` With one finished schedule per network and stage, the compute-fidelity
# law of the campaign chapter cannot be fitted to the paper's architecture (it needs finished runs
# at three budgets or more), so no extrapolation to the paper's own budget is made here.

# %%
glue_all({f"arch_x2_{name}_{key}": value for name, axis in (("flops", "train_flops"), ("seconds", "cpu_seconds"))
          for key, value in arch.ahead_at_equal_compute(tables[(2, axis)], "CPU variant").items()})
ends = tables[(2, "train_flops")].set_index("network")  # each network at the end of its own schedule
glue_all({"arch_x2_end_behind": ends.psnr["CPU variant"] - ends.psnr["paper's architecture"],
          "arch_x2_more_compute": ends.train_flops["paper's architecture"] / ends.train_flops["CPU variant"] - 1})
if 4 in scales:
    x4 = {name: arch.ahead_at_equal_compute(tables[(4, axis)], "CPU variant") for name, axis in
          (("flops", "train_flops"), ("seconds", "cpu_seconds"))}
    text = (f"At x4 (the chain x2 then x4), the CPU variant is {x4['flops']['gap']:+.2f} dB "
            f"[{x4['flops']['low']:+.2f}, {x4['flops']['high']:+.2f}] above the paper's architecture at the same "
            f"training FLOPs and {x4['seconds']['gap']:+.2f} dB at the same CPU-seconds.")
else:
    text = "The paper's architecture has not been trained at x4 yet."
glue("arch_x4_text", text, display=False)
print(text)
