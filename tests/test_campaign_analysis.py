"""The campaign's analysis (srlib.campaign.analysis) on small synthetic frames shaped like those of
read_pilots / read_continuations, and the one statistics home (srlib.stats) that it shares with
the ablations. None of these tests reads results/ or trains."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from srlib import ablations, campaign, stats
from srlib.training import preset


def test_the_ablations_and_the_campaign_share_one_statistics_module():
    assert ablations.mean_ci is stats.mean_ci and ablations.verdict is stats.verdict
    assert ablations.VERDICT_RULE is stats.VERDICT_RULE
    assert campaign.difference_interval is stats.difference_interval
    sd, dof = stats.pooled_sd([[1.0, 3.0], [5.0], [2.0, 2.0, 5.0]])
    assert dof == 3 and sd == pytest.approx(math.sqrt((2.0 + 6.0) / 3))  # the single value adds nothing
    assert math.isnan(stats.pooled_sd([[1.0], [2.0]])[0])
    mean, low, high = stats.mean_ci([1.0, 2.0, 3.0])
    assert mean == 2.0 and high - mean == pytest.approx(stats.t_quantile(2) / math.sqrt(3))


def _scratch(scale=2):
    """Pilots and schedules: the stage network (48 channels, 6/4/2, no refined block) repeated
    with two seeds at two lengths, and a 64-channel network with two seeds."""
    rows = [(48, 5200, 0, 0.05e15, 37.10), (48, 5200, 1, 0.05e15, 37.12), (48, 10000, 0, 0.10e15, 37.30),
            (48, 10000, 1, 0.10e15, 37.32), (64, 6000, 0, 0.11e15, 37.20), (64, 6000, 1, 0.11e15, 37.22)]
    return pd.DataFrame([{"pilot": f"c{c}_{steps}_s{seed}", "scale": scale, "channels": c, "u_blocks": "6/4/2",
                          "refined_blocks": 0, "steps": steps, "lr": 1e-3, "patch": 24, "batch": 16, "loss": "l1",
                          "seed": seed, "train_flops": flops, "cpu_seconds": 100.0, "set5_psnr": psnr}
                         for c, steps, seed, flops, psnr in rows])


def _continued():
    """Further trainings of the x2 stage: two at its width (one recipe, two seeds), and a widened
    recipe from the same weights, repeated with two seeds, and one more round of the wide network."""
    base = {"lr": 1e-4, "patch": 24, "batch": 16, "loss": "l1", "steps": 6000, "cpu_seconds": 1800.0}
    rows = [("n", "x2", 48, False, 0, 0.30e15, 0.40e15, 37.44), ("n1", "x2", 48, False, 1, 0.30e15, 0.40e15, 37.46),
            ("w", "x2", 64, True, 0, 0.50e15, 0.60e15, 37.47), ("w1", "x2", 64, True, 1, 0.50e15, 0.60e15, 37.49),
            ("w-more", "w", 64, False, 2, 0.20e15, 0.80e15, 37.50)]
    return pd.DataFrame([{**base, "name": n, "parent": p, "channels": c, "widened": w, "seed": seed, "train_flops": f,
                          "cumulative_flops": cf, "set5_psnr": psnr} for n, p, c, w, seed, f, cf, psnr in rows])


@pytest.fixture
def x2():
    return preset("campaign", 2)


def test_same_network_and_finished_runs_keep_the_stage_network_at_its_scale(x2):
    scratch = {"pilot": pd.concat([_scratch(), _scratch(scale=4).assign(pilot="other scale")])}
    assert (x2.channels, x2.hr_blocks, x2.blocks_per_level) == (48, 0, (6, 4, 2))
    assert list(campaign.same_network(scratch["pilot"], x2).channels.unique()) == [48]
    assert len(campaign.same_network(scratch["pilot"], x2)) == 4  # not the 64-channel runs, not x4
    points = campaign.finished_runs(x2, 0.28e15, 37.43, scratch, _continued())
    assert list(points.kind) == ["scratch"] * 5 + ["continued"] * 2  # widened runs are another network
    assert "stage x2" in set(points.run) and {"n", "n1"} <= set(points.run)
    assert points.set5_psnr.iloc[-1] == 37.46 and points.train_flops.iloc[-1] == 0.40e15  # from the stage's start


def test_ceiling_estimate_brackets_the_true_ceiling_of_a_saturating_curve():
    compute = np.array([0.05, 0.05, 0.1, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2])
    truth = 37.5 - 0.1 * compute ** -0.7
    points = pd.DataFrame({"run": list("abcdefghi"), "kind": ["scratch"] * 5 + ["continued"] * 4,
                           "train_flops": compute * 1e15, "set5_psnr": truth})
    est = campaign.ceiling_estimate(points, {"scratch": (0.01, 4), "continued": (math.nan, 0)}, n=60)
    assert est["fit"]["identified"] and est["fit"]["p_inf"] == pytest.approx(37.5, abs=1e-3)
    assert est["low"] <= 37.5 <= est["high"] and est["high"] - est["low"] < 0.2
    assert est["sigma"]["continued"] == est["sigma"]["scratch"] == pytest.approx(0.01)  # no repeat: falls back
    assert est["ahead_pflop"] == pytest.approx(12.0) and est["at_low"] <= est["at_high"] <= est["high"] + 1e-9
    assert campaign.ceiling_estimate(points.iloc[:3], {"scratch": (0.01, 4)}) is None  # 3 points fit no law


def test_stage_ceiling_measures_the_noise_of_each_kind_from_its_repeats(x2):
    points, est = campaign.stage_ceiling(x2, 0.28e15, 37.43, {"pilot": _scratch()}, _continued())
    assert len(points) == 7 and est is not None
    scratch_sd, _ = campaign.seed_spread(_scratch(), campaign.SCRATCH_RECIPE)  # every width, pooled
    continued_sd, _ = campaign.seed_spread(_continued()[_continued().channels == 48], campaign.CONTINUED_RECIPE)
    assert est["sigma"]["scratch"] == pytest.approx(max(scratch_sd, est["fit"]["rmse"]))
    assert est["sigma"]["continued"] == pytest.approx(max(continued_sd, est["fit"]["rmse"]))
    empty_points, none = campaign.stage_ceiling(preset("campaign", 4), 0.3e15, 31.4, {"pilot": _scratch()},
                                                pd.DataFrame())
    assert len(empty_points) == 1 and none is None  # a stage alone: no law


def test_continuation_gains_and_the_last_round():
    gains = campaign.continuation_gains(_continued(), 37.43, 2)
    assert gains.set_index("name").gain.to_dict() == pytest.approx(
        {"n": 0.01, "n1": 0.03, "w": 0.04, "w1": 0.06, "w-more": 0.50 - 0.47})  # w-more from w's own result
    cont = _continued()
    finals = {"x2": 37.43, **dict(zip(cont.name, cont.set5_psnr))}
    rounds = campaign.period_gains(cont[cont.channels == 64], finals, campaign.CONTINUED_RECIPE, 0.01, 3)
    last = campaign.last_period(rounds, cont)
    assert last.parent == "w" and last.names == "w-more" and last.gain == pytest.approx(0.03)
    with pytest.raises(ValueError, match="no continuation"):
        campaign.last_period(rounds.iloc[:0], cont)


def test_width_comparisons_pair_each_network_with_the_nearest_compute(x2):
    table = campaign.width_comparisons(_scratch(), x2, sd=0.014, dof=3)
    row = table.iloc[0]
    assert len(table) == 1 and row.channels == 64 and row.base_steps == 10000  # 0.11 PFLOP: nearest is 0.10
    assert row.difference == pytest.approx(37.21 - 37.31)
    half = stats.t_quantile(3) * 0.014 * math.sqrt(1 / 2 + 1 / 2)
    assert (row.low, row.high) == pytest.approx((row.difference - half, row.difference + half))
    assert campaign.width_comparisons(_scratch().query("channels == 64"), x2, 0.01, 3).empty  # no stage runs


def test_widened_comparisons_need_the_same_recipe_at_the_stage_width():
    table = campaign.widened_comparisons(_continued(), 48, sd=0.014, dof=2)
    row = table.iloc[0]
    assert len(table) == 1 and row.wide_names == "w, w1" and row.base_names == "n, n1"
    assert row.difference == pytest.approx(37.48 - 37.45) and row.wide_channels == 64
    other = _continued().assign(lr=[1e-4, 1e-4, 5e-5, 5e-5, 5e-5])  # the widened runs used another LR
    assert campaign.widened_comparisons(other, 48, 0.014, 2).empty


def test_compute_spent_sums_each_group_and_the_total():
    table = campaign.compute_spent({"scratch": _scratch(), "further": _continued(), "none": pd.DataFrame()})
    assert table.loc["scratch", "runs"] == 6 and table.loc["further", "cpu_seconds"] == 5 * 1800.0
    assert table.loc["total", "runs"] == 11 and table.loc["none", "train_flops"] == 0.0
    assert table.loc["total", "train_flops"] == pytest.approx(_scratch().train_flops.sum() + 1.8e15)


def test_the_set5_targets_follow_the_paper_s_vdsr():
    from srlib.paper import paper_cell

    for scale in (2, 4):
        vdsr = paper_cell("table5", method="VDSR", scale=scale, dataset="Set5", column="psnr")
        assert vdsr - 0.05 < campaign.SET5_TARGETS[scale] <= vdsr
    assert campaign.SET5_TARGETS[8] > paper_cell("table5", method="VDSR", scale=8, dataset="Set5", column="psnr")
