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
# (campaign)=
# # How far two CPU cores get: the campaign and the compute-fidelity curve
#
# The paper trained CSRCNN on a GPU; this project has, for now, a 2-core CPU. This chapter shows
# what that CPU buys: how the Set5 PSNR of the curriculum stages grows with training compute,
# measured on long single-thread trainings (the **campaign**, `srlib.campaign`, profile
# `campaign`) that run in pieces of a few hours, each resuming exactly from the state the last
# one committed. Every number is read from the committed results under `results/campaign/`
# (logs, provenance, stored evaluations); nothing is trained when this page is built.
#
# Three questions, in order: which network width uses a CPU-hour best (the pilots), how the
# PSNR grows with compute (the curve), and what a fitted saturation curve says about the compute
# the paper's numbers would take on this data (an extrapolation, labelled so).

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
#
# * choose a network width for a fixed compute budget by equal-time pilots, and say how sure
#   such a choice is;
# * read a PSNR-against-compute curve, and tell a measured point from a fitted extrapolation;
# * resume a long training exactly from a small committed state (`python -m srlib campaign`).
# ```

# %% tags=["parameters"]
profile = "quick"  # unused: this chapter only reads committed results (kept for the build script)
device = "auto"
campaign_dir = "results/campaign"
fit_from = 0.15  # fit the saturation curve on validation points after this fraction of a stage

# %% tags=["remove-cell"]
from srlib import book

book.check_parameters(globals())  # a bad parameter stops the notebook here, in one line

# %%
import math
import re
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")

import matplotlib.pyplot as plt
from matplotlib.ticker import NullFormatter
import numpy as np
import pandas as pd
from myst_nb import glue

from srlib import book, campaign
from srlib.paper import load_paper_table

base = book.resolve(campaign_dir)
paper5 = load_paper_table("table5")


def paper_psnr(method, scale, dataset="Set5"):
    row = paper5[(paper5.method == method) & (paper5.scale == scale) & (paper5.dataset == dataset)]
    return float(row.psnr.iloc[0]) if len(row) else math.nan


# %% [markdown]
# ## 1. The pilots: which width per CPU-hour
#
# Candidates of the paper's cascade at x2, each trained for the same single-core CPU time: its
# steps were chosen in advance from the seconds per step `benchmarks/train_speed.py` measured on
# an idle core ("planned CPU (min)"; Adam 1e-3 with a cosine decay over the run, LR patches 24,
# batch 16, the quick profile's bicubic image skip and PyTorch init), then evaluated on Set5 with
# the paper's protocol. The columns say what differs. The pilots ran side by side on the two
# cores with other work beside them, so their measured seconds ("training, wall (min)") include
# that contention; the steps, which fix the result, do not depend on it. One seed each: a
# difference of a few hundredths of a dB between two pilots is within the seed-to-seed spread
# of such runs (pilot B was repeated with seed 1 to show that spread), so the pilots rank widths
# only coarsely.

# %%
pilots = campaign.read_pilots(base / "pilots")
if pilots.empty:
    print(f"no pilots stored under {campaign_dir}/pilots/")
