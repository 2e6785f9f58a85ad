"""The equal-budget league (srlib.league): who plays, how each is trained, how the budget becomes
steps, and that one run writes a record in the ablation format."""
from __future__ import annotations

import json

import pytest

from srlib import league


def test_every_peer_of_the_issue_plays_at_both_scales():
    names = {e.name for e in league.ENTRANTS}
    assert names == {"SRCNN", "FSRCNN", "VDSR", "LapSRN", "EDSR-baseline", "DRRN", "CSRCNN"}
    runs = league.units("full")
    budget = league.BUDGETS["full"]
    assert len(runs) == len(names) * (budget.seeds_for(4) + budget.seeds_for(8))
    assert budget.seeds_for(4) >= 2 and budget.seeds_for(8) >= 3  # the x8 claim's verdict needs 3 paired seeds
    assert {(u.scale, u.seed) for u in league.units("full", seeds=3)} == {(s, k) for s in (4, 8) for k in range(3)}
    csrcnn = {u.scale: u.stages for u in runs if u.entrant.curriculum}
    assert csrcnn == {4: (2, 4), 8: (2, 4, 8)}  # the curriculum inside the budget
    assert all(u.stages == (u.scale,) for u in runs if not u.entrant.curriculum)


def test_one_pipeline_and_optimiser_for_all_and_each_network_as_named():
    configs = {e.name: league.league_config(e, 4, steps=100) for e in league.ENTRANTS}
    shared = {(c.patch_size, c.batch_size, c.optimizer, c.lr, c.lr_schedule, c.train_sets, c.aug_scales,
               c.loss_schedule) for c in configs.values()}
    assert len(shared) == 1
    assert configs["LapSRN"].loss_levels == "all" and configs["VDSR"].loss_levels == "final"
    assert configs["VDSR"].curriculum == "none" and configs["VDSR"].model == "vdsr"
    csrcnn = configs["CSRCNN"]
    assert (csrcnn.model, csrcnn.channels, csrcnn.blocks_per_level, csrcnn.hr_blocks) == ("csrcnn", 48, (6, 4, 2), 0)
    assert configs["EDSR-baseline"].model_options == {"features": 64, "blocks": 16, "res_scale": 1.0}


def test_the_budget_becomes_steps_through_the_pilot(tmp_path, monkeypatch):
    monkeypatch.setattr(league, "RESULTS_DIR", tmp_path)
    unit = next(u for u in league.units("full") if u.entrant.curriculum and u.scale == 8)
    with pytest.raises(FileNotFoundError, match="league pilot"):
        league.stage_steps(unit)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "pilot.json").write_text(json.dumps(
        {"seconds_per_step": {"CSRCNN": {"x2": 0.1, "x4": 0.2, "x8": 0.4}, "VDSR": {"x8": 2.0}}}))
    budget = league.BUDGETS["full"].cpu_seconds
    assert league.stage_steps(unit) == {2: round(budget / 3 / 0.1), 4: round(budget / 3 / 0.2),
                                        8: round(budget / 3 / 0.4)}
    vdsr = league.Unit(next(e for e in league.ENTRANTS if e.name == "VDSR"), 8, 0)
    assert league.stage_steps(vdsr) == {8: round(budget / 2.0)}


