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
# The paper trained CSRCNN on a GPU. The best weights of this book come from long trainings of
# its CPU variant on one CPU core each (the **campaign**, `srlib.campaign`): the curriculum
# x2, then x4, then x8, each stage trained from the previous one's weights, and at x2 further
# trainings from the finished weights. This chapter shows what was trained, what it cost, how
# the Set5 PSNR grows with training compute, and what more compute would buy. Every number is
# read from the stored results under `results/campaign/`; nothing is trained when this page is
# built. The appendix at the end lists every stored run.
#
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
#
# * read a PSNR-against-compute curve, and tell a finished result from a point inside a schedule;
# * fit a saturation law to finished runs and give its ceiling with an interval;
# * resume a long training exactly from a small committed state (`python -m srlib campaign`).
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

import numpy as np
import pandas as pd
from myst_nb import glue

from srlib import book, campaign, published
from srlib.book import campaign_views as views


def glue_all(values):  # numbers the prose quotes, by name (numpy scalars as plain Python numbers)
    for name, value in values.items():
        glue(name, value.item() if hasattr(value, "item") else value, display=False)


base = book.resolve(campaign_dir)
stages = {s: r for s in (2, 4, 8)  # x<s>/: each stage trained from the previous one's weights
          if (r := published.find_published(f"{base.name}/x{s}", base.parent)) is not None}
best = published.best_per_scale(base.parent, kind=base.name, network="CPU variant")  # a stage or a further training
scratch = {"pilot": campaign.read_pilots(base / "pilots"), "schedule": campaign.read_pilots(base / "schedules")}
continued = {s: campaign.read_continuations(base, s, res.record["train_flops"]) for s, res in stages.items()}
stage_end = {s: campaign.last_validation(res.folder) for s, res in stages.items()}  # float32, as the other runs
rate = {s: res.record["train_flops"] / res.record["cpu_seconds"] for s, res in stages.items()}  # FLOP per CPU-second
x2 = stages[2].config
glue_all({"campaign_channels": x2.channels, "campaign_u_blocks": "/".join(map(str, x2.blocks_per_level))})

# %% [markdown]
# ## What was trained, and what it cost
#
# The network is the CPU variant of CSRCNN ({glue:text}`campaign_channels` channels, U blocks
# {glue:text}`campaign_u_blocks`, no refined block, a bicubic image skip, Adam), chosen by short
# equal-time pilots of several widths. Each stage stores its fp16 weights, its evaluation on the
# four benchmarks beside bicubic (all images, the paper's protocol), its training log and its
# provenance:

# %%
for s, res in sorted(stages.items()):
    print(res.provenance(f"campaign CSRCNN x{s}").line() + f", status {res.record['status']}")
display(book.styled(views.stage_table(stages), "The campaign's stages: paper | ours | difference (PSNR, dB), "
                    "with bicubic", "campaign-stages"))
glue_all({f"campaign_x{s}_set5": float(r.metrics["results"]["Set5"]["psnr"]) for s, r in stages.items()})

# %%
stage_runs = pd.DataFrame([{"train_flops": r.record["train_flops"], "cpu_seconds": r.record["cpu_seconds"]}
                           for r in stages.values()])
spent = campaign.compute_spent({"curriculum stages": stage_runs, "pilots": scratch["pilot"],
                                "single schedules from scratch": scratch["schedule"],
                                "further training of a finished stage": pd.concat(continued.values())})
display(book.styled(pd.DataFrame({"runs": spent.runs, "training PFLOP": spent.train_flops / 1e15,
                                  "CPU-hours": spent.cpu_seconds / 3600}),
                    "What the campaign cost (stored runs)", "campaign-cost"))
committed = {s: float(r.metrics["results"]["Set5"]["psnr"]) for s, r in best.items()}
glue_all({"campaign_total_hours": spent.cpu_seconds["total"] / 3600, "campaign_total_runs": int(spent.runs["total"]),
          **{f"campaign_x{s}_committed_set5": v for s, v in committed.items()},
          **{f"campaign_x{s}_committed_minus_target": v - campaign.SET5_TARGETS[s] for s, v in committed.items()}})

