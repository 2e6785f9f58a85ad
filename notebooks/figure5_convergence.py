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
# (figure5)=
# # Figure 5: convergence with and without back-projection
#
# The paper's Figure 5 follows PSNR during training for the network with BP-U blocks and the one
# with traditional U blocks: the first converges faster and higher. Here the curves are drawn from
# the training logs (`log.csv` of each run: step, loss, learning rate, and four validations per
# stage on the first images of Set5) of the same two curricula as {ref}`Table III <table3>`: x2, then x4 from x2.
# Steps are counted from the start of the curriculum, so the x4 stage continues where x2 stopped.

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
#
# * draw convergence curves from training logs and compare two architectures over steps and wall time.
# ```

# %% tags=["parameters"]
profile = "quick"
device = "auto"
runs_dir = "runs"
data_dir = ""
scale = 4  # last stage shown
cache_dir = "runs/cache/eval"
ablation_steps = ""  # JSON such as {"2": 150, "4": 60}; empty: srlib.book.budgets.ABLATION_STEPS (the profile's steps)

# %%
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from myst_nb import glue

from srlib import book

sns.set_theme(style="whitegrid", context="notebook")
scale = int(scale)
common = book.run_options(runs_dir, device, data_dir)
stages = [2 ** i for i in range(1, scale.bit_length())]
steps = book.steps_parameter(ablation_steps, book.ABLATION_STEPS, profile)
print(f"steps per curriculum stage of every row: {book.describe_steps(steps, profile)}")


# %%
logs = []
runs = {}
for label, variant in {"BP-U (back-projection)": "full", "T-U (no back-projection)": "tu"}.items():
    offset = 0
    for s in stages:
        run = book.ablation_run(profile, s, variant, steps, **common)
        runs[(label, s)] = run
        log = run.log().assign(block=label, stage=f"x{s}")
        log["curriculum step"] = log.step + offset
        offset += int(run.summary["steps"])
        logs.append(log)
logs = pd.concat(logs, ignore_index=True)

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
# The schedule ends each stage with alternating L2 / L1 segments; an L2 loss is on another scale
# (its square), so only the L1 rows are drawn.
l1 = logs[logs.loss_kind == "l1"]
sns.lineplot(data=l1, x="curriculum step", y="loss", hue="block", style="stage", ax=axes[0])
axes[0].set(yscale="log", ylabel="training L1 loss", title="Loss (L1 steps; L2 fine-tuning steps not drawn)")
val = logs.dropna(subset=["psnr"])
sns.lineplot(data=val, x="curriculum step", y="psnr", hue="block", style="stage", markers=True, dashes=False, ax=axes[1])
val_cfg = runs[("BP-U (back-projection)", stages[-1])].info.get("train_config", {})
val_what = f"first {val_cfg['val_limit']} images of " if val_cfg.get("val_limit") else ""
axes[1].set(ylabel=f"PSNR on {val_what}{(val_cfg.get('val_sets') or ['Set5'])[0]} (dB)",
            title="Validation PSNR at the stage's scale")
for ax in axes:
    ax.legend(fontsize=7, loc="lower left", framealpha=0.8)
    for s in stages[:-1]:
        boundary = logs[(logs.stage == f"x{s}")]["curriculum step"].max()
        ax.axvline(boundary, color="gray", ls=":", lw=1)
fig.suptitle(f"Figure 5 (ours, profile {profile}): BP-U vs T-U along the curriculum")
fig.tight_layout()
book.save_figure(fig, "figure5_convergence")
plt.show()

# %% [markdown]
# Where each curve ends, on all of Set5 (the evaluations are shared with, and cached by,
# {ref}`Table III <table3>`), against the paper's Table III end points. The paper gives no
# numbers for its Figure 5 itself.

# %%
from srlib.data import data_root
from srlib.paper import load_paper_table

root = data_root(data_dir or None)
end = book.evaluate_runs(((label.split(" ")[0], s, run) for (label, s), run in runs.items()), datasets=["Set5"],
                         root=root, cache_dir=cache_dir, device=device)
paper3 = load_paper_table("table3")
paper_end = paper3.rename(columns={"block": "method", "set5_psnr": "psnr"}).assign(dataset="Set5")
cmp = book.compare(paper_end[["method", "scale", "dataset", "psnr"]], end[["method", "scale", "dataset", "psnr"]],
                   on=["method", "scale", "dataset"], values=["psnr"])
cmp = cmp[cmp.scale.isin(stages)]
book.styled(book.comparison_table(cmp, ["scale", "method"], "psnr", 2),
            "End of each curve, Set5 PSNR (dB): paper (Table III) | ours | difference", "figure5-end")

# %%
for (label, s), run in runs.items():
    print(run.provenance(f"{label} x{s}").line())
last = end.set_index(["method", "scale"]).psnr
glue("figure5_gain", float(last[("BP-U", scale)] - last[("T-U", scale)]), display=False)