@pytest.mark.parametrize("text", ["0/2", "3/2", "a/b", "1"])
def test_a_shard_outside_one_to_n_is_refused_in_one_line(text, capsys):
    from srlib.cli import main

    assert main(["league", "status", "--profile", "smoke", f"--shard={text}"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("srlib league: error: --shard") and "\n" not in err


def test_one_smoke_run_writes_a_record_in_the_ablation_format(tmp_path, monkeypatch, data_root):
    monkeypatch.setattr(league, "RESULTS_DIR", tmp_path / "results")
    unit = league.Unit(next(e for e in league.ENTRANTS if e.name == "FSRCNN"), 4, 0)
    path = league.run_unit(unit, "smoke", runs_dir=tmp_path / "runs", data_root=str(data_root))
    record = json.loads(path.read_text())
    assert record["entrant"] == "FSRCNN" and record["stages"][0]["config"]["model"] == "fsrcnn"
    assert record["metrics"]["Set5"]["per_image"] and record["metrics"]["Set5"]["subset"] == "first 1"
    assert record["train_flops"] > 0 and record["cpu_seconds"] > 0 and record["stages"][0]["commit"]
    assert league.load_records("smoke") == [record] and league.missing_units("smoke") != []


def test_the_pilot_times_every_stage_once_and_resumes(tmp_path, monkeypatch):
    monkeypatch.setattr(league, "RESULTS_DIR", tmp_path)
    timed = []

    def fake(config, steps=12, warmup=4):
        timed.append((config.model, config.scale))
        if len(timed) == 3:
            raise KeyboardInterrupt  # the pilot is stopped part way
        return 0.5

    monkeypatch.setattr(league, "_seconds_per_step", fake)
    with pytest.raises(KeyboardInterrupt):
        league.pilot("full")
    stored = json.loads((tmp_path / "full" / "pilot.json").read_text())["seconds_per_step"]
    assert sum(len(v) for v in stored.values()) == 2  # what was measured is kept
    timed.clear()
    monkeypatch.setattr(league, "_seconds_per_step", lambda config, **_: timed.append(config.scale) or 0.5)
    result = league.pilot("full")
    assert len(timed) == 13  # the 15 stages less the two already measured
    assert result["seconds_per_step"]["CSRCNN"] == {"x2": 0.5, "x4": 0.5, "x8": 0.5}


def _curve_record(entrant, scale, seed, stages):
    """A league record with only what the learning curves read: ``stages`` is a list of
    (cpu_seconds, [(step, seconds, psnr), ...])."""
    return {"entrant": entrant, "scale": scale, "seed": seed,
            "stages": [{"cpu_seconds": total, "validation": [list(v) for v in vals]} for total, vals in stages]}


def test_learning_curves_count_the_earlier_stages_and_compare_the_last_one_only():
    records = [_curve_record("CSRCNN", 4, 0, [(50.0, [(10, 50.0, 36.0)]),
                                              (50.0, [(5, 25.0, 28.0), (10, 50.0, 29.0)])]),
               _curve_record("VDSR", 4, 0, [(100.0, [(1, 50.0, 27.0), (2, 100.0, 28.5)])])]
    curves = league.learning_curves(records)
    csrcnn = curves[curves.entrant == "CSRCNN"]
    assert csrcnn.psnr.tolist() == [28.0, 29.0]  # the x2 stage's validation is at x2: left out
    assert csrcnn.cpu_seconds.tolist() == [75.0, 100.0] and csrcnn.fraction.tolist() == [0.75, 1.0]
    assert curves[curves.entrant == "VDSR"].fraction.tolist() == [0.5, 1.0]


def test_late_gain_reads_each_seed_at_the_start_and_gives_an_interval():
    records = [_curve_record("VDSR", 8, seed, [(100.0, [(1, 50.0, 25.0), (2, 100.0, 25.0 + gain)])])
               for seed, gain in enumerate([0.4, 0.6, 0.5])]
    records.append(_curve_record("CSRCNN", 8, 0, [(60.0, []), (40.0, [(9, 30.0, 24.0),
                                                                      (10, 40.0, 24.1)])]))
    gains = league.late_gain(league.learning_curves(records), start=0.75).set_index("entrant")
    vdsr = gains.loc["VDSR"]
    assert vdsr.n == 3 and vdsr.gain == pytest.approx(0.25)  # half of each seed's gain from 50 % to 100 %
    assert vdsr.low < 0.25 < vdsr.high
    # CSRCNN's last stage starts at 60 % + 30 of 100 CPU-s = 90 %: its curve begins after 75 %
    assert gains.loc["CSRCNN"].n == 0 and gains.loc["CSRCNN"].gain != gains.loc["CSRCNN"].gain


def test_the_chapter_tables_name_a_subset_and_refuse_an_unknown_metric():
    import matplotlib

    matplotlib.use("Agg")
    from srlib.book import league_views as views

    records = [{"entrant": name, "scale": 8, "seed": seed, "cpu_seconds": 1200.0, "train_flops": 1e14, "parameters": 9,
                "stages": [{"cpu_seconds": 1200.0, "validation": [[1, 600.0, 24.0], [2, 1200.0, 24.5]]}],
                "metrics": {"Set5": {"psnr": 25.0 + seed / 10, "ssim": 0.7, "bicubic_psnr": 24.0},
                            "Urban100": {"psnr": 21.0, "ssim": 0.6, "bicubic_psnr": 20.0, "subset": "first 20"}}}
               for name in ("CSRCNN", "VDSR") for seed in range(3)]
    standings = league.standings(records)
    psnr = views.standings_table(standings, 8)
    assert list(psnr.columns[:2]) == ["Set5", "Urban100 (first 20)"] and psnr.loc["VDSR", "seeds"] == 3
    assert psnr.loc["CSRCNN", "Set5"].startswith("25.10 ± ")
    assert "cited Set5" not in views.standings_table(standings, 8, "ssim")
    with pytest.raises(ValueError, match="metric"):
        views.standings_table(standings, 8, "lpips")
    assert views.learning_curves_figure(league.learning_curves([])) is None
    fig = views.learning_curves_figure(league.learning_curves(records))
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["CSRCNN", "VDSR"]


def test_the_cited_gap_table_leaves_a_subset_empty():
    from srlib.book import league_views as views

    records = [{"entrant": "VDSR", "scale": 4, "seed": 0, "cpu_seconds": 1.0, "train_flops": 1.0, "parameters": 1,
                "stages": [], "metrics": {"Set5": {"psnr": 30.0, "ssim": 0.8, "bicubic_psnr": 28.0},
                                          "Urban100": {"psnr": 24.0, "ssim": 0.7, "bicubic_psnr": 23.0,
                                                       "subset": "first 20"}}}]
    gap = views.cited_gap_table(league.standings(records))
    cited = league.standings(records).set_index("dataset").cited_psnr
    assert gap.loc[(4, "VDSR"), "Set5"] == f"{cited['Set5']:.2f} ({30.0 - cited['Set5']:+.2f})"
    assert gap.loc[(4, "VDSR"), "Urban100"] == f"{cited['Urban100']:.2f}"  # a subset: no like-for-like difference


def test_the_accuracy_speed_front_keeps_only_the_undominated():
    import pandas as pd

    points = pd.DataFrame({"entrant": ["fast", "slow-good", "dominated", "best", "tie"],
                           "psnr": [25.0, 26.5, 25.5, 26.0, 26.0], "time_ms": [1.0, 50.0, 20.0, 10.0, 10.0]})
    assert league.pareto_front(points) == ["fast", "best", "tie", "slow-good"]  # equal twins both stay
    assert league.pareto_front(points[points.entrant == "fast"]) == ["fast"]


def test_ours_minus_cited_only_where_the_same_network_plays():
    records = [{"entrant": name, "scale": 4, "seed": 0, "cpu_seconds": 1.0, "train_flops": 1.0, "parameters": 1,
                "stages": [], "metrics": {"Set5": {"psnr": 30.0, "ssim": 0.8, "bicubic_psnr": 28.0}}}
               for name in ("VDSR", "EDSR-baseline", "DRRN", "CSRCNN")]
    gaps = league.standings(records).set_index("entrant")
    assert gaps.ours_minus_cited.notna().to_dict() == {"VDSR": True, "EDSR-baseline": False, "DRRN": False,
                                                        "CSRCNN": False}
    assert gaps.cited_psnr.notna().all()  # the cited value is shown beside every one


def test_each_runs_training_is_checked_against_the_budget():
    budget = league.BUDGETS["full"].cpu_seconds
    records = [{"entrant": "VDSR", "scale": 4, "seed": s, "cpu_seconds": budget * share} for s, share in
               enumerate([1.0, 1.29, 0.65])]
    spent = league.budget_spent(records)
    assert spent.share.round(2).tolist() == [1.0, 1.29, 0.65] and spent.within.tolist() == [True, True, False]
    assert league.budget_spent([]).empty
    from srlib.book.league_views import budget_spread_text

    assert budget_spread_text(spent) == "65% to 129% of the budget; 2 of 3 runs within 30 % of it"
    assert budget_spread_text(league.budget_spent([])) == "not run yet"


def test_the_pareto_figure_names_networks_in_its_legend_not_over_the_data():
    import matplotlib
    import pandas as pd

    matplotlib.use("Agg")
    from srlib.book import league_views as views

    points = pd.DataFrame({"scale": [8, 8, 8], "entrant": ["CSRCNN", "EDSR-baseline", "FSRCNN"],
                           "psnr": [26.1, 26.05, 25.9], "time_ms": [100.0, 101.0, 2.0]})
    fig = views.pareto_figure(points, {8: league.pareto_front(points)})
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["CSRCNN", "EDSR-baseline", "FSRCNN"]
    assert not fig.axes[0].texts  # no label drawn over the points
    ahead = pd.DataFrame({"row": ["VDSR", "VDSR"], "dataset": ["Set5", "B100"], "verdict": ["held", "not held"]})
    assert list(views.claim_table(ahead).columns) == ["Set5", "B100"]