# %% [markdown]
# In all, {glue:text}`campaign_total_runs` stored runs took {glue:text}`campaign_total_hours:.0f`
# single-core CPU-hours. The further trainings ran beside other jobs, on cores of different
# speeds, so their CPU-hours are a cost, not a measure of compute: the curve below counts compute in
# training FLOPs (6 per multiply-accumulate of a forward convolution: forward and backward).
# The best stored x2 weights come from such a further training and score
# {glue:text}`campaign_x2_committed_set5:.3f` dB on Set5 (x4: {glue:text}`campaign_x4_committed_set5:.3f`,
# x8: {glue:text}`campaign_x8_committed_set5:.3f` dB, the stages themselves).
#
# ## The compute-fidelity curve
#
# Inside one stage the validation PSNR rises with compute, but with a cosine learning-rate
# schedule a point before the end of the schedule is not a finished result: the learning rate is
# still high there. The finished results of the x2 network (pilots and single schedules of other
# lengths, the stage, and its further trainings at the stage's width) trace the curve the
# question needs, and the saturation law $\mathrm{PSNR}(C) = P_\infty - a\,C^{-b}$ is fitted to
# them. Its ceiling $P_\infty$ can move with the noise of one run, measured from runs repeated
# with another seed; the interval comes from refitting it many times with that noise added (a
# parametric bootstrap, `srlib.campaign.stage_ceiling`).

# %%
curves, fits = {}, {}
for s, res in sorted(stages.items()):
    curves[s], fits[s] = campaign.stage_ceiling(res.config, res.record["train_flops"], stage_end[s], scratch,
                                                continued[s])
fit_table = pd.DataFrame([{
    "scale": f"x{s}", "finished runs": len(curves[s]), "best finished run (dB)": curves[s].set5_psnr.max(),
    "ceiling P_inf (dB)": est["fit"]["p_inf"] if est and est["fit"]["identified"] else np.nan,
    "95 % interval (dB)": book.format_interval(est.get("low"), est.get("high"), 3) if est else book.NO_VALUE,
    "fit RMSE (dB)": est["fit"]["rmse"] if est else np.nan, "paper CSRCNN (dB)": views.paper_psnr("CSRCNN", s),
} for s, est in fits.items()]).set_index("scale")
display(book.styled(fit_table, "The saturation law through the finished runs of each stage's network (Set5)",
                    "campaign-fit", precision=3))
book.save_figure(views.fidelity_figure(stages, curves, fits, continued, rate), "campaign_compute_fidelity")

# %% [markdown]
# *Set5 PSNR against training compute, per scale (the top axis converts it to single-core
# CPU-hours at the stage's own speed). Grey: the validation inside the stage's schedule; red: the
# finished runs of the stage's network and, at x2, the saturation law fitted to them with its
# ceiling's 95 % interval; purple: the network widened from the finished x2 weights; dotted: the
# paper's Table V.*

# %%
est, vdsr, paper = fits[2], views.paper_psnr("VDSR", 2), views.paper_psnr("CSRCNN", 2)
inside = campaign.read_log(stages[2].folder).dropna(subset=["psnr"])
inside = inside[inside.step >= 0.15 * stages[2].record["steps_planned"]]  # past the schedule's first part
inside_fit = campaign.fit_saturation(inside.train_flops / 1e15, inside.psnr)
longest = curves[2].loc[curves[2].train_flops.idxmax()]
glue_all({"campaign_x2_end_ceiling": est["fit"]["p_inf"], "campaign_x2_end_ceiling_low": est["low"],
          "campaign_x2_end_ceiling_high": est["high"], "campaign_x2_ahead_pflop": est["ahead_pflop"],
          "campaign_x2_ahead_hours": est["ahead_pflop"] * 1e15 / rate[2] / 3600,
          "campaign_x2_ahead_low": est["at_low"], "campaign_x2_ahead_high": est["at_high"],
          "campaign_x2_paper": paper, "campaign_x2_vdsr": vdsr, "campaign_x2_paper_above_ceiling": paper - est["high"],
          "campaign_x2_refits_reaching_vdsr": float(np.mean(est["samples"] >= vdsr)),
          "campaign_x2_inside_predicted": campaign.saturation_psnr(inside_fit, longest.train_flops / 1e15),
          "campaign_x2_longest_measured": longest.set5_psnr, "campaign_x2_longest_pflop": longest.train_flops / 1e15,
          "campaign_x2_ahead_gain_high": est["at_high"] - est["best"]})