else:
    show = pd.DataFrame({
        "channels": pilots.channels, "U blocks": pilots.u_blocks, "refined blocks": pilots.refined_blocks,
        "parameters (K)": (pilots.parameters / 1e3).round(0).astype(int), "steps": pilots.steps,
        "planned CPU (min)": (pilots.planned_cpu_seconds / 60).round(1),
        "training, wall (min)": (pilots.train_seconds / 60).round(1),
        "training TFLOP": (pilots.train_flops / 1e12).round(0).astype(int),
        "Set5 x2 PSNR (dB)": pilots.set5_psnr.round(2),
        "gain over bicubic (dB)": (pilots.set5_psnr - paper_psnr("Bicubic", 2)).round(2)})
    show.index = [p.split("_")[0] + (f" (seed {seed})" if seed else "")  # one column per pilot fits the page
                  for p, seed in zip(pilots.pilot, pilots.seed)]
    display(book.styled(show.T.astype(object), "Pilots at equal CPU time, Set5 x2 (ours)", "campaign-pilots"))
    best = pilots.loc[pilots.set5_psnr.idxmax()]
    glue("pilot_best", str(best.pilot), display=False)
    glue("pilot_best_psnr", float(best.set5_psnr), display=False)

    fig, ax = plt.subplots(figsize=(7, 4))
    for _, p in pilots.iterrows():
        log = campaign.read_log(base / "pilots" / p.pilot)
        val = log[log.psnr.notna()]
        ax.plot(val.step * p.planned_cpu_seconds / p.steps / 60, val.psnr, "o-",
                label=f"{p.pilot} ({p.parameters / 1e3:.0f}K parameters)")
    ax.set(xlabel="planned single-core CPU minutes (idle-core speed)", ylabel="Set5 x2 PSNR (dB)",
           title="Pilots: Set5 during each run (the end point counts)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    book.save_figure(fig, "campaign_pilots")

# %% [markdown]
# ## 2. The campaign stages
#
# Each published stage stores its weights (fp16), its evaluation on the four benchmarks next to
# bicubic (all images, the paper's protocol) and the log of the training with its CPU seconds
# and cumulative training FLOPs. A stage still running is published from its newest checkpoint
# and labelled *incomplete*.

# %%
stages = book.campaign_stages(base)
rows = []
for s, res in sorted(stages.items()):
    prov = res.record
    for ds, m in res.metrics["results"].items():
        paper = paper_psnr("CSRCNN", s, ds)
        gain = paper - m["bicubic_psnr"]
        rows.append({"scale": f"x{s}", "dataset": ds, "images": m["images"], "paper": paper, "ours": m["psnr"],
                     "difference": m["psnr"] - paper, "bicubic": m["bicubic_psnr"],
                     "share of the paper's gain": (m["psnr"] - m["bicubic_psnr"]) / gain if gain > 0 else math.nan})
    print(res.provenance(f"campaign CSRCNN x{s}").line()
          + f", {prov['steps']} of {prov['steps_planned']} steps, {prov['cpu_seconds'] / 3600:.2f} CPU-hours, "
            f"{len(prov.get('pieces', []))} piece(s), status {prov['status']}")
if rows:
    table = pd.DataFrame(rows).set_index(["scale", "dataset"])
    display(book.styled(table.round({"paper": 2, "ours": 2, "difference": 2, "bicubic": 2,
                                     "share of the paper's gain": 2}),
                           "Campaign CSRCNN: paper | ours | difference (PSNR, dB), with bicubic", "campaign-stages"))
    for s in stages:
        set5 = stages[s].metrics["results"].get("Set5")
        if set5:
            glue(f"campaign_x{s}_set5", float(set5["psnr"]), display=False)
else:
    print(f"no campaign stage published under {campaign_dir}/ yet")

# %% [markdown]
# ## 3. PSNR against compute, and what a fitted curve says
#
# The curve of each stage is its in-training Set5 validation (the same protocol, float32). With
# a cosine schedule the points before the end are pessimistic: the learning rate is still high
# there, so the curve under-states what a shorter run, decayed to the end, would reach; the end
# point is a proper result. The fit is the saturation law
# $\mathrm{PSNR}(C) = P_\infty - a\,C^{-b}$ on the points after the first part of the stage
# (`fit_from`); $P_\infty$ is the fitted ceiling of this network on this data with unlimited
# training, and the compute at which the curve would reach the paper's number is an
# **extrapolation**, far outside the measured range when it is large. When the points do not bend
# towards a ceiling (the fit runs to its bound: a ceiling 10 dB above the best point), the table
# says the ceiling is *not identified* and draws no extrapolation: such a stage's curve, inside one
# cosine schedule, is shaped by the learning rate's decay more than by saturation.

# %%
def same_network(runs, cfg):
    """The rows of ``runs`` (:func:`srlib.campaign.read_pilots`) that trained ``cfg``'s network."""
    if not len(runs):
        return runs
    return runs[(runs.channels == cfg.channels) & (runs.refined_blocks == cfg.hr_blocks)
                & (runs.u_blocks == "/".join(map(str, cfg.blocks_per_level)))]


peers = {"paper CSRCNN": "CSRCNN", "VDSR (paper's Table V)": "VDSR", "LapSRN (paper's Table V)": "LapSRN"}
# Stages trained further after they finished (results/campaign/x<s>-<name>/: config, log and
# summary of a training started from the stage's, or another continuation's, final weights),
# drawn from the point where their parent ended, on the cumulative compute of the stage.
continued = {s: campaign.read_continuations(base, s, res.record["train_flops"])
             for s, res in stages.items()}
continued = {s: table for s, table in continued.items() if len(table)}
# each stage's training FLOPs per CPU-second: converts FLOPs to the stage's own CPU-hours
stage_rate = {s: res.record["train_flops"] / res.record["cpu_seconds"] for s, res in stages.items()}
fits, fit_params = [], {}
if stages:
    fig, axes = plt.subplots(2, len(stages), figsize=(6.5 * len(stages), 9), squeeze=False)
    for ax, ax_flops, (s, res) in zip(axes[0], axes[1], sorted(stages.items())):
        log = campaign.read_log(res.folder)
        val = log[log.psnr.notna()]
        ax_flops.plot(val.train_flops, val.psnr, "o-", color="tab:red", label="campaign (Set5 validation)")
        ax_flops.axhline(paper_psnr("CSRCNN", s), color="tab:blue", ls="--", lw=1, label="paper CSRCNN")
        ax_flops.axhline(paper_psnr("VDSR", s), color="tab:green", ls="--", lw=1, label="VDSR (paper's Table V)")
        ax_flops.set(xscale="log", xlabel="training FLOPs (6 per forward convolution MAC; log scale)",
                     ylabel="Set5 PSNR (dB)", title=f"x{s}: the same curve against training FLOPs")
        ax_flops.legend(fontsize=7, loc="lower right")
        ax_flops.xaxis.set_minor_formatter(NullFormatter())  # labelled minor ticks overlap
        ax.plot(val.cpu_hours, val.psnr, "o-", color="tab:red", label="campaign (Set5 validation)")
        cfg = res.config
        same = same_network(pilots, cfg) if s == 2 else []
        for _, p in (same.iterrows() if len(same) else []):
            ax.plot(p.planned_cpu_seconds / 3600, p.set5_psnr, "*", ms=14, color="tab:orange",
                    label=f"the same network, end of a {p.planned_cpu_seconds / 60:.0f}-minute run (pilot {p.pilot})")
        for i, more in enumerate(continued.get(s, pd.DataFrame()).itertuples()):
            extra = campaign.read_log(base / more.name, more.train_flops / more.steps)
            extra = extra[extra.psnr.notna()]
            label = (f"{more.name} (from {more.parent}" + (f", widened to {more.channels} channels" if more.widened else "")
                     + f": peak LR {more.lr:g}, LR patch {more.patch}, batch {more.batch})")
            style = dict(marker="sxd^v"[i % 5], ms=4, color=plt.cm.Dark2(i % 8), label=label)
            # on the stage's CPU-hours: its FLOPs at the stage's rate (the continuations ran on other machines)
            ax.plot((extra.train_flops + more.start_flops) / stage_rate[s] / 3600, extra.psnr, "-", **style)
            ax_flops.plot(extra.train_flops + more.start_flops, extra.psnr, "-", **style)
        bic = res.metrics["results"]["Set5"]["bicubic_psnr"]
        ax.axhline(bic, color="grey", ls=":", label="bicubic")
        for (label, method), color in zip(peers.items(), ("tab:blue", "tab:green", "tab:purple")):
            ax.axhline(paper_psnr(method, s), color=color, ls="--", lw=1, label=label)
        steps = res.record["steps_planned"]
        pts = val[val.step >= fit_from * steps]
        if len(pts) >= 4:
            fit = campaign.fit_saturation(pts.cpu_hours, pts.psnr)
            target = paper_psnr("CSRCNN", s)
            if fit["identified"]:
                fit_params[s] = fit
                grid = np.geomspace(pts.cpu_hours.min(), max(pts.cpu_hours.max() * 30, 1), 200)
                ax.plot(grid, campaign.saturation_psnr(fit, grid), color="tab:red", ls=":",
                        label=f"fit, extrapolated (ceiling {fit['p_inf']:.2f} dB)")
            fits.append({"scale": f"x{s}", "points": len(pts),
                         "ceiling P_inf (dB)": round(fit["p_inf"], 3) if fit["identified"] else "not identified",
                         "b": fit["b"], "fit RMSE (dB)": fit["rmse"], "paper (dB)": target,
                         "CPU-hours to the paper (extrapolated)": round(campaign.compute_to_reach(fit, target), 3)
                         if fit["identified"] else book.NO_VALUE})
        ax.set(xscale="log", ylabel="Set5 PSNR (dB)",
               xlabel="single-core CPU-hours (log; continuations at the stage's rate)",
               title=f"x{s}: Set5 PSNR against training compute")
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    book.save_figure(fig, "campaign_compute_fidelity")
if fits:
    fit_table = pd.DataFrame(fits).set_index("scale")
    display(book.styled(fit_table.round(3).astype(object).where(fit_table.notna(), book.MISSING),
                        "Saturation fit of the campaign's Set5 curve (an extrapolation beyond the measured range)",
                        "campaign-fit"))
    for s, fit in fit_params.items():  # the identified fits only
        glue(f"campaign_x{s}_ceiling", fit["p_inf"], display=False)
else:
    print("not enough campaign validation points for a fit yet (4 are needed)")

# %% [markdown]
# ## 4. Training a finished stage further
#
# A stage that ended short of its target can be trained on from its final weights: a second cosine
# cycle at a lower peak learning rate (a *warm restart*), a fine-tune with larger patches, which
# show the network more context around each pixel than the stage's small LR patches did, or one
# with the L2 loss throughout (the loss whose minimum is the best PSNR). The campaign tried all
# three where the x2 target was missed by a few hundredths of a dB. A fourth recipe buys capacity
# instead of steps: the finished weights are copied into a *wider* network (64 channels, the
# paper's width) that computes exactly the same images, its new channels starting from their own
# initialisation and read by the old ones through weights that start at zero
# (`srlib.models.widen`, the config field `init_widen`); training then uses the new channels
# without repeating the stage from scratch. Such a continuation is another network: the saturation
# law of the stage's network gives it no prediction and the fit below leaves it out. The first table gives how each
# was trained, the second what each cost and bought over the weights it started from and, where
# the stage's curve has an identified fit (section 3), what that fit predicted for the same total
# compute: a test of the extrapolation on compute it had not seen (a continuation is not the
# longer single schedule the fit describes, so it tests the fit only roughly). The continuations
# did not all run on the same machine: the GFLOP per CPU-second column shows how fast each one's
# core was, so the fit's prediction is taken at the continuation's training FLOPs, converted to
# CPU-hours at the stage's own rate, as the upper panel of the figure above draws them (the lower
# panel, on FLOPs, needs no conversion). Most recipes ran with one seed; where one was repeated
# with another seed (the seed column), the two show how much of a difference of a few hundredths
# of a dB a seed alone makes.

# %%
if continued:
    recipes, outcomes = [], []
    finals = {}  # per stage, each run's final Set5 by name (the stage's own under "x<s>")
    for s, table in sorted(continued.items()):
        ends = {f"x{s}": campaign.last_validation(stages[s].folder)}  # the same validation as the table's
        ends.update(zip(table.name, table.set5_psnr))
        finals[s] = ends
        for more in table.itertuples():
            key = {"stage": f"x{s}", "continuation": more.name}
            recipes.append({**key, "started from": more.parent,
                            "channels": f"{more.channels}" + (" (widened)" if more.widened else ""), "peak LR": f"{more.lr:g}",
                            "LR patch x batch": f"{more.patch} x {more.batch}", "steps": more.steps,
                            "loss": more.loss, "seed": more.seed})
            row = {**key, "CPU-hours": more.cpu_seconds / 3600,
                   "GFLOP per CPU-second": more.train_flops / more.cpu_seconds / 1e9 if more.cpu_seconds else np.nan,
                   "PFLOP from the stage's start": more.cumulative_flops / 1e15,
                   "Set5 at the start (dB)": ends[more.parent], "Set5 at the end (dB)": more.set5_psnr,
                   "gain (dB)": more.set5_psnr - ends[more.parent]}
            if s in fit_params and more.channels == stages[s].config.channels:
                # what the stage's fitted curve (on its CPU-hours) predicted for the same FLOPs; the
                # curve is the stage network's: a widened network gets no prediction
                hours = more.cumulative_flops / stage_rate[s] / 3600
                row["the fit's prediction (dB)"] = campaign.saturation_psnr(fit_params[s], hours)
            outcomes.append(row)
            glue(f"campaign_{more.name.replace('-', '_')}_gain", row["gain (dB)"], display=False)
        # per continuation above (campaign_<name>_gain); per stage the best of them and its cost in all
        glue(f"campaign_x{s}_best_continuation", float(table.set5_psnr.max()), display=False)
        glue(f"campaign_x{s}_continuation_hours", float(table.cpu_seconds.sum()) / 3600, display=False)
    # one row per continuation, in two tables (how each was trained, what it cost and bought), so
    # that more continuations make the tables longer, not wider than the page
    display(book.styled(pd.DataFrame(recipes).set_index(["stage", "continuation"]),
                        "Trainings continued after a finished stage: the recipes", "campaign-continued"))
    outcome = pd.DataFrame(outcomes).set_index(["stage", "continuation"]).round(3)
    display(book.styled(outcome.astype(object).where(outcome.notna(), book.NO_VALUE),
                        "Trainings continued after a finished stage: cost and Set5 validation (float32 weights)",
                        "campaign-continued-outcome", precision=3))
else:
    print("no stage was trained further")

# %% [markdown]
# ### The ends of the schedules
#
# The curve of section 3 runs inside one cosine schedule; only its end is a finished result. The
# points below are all finished results of the same network at x2: the equal-time pilots of the
# stage's width and single schedules of other lengths (`results/campaign/schedules/`), all from
# scratch, the stage, and each continuation at the stage's total compute up to its end. The same
# saturation law fitted to them (on training FLOPs, which do not depend on the machine's load)
# gives a second estimate of the network's ceiling, closer to the question "how far does more
# training of this network go". Continuations are not single longer schedules and the pilots are
# short, so it is a rough estimate too. How far its ceiling can move is measured by refitting it
# many times with noise of the size one run's result has added to the fitted curve (a parametric
# bootstrap, `srlib.campaign.fit_saturation_interval`). The size is measured per kind of run, from
# runs repeated with another seed (the pooled standard deviation of the repeats,
# `srlib.campaign.seed_spread`): for runs from scratch the repeated pilots and schedules of every
# width, for continuations the repeated continuations (while there are none, the runs from
# scratch); never less than the fit's residual. Few runs were repeated, so these sizes are
# themselves rough. The same refits also give what ten times the compute of the longest finished
# run would reach: the question a longer campaign would answer.

# %%
# runs from scratch: the pilots, and single schedules (other lengths, other widths)
runs_from_scratch = {"pilot": pilots, "schedule": campaign.read_pilots(base / "schedules")}
# what makes two runs repeats of one recipe (then they differ in their seed only)
SCRATCH_RECIPE = ["channels", "u_blocks", "refined_blocks", "steps", "lr", "patch", "batch", "loss"]
CONTINUED_RECIPE = ["parent", "channels", "lr", "patch", "batch", "loss", "steps"]
# one run's noise from scratch: the pooled seed spread of every repeated run from scratch, of every
# width (the fit below and the comparison of widths both take it)
scratch_spread, scratch_dof = campaign.seed_spread(pd.concat(runs_from_scratch.values()), SCRATCH_RECIPE)
end_rows, end_fits = [], []
for s, res in sorted(stages.items()):
    cfg = res.config
    # one row per finished run; kind "scratch" for a run from scratch, "continued" for a continuation
    points = [{"finished run": f"{kind} {p.pilot}", "flops": p.train_flops, "psnr": p.set5_psnr, "kind": "scratch"}
              for kind, table in runs_from_scratch.items() for p in same_network(table, cfg).itertuples() if s == 2]
    points.append({"finished run": f"stage x{s}", "flops": res.record["train_flops"],
                   "psnr": campaign.last_validation(res.folder), "kind": "scratch"})
    more_runs = continued.get(s, pd.DataFrame())
    if len(more_runs):  # the stage's network only: a widened continuation is another network
        more_runs = more_runs[more_runs.channels == cfg.channels]
    points += [{"finished run": more.name, "flops": more.cumulative_flops, "psnr": more.set5_psnr, "kind": "continued"}
               for more in more_runs.itertuples()]
    points = pd.DataFrame(points)
    if len(points) < 4:  # a fit needs four: the stages without pilots or continuations have one
        continue
    end_rows += [{"scale": f"x{s}", "finished run": p["finished run"], "training PFLOP": p.flops / 1e15,
                  "Set5 (dB)": p.psnr} for _, p in points.iterrows()]
    compute, psnr = points.flops.to_numpy() / 1e15, points.psnr.to_numpy()
    fit = campaign.fit_saturation(compute, psnr)
    # The noise of one finished run, per kind of run, from its repeats (same recipe, other seed),
    # never below the fit's own residual: runs from scratch from the repeated pilots and schedules
    # (of every width, as the comparison of widths below takes it); continuations from repeated
    # continuations, or as runs from scratch while none is repeated.
    scratch_sd = scratch_spread if s == 2 else np.nan
    continued_sd, _ = campaign.seed_spread(more_runs, CONTINUED_RECIPE) if len(more_runs) else (np.nan, 0)
    noise = {"scratch": max(np.nan_to_num(scratch_sd), fit["rmse"])}
    noise["continued"] = max(continued_sd, fit["rmse"]) if np.isfinite(continued_sd) else noise["scratch"]
    sigma = points.kind.map(noise).to_numpy()
    ahead = 10 * compute.max()  # ten times the largest compute of the finished runs
    spread = campaign.fit_saturation_interval(compute, psnr, sigma=sigma, at=ahead) if fit["identified"] else None
    vdsr = paper_psnr("VDSR", s)
    rate = stage_rate[s]
    hours = campaign.compute_to_reach(fit, vdsr) * 1e15 / rate / 3600
    reach = ("never: the ceiling is below it" if math.isinf(hours) else f"{hours:.1f}") if fit["identified"] else book.NO_VALUE
    end_fits.append({"scale": f"x{s}", "finished runs": len(points), "best (dB)": points.psnr.max(),
                     "ceiling P_inf (dB)": f"{fit['p_inf']:.3f}" if fit["identified"] else "not identified",
                     "fit RMSE (dB)": fit["rmse"], "noise of one run from scratch, sigma (dB)": noise["scratch"],
                     "noise of one continuation, sigma (dB)": noise["continued"],
                     "ceiling, 95 % interval (dB)": book.format_interval(spread["low"], spread["high"], 3)
                     if spread else book.NO_VALUE,
                     f"refits reaching VDSR's {vdsr:.2f} dB": f"{np.mean(spread['samples'] >= vdsr):.1%}"
                     if spread else book.NO_VALUE,
                     f"Set5 at {ahead:.1f} PFLOP (ten times the largest), 95 % interval (dB)":
                     book.format_interval(spread["at_low"], spread["at_high"], 3) if spread else book.NO_VALUE,
                     f"CPU-hours to VDSR's {vdsr:.2f} dB (extrapolated; {rate / 1e9:.0f} GFLOP per CPU-second)": reach})
    if fit["identified"]:
        glue(f"campaign_x{s}_end_ceiling", fit["p_inf"], display=False)
        glue(f"campaign_x{s}_end_ceiling_low", spread["low"], display=False)
        glue(f"campaign_x{s}_end_ceiling_high", spread["high"], display=False)
        glue(f"campaign_x{s}_ahead_pflop", float(ahead), display=False)
        glue(f"campaign_x{s}_ahead_hours", float(ahead * 1e15 / rate / 3600), display=False)  # at the stage's rate
        glue(f"campaign_x{s}_ahead_low", spread["at_low"], display=False)
        glue(f"campaign_x{s}_ahead_high", spread["at_high"], display=False)
if end_rows:
    ends = pd.DataFrame(end_rows).set_index(["scale", "finished run"])
    display(book.styled(ends.round(3), "Finished runs of the campaign's network (Set5, float32 weights)",
                        "campaign-ends", precision=3))
    display(book.styled(pd.DataFrame(end_fits).set_index("scale").round(3).T.astype(object),  # one column a scale
                        "The saturation law through the finished runs (an extrapolation beyond them)",
                        "campaign-ends-fit", precision=3))
else:
    print("fewer than four finished runs of one network: no fit through the ends of the schedules")

# %% [markdown]
# The fit above follows one network. Whether a wider one would have gone further is asked by
# single schedules from scratch at (nearly) equal training FLOPs, one recipe per width, each
# repeated with a second seed: all of them are listed here, those of other networks included.

# %%
schedules = runs_from_scratch["schedule"]
if len(schedules):
    widths = pd.DataFrame({"channels": schedules.channels, "U blocks": schedules.u_blocks, "seed": schedules.seed,
                           "parameters (K)": (schedules.parameters / 1e3).map("{:.0f}".format), "steps": schedules.steps,
                           "peak LR": schedules.lr.map("{:g}".format), "training PFLOP": schedules.train_flops / 1e15,
                           "Set5 x2 (dB)": schedules.set5_psnr})
    # the folder's name without its seed suffix (the seed column gives it), so the table fits the page
    widths.index = [re.sub(r"_seed\d+$", "", name) for name in schedules.pilot]
    display(book.styled(widths.round(3), "Single schedules from scratch, Set5 x2 (float32 weights)",
                        "campaign-schedules", precision=3))
else:
    print(f"no single schedules stored under {base / 'schedules'}/")

# %% [markdown]
# Each other network's schedules against the stage network's schedule of the nearest training
# FLOPs: the difference of their mean Set5 PSNR, with a 95 % Student-t interval whose noise is
# the pooled seed spread of every repeated run from scratch above and in the pilots (a run's seed
# moves its result by about as much whatever its width; `srlib.campaign.difference_interval`).
# This compares the two networks at this compute, not their ceilings.

# %%
width_rows = []
if 2 in stages and len(schedules):
    spread, dof = scratch_spread, scratch_dof
    network = ["channels", "u_blocks", "refined_blocks"]
    ours = same_network(schedules, stages[2].config)
    for key, other in schedules.drop(ours.index).groupby(network):
        if ours.empty:
            break
        nearest = ours.steps.iloc[(ours.train_flops - other.train_flops.mean()).abs().argmin()]
        base_runs = ours[ours.steps == nearest]
        d = campaign.difference_interval(other.set5_psnr, base_runs.set5_psnr, spread, dof)
        width_rows.append({
            "network": f"{key[0]} channels, U blocks {key[1]}" + (f", {key[2]} refined" if key[2] else ""),
            "runs (seeds)": len(other), "training PFLOP": other.train_flops.mean() / 1e15,
            "Set5 x2, mean (dB)": other.set5_psnr.mean(),
            "against": f"{stages[2].config.channels} channels (the stage's), {nearest} steps",
            "its runs (seeds)": len(base_runs), "its training PFLOP": base_runs.train_flops.mean() / 1e15,
            "its Set5 x2, mean (dB)": base_runs.set5_psnr.mean(), "difference (dB)": d["difference"],
            "95 % interval (dB)": book.format_interval(d["low"], d["high"], 3, signed=True),
            "noise of one run, sigma (dB)": spread, "its degrees of freedom": dof})
        if key[0] == 64:  # the paper's width: the limitations page quotes this comparison
            glue("campaign_c64_difference", d["difference"], display=False)
            glue("campaign_c64_difference_low", d["low"], display=False)
            glue("campaign_c64_difference_high", d["high"], display=False)
            glue("campaign_c64_seeds", len(other), display=False)
if width_rows:
    widths_cmp = pd.DataFrame(width_rows).set_index("network").round(3)
    display(book.styled(widths_cmp.T.astype(object), "Wider networks against the stage's at equal compute (Set5 x2)",
                        "campaign-widths", precision=3))
else:
    print("no schedule of another network to compare with")

# %% [markdown]
# From scratch the wider network is behind at this compute. A finished network can also be
# widened (the fourth recipe above) and trained on: does the capacity it gains buy more than the
# same steps spent on the stage's width? Each widened recipe is compared with the continuations of
# the stage's width that ran the same recipe from the same weights (peak LR, patches, batch, loss,
# steps; only the width differs), both repeated with other seeds: the difference of their mean
# Set5 PSNR, with a 95 % Student-t interval whose noise is the pooled seed spread of every repeated
# continuation (both widths). Equal steps are not equal compute: a step of the wider network costs
# more FLOPs (the table gives both). Like the table above, this compares the two networks after
# these steps, not their ceilings.

# %%
widen_rows = []
SAME_START = [c for c in CONTINUED_RECIPE if c != "channels"]  # a continuation's recipe but its width
for s, table in sorted(continued.items()):
    spread, dof = campaign.seed_spread(table, CONTINUED_RECIPE)
    narrow = table[table.channels == stages[s].config.channels]
    for key, wide in table[table.widened.astype(bool)].groupby(SAME_START):
        base_runs = narrow[np.logical_and.reduce([narrow[c] == v for c, v in zip(SAME_START, key)])]
        if base_runs.empty:  # no continuation of the stage's width ran this recipe
            continue
        d = campaign.difference_interval(wide.set5_psnr, base_runs.set5_psnr, spread, dof)
        start = dict(zip(SAME_START, key))
        widen_rows.append({
            "stage": f"x{s}", "started from": start["parent"],
            "recipe": "peak LR {lr:g}, {patch} x {batch} patches, {steps} steps".format(**start),
            "widened": f"{wide.channels.iloc[0]} channels: " + ", ".join(wide.name),
            "its training PFLOP": wide.train_flops.mean() / 1e15, "its Set5, mean (dB)": wide.set5_psnr.mean(),
            "continued": f"{stages[s].config.channels} channels: " + ", ".join(base_runs.name),
            "their training PFLOP": base_runs.train_flops.mean() / 1e15, "their Set5, mean (dB)": base_runs.set5_psnr.mean(),
            "difference (dB)": d["difference"], "95 % interval (dB)": book.format_interval(d["low"], d["high"], 3, signed=True),
            "noise of one continuation, sigma (dB)": spread, "its degrees of freedom": dof})
        if s == 2:  # the limitations page quotes the x2 comparison
            glue("campaign_widen_difference", d["difference"], display=False)
            glue("campaign_widen_difference_low", d["low"], display=False)
            glue("campaign_widen_difference_high", d["high"], display=False)
            glue("campaign_widen_seeds", min(len(wide), len(base_runs)), display=False)
if widen_rows:
    widened_cmp = pd.DataFrame(widen_rows).set_index(["stage", "started from"]).round(3)
    display(book.styled(widened_cmp.T.astype(object), "Widened against continued at the stage's width, same steps (Set5)",
                        "campaign-widened", precision=3))
else:
    print("no widened continuation has a continuation of the stage's width with the same recipe")

# %% [markdown]
# ### The widened network, period by period
#
# The widened network was then trained on in periods that fit a working period each: every
# period a continuation of the weights the last one published, at the same or a lower peak
# learning rate; where several recipes (another loss, another length) started from the same
# weights, each is a row. Per row, what it bought over the weights it started from: the mean of
# its runs (several where the recipe was repeated with another seed) minus the result it started
# from, with a 95 % Student-t interval whose noise is the pooled seed spread of every repeated
# continuation. Its finished runs sit at too few compute levels for the saturation law of section
# 4 (a fit through them does not bend towards a ceiling), so the table ends with arithmetic
# instead of a fit. The *last period* is the recipe that gained most from the most trained
# weights; the arithmetic asks how many more such periods the target would need if each gained as
# much as it did, and at least, if each gained the upper end of its interval. Both assume gains
# that do not shrink; for a network approaching its ceiling they do, and picking the best recipe
# favours a lucky one, so both counts are optimistic.

# %%
X2_TARGET = 37.5  # issue 10's x2 target on Set5 (VDSR's 37.53 dB in the paper's Table V, rounded down)
periods = pd.DataFrame()
if 2 in continued:
    table = continued[2]
    spread, dof = campaign.seed_spread(table, CONTINUED_RECIPE)
    widened_net = table[table.channels != stages[2].config.channels]
    periods = campaign.period_gains(widened_net, finals[2], CONTINUED_RECIPE, spread, dof)
if len(periods):
    chain_rows = [{"period from": p.parent, "runs": p.names, "peak LR": f"{p.lr:g}", "loss": p.loss, "steps": p.steps,
                   "PFLOP from the stage's start": p.cumulative_flops / 1e15,
                   "CPU-hours (mean of its runs)": p.cpu_seconds / 3600, "Set5, mean (dB)": p.set5_psnr,
                   "gain (dB)": p.gain, "95 % interval (dB)": book.format_interval(p.low, p.high, 3, signed=True)}
                  for p in periods.itertuples()]
    # the last period: of the recipes run from the most trained weights, the one that gained most
    trained = dict(zip(table.name, table.cumulative_flops))  # the FLOPs in each run's final weights
    latest = periods[periods.parent == max(periods.parent, key=lambda name: trained.get(name, 0.0))]
    last = latest.loc[latest.gain.idxmax()]
    gap = X2_TARGET - last.set5_psnr
    if gap <= 0:  # the mean of its runs reached the target: no more periods needed
        at_best, at_its_gain = 0, "none: the mean of its runs is at or above the target"
    else:
        at_mean = math.ceil(gap / last.gain) if last.gain > 0 else math.inf
        at_best = math.ceil(gap / last.high) if np.isfinite(last.high) and last.high > 0 else math.inf
        at_its_gain = f"{at_mean} more period(s)" if math.isfinite(at_mean) else "never: it gained nothing"
    glue("campaign_x2_period_gain", float(last.gain), display=False)
    glue("campaign_x2_period_gain_low", float(last.low), display=False)
    glue("campaign_x2_period_gain_high", float(last.high), display=False)
    glue("campaign_x2_period_runs", int(last.runs), display=False)
    glue("campaign_x2_period_minus_target", float(-gap), display=False)
    glue("campaign_x2_continuation_noise", float(spread), display=False)  # one continuation's seed spread
    glue("campaign_x2_period_hours", float(last.cpu_seconds / 3600), display=False)
    display(book.styled(pd.DataFrame(chain_rows).set_index("period from").round(3),
                        "The widened x2 network, period by period (Set5, float32 weights)", "campaign-periods",
                        precision=3))
    print(f"to {X2_TARGET} dB from the last period's {last.set5_psnr:.3f} dB: at its gain ({last.gain:+.4f} dB) "
          f"{at_its_gain}; at the upper end of its interval ({last.high:+.4f} dB) at least {at_best} more; "
          f"one period is about {last.cpu_seconds / 3600:.2f} CPU-hours")
else:
    print("no widened network was trained on in periods")

# %% [markdown]
# ## 5. Where the campaign ends
#
# Per scale, the campaign's best committed weights (a stage, or a continuation whose weights
# were published; the one Table V, Figure 10, the try-it page and `torch.hub` use) against the
# networks the paper's Table V lists that were trained on the same 291 images, and against the
# paper's CSRCNN, and issue 10's targets (VDSR's Set5 at x2 and x4 rounded down, and 25.9 dB at
# x8, beyond VDSR's). Where a finished run of section 4 scored higher than the committed weights
# but its weights were not kept, the table gives it too.

# %%
best_runs = book.campaign_runs(base)
TARGETS = {2: X2_TARGET, 4: 31.35, 8: 25.9}  # issue 10's Set5 targets (dB)
summary_rows = []
for s, res in sorted(best_runs.items()):
    ours = float(res.metrics["results"]["Set5"]["psnr"])
    row = {"scale": f"x{s}", "committed weights": book.display_path(res.folder), "Set5 (dB)": ours}
    more = continued.get(s)
    if more is not None and len(more):  # the others than the committed one (its float32 run scores a hair apart)
        unkept = more[more.name != res.folder.name].set5_psnr.max()
        if unkept > ours:
            row["best finished run, weights not kept (dB)"] = float(unkept)
    for method in ("VDSR", "LapSRN", "CSRCNN"):
        row[f"{method} (paper's Table V)"] = paper_psnr(method, s)
    row["ours minus VDSR (dB)"] = ours - paper_psnr("VDSR", s)
    row["issue 10's target (dB)"] = TARGETS[s]
    row["ours minus the target (dB)"] = ours - TARGETS[s]
    glue(f"campaign_x{s}_committed_set5", ours, display=False)
    glue(f"campaign_x{s}_committed_minus_target", ours - TARGETS[s], display=False)
    summary_rows.append(row)
if summary_rows:
    display(book.styled(pd.DataFrame(summary_rows).set_index("scale").round(3).astype(object).where(
        pd.DataFrame(summary_rows).set_index("scale").notna(), book.NO_VALUE),
        "The campaign's best committed weights against the 291-image peers (Set5, dB)", "campaign-summary", precision=3))
    glue("campaign_reached_vdsr", ", ".join(r["scale"] for r in summary_rows if r["ours minus VDSR (dB)"] >= 0) or "none",
         display=False)
