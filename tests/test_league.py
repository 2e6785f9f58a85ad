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
    assert len(runs) == len(names) * 2 * league.BUDGETS["full"].seeds
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