# %% [markdown]
# ## What more compute would buy
#
# **Not the paper's number.** Through the finished x2 runs of this network the saturation law
# puts a ceiling of {glue:text}`campaign_x2_end_ceiling:.3f` dB, 95 % interval
# [{glue:text}`campaign_x2_end_ceiling_low:.3f`, {glue:text}`campaign_x2_end_ceiling_high:.3f`] dB.
# Ten times the compute of the longest finished run ({glue:text}`campaign_x2_ahead_pflop:.1f`
# PFLOP, about {glue:text}`campaign_x2_ahead_hours:.0f` CPU-hours on one core) would end in
# [{glue:text}`campaign_x2_ahead_low:.3f`, {glue:text}`campaign_x2_ahead_high:.3f`] dB: at most
# {glue:text}`campaign_x2_ahead_gain_high:.3f` dB above the best finished run. The paper's {glue:text}`campaign_x2_paper:.2f` dB lies
# {glue:text}`campaign_x2_paper_above_ceiling:.2f` dB above the upper end of that interval, and
# VDSR's {glue:text}`campaign_x2_vdsr:.2f` dB is reached by
# {glue:text}`campaign_x2_refits_reaching_vdsr:.1%` of the refits. What separates this network
# from the paper's is not compute but what differs from the paper (the data, the width, the
# refined block; {doc}`../limitations`). A fit to the points *inside* the stage's schedule would
# promise more: at the compute of the longest finished run
# ({glue:text}`campaign_x2_longest_pflop:.2f` PFLOP) it predicts
# {glue:text}`campaign_x2_inside_predicted:.3f` dB, where that run measured
# {glue:text}`campaign_x2_longest_measured:.3f` dB. Inside one cosine schedule the curve follows
# the decay of the learning rate, not the network's ceiling, so that fit is not used. At x4 and
# x8 only the stage itself finished: no ceiling can be fitted there.

# %% [markdown]
# ## Appendix: every stored run
#
# Runs from scratch at x2: the equal-time pilots that chose the width, and single schedules of
# other lengths and widths, some repeated with another seed (the noise of one run).

# %%
display(book.styled(views.scratch_runs_table(scratch), "Runs from scratch, Set5 x2 (float32 weights)",
                    "campaign-pilots", precision=3))

# %% [markdown]
# Further trainings from a finished stage's weights (or another further training's): a second
# cosine cycle at a lower peak learning rate, larger patches, the L2 loss throughout, or the
# weights copied into a wider network that computes the same images (`srlib.models.widen`) and
# trained on. Each row is one stored run, from the weights of the run named in "started from".

# %%
gains = pd.concat([campaign.continuation_gains(t, stage_end[s], s) for s, t in continued.items() if len(t)])
display(book.styled(views.continuations_table(gains), "Further trainings: recipe, cost and Set5 (float32 weights)",
                    "campaign-continued", precision=3))

# %% [markdown]
# Wider networks against the stage's: from scratch at the nearest training FLOPs, and widened
# from the finished weights against further trainings at the stage's width with the same recipe
# (equal steps; a wider step costs more FLOPs; a further training's FLOPs are its own). Each
# difference of mean Set5 has a 95 % Student-t interval whose noise is the pooled seed spread of
# the repeated runs of its kind.

# %%
scratch_noise = campaign.seed_spread(pd.concat(scratch.values()), campaign.SCRATCH_RECIPE)
cont_noise = campaign.seed_spread(continued[2], campaign.CONTINUED_RECIPE)
scratch_cmp = campaign.width_comparisons(scratch["schedule"], x2, *scratch_noise)
widened_cmp = campaign.widened_comparisons(continued[2], x2.channels, *cont_noise)
display(book.styled(views.width_table(scratch_cmp, widened_cmp), "Wider networks against the stage's (Set5 x2)",
                    "campaign-widths", precision=3))
for prefix, row, runs in (("campaign_c64", scratch_cmp[scratch_cmp.channels == 64].iloc[0], "runs"),
                          ("campaign_widen", widened_cmp.iloc[0], "wide_runs")):
    glue_all({f"{prefix}_difference": row.difference, f"{prefix}_difference_low": row.low,
              f"{prefix}_difference_high": row.high, f"{prefix}_seeds": int(min(row[runs], row.base_runs))})

# %% [markdown]
# The widened x2 network, round by round: what each recipe bought over the weights it started
# from (the mean of its runs, where it was repeated with another seed), with a 95 % interval.

# %%
wider = continued[2][continued[2].channels != x2.channels]
finals = {"x2": stage_end[2], **dict(zip(continued[2].name, continued[2].set5_psnr))}
rounds = campaign.period_gains(wider, finals, campaign.CONTINUED_RECIPE, *cont_noise)
display(book.styled(views.rounds_table(rounds), "The widened x2 network, round by round (Set5, float32 weights)",
                    "campaign-periods", precision=3))
last = campaign.last_period(rounds, continued[2])
glue_all({"campaign_x2_period_gain": last.gain, "campaign_x2_period_gain_low": last.low,
          "campaign_x2_period_gain_high": last.high, "campaign_x2_period_runs": int(last.runs),
          "campaign_x2_period_minus_target": last.set5_psnr - campaign.SET5_TARGETS[2],
          "campaign_x2_period_hours": last.cpu_seconds / 3600, "campaign_x2_continuation_noise": float(cont_noise[0])})
