"""The ablation result sets (srlib.ablations): which runs a table needs, the paired statistics and
verdict rule, Figure 5's convergence measure, and that a stored record regenerates from the code."""
from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from srlib import ablations as ab


def test_units_share_stages_between_tables():
    units = ab.units("quick", ("table2", "table3"))
    full = [u for u in units if u.variant == "full"]
    # Table II's Full (x4) and Table III's BP-U (x4, x8) are one curriculum per seed
    assert len(full) == ab.BUDGETS["quick"].seeds
    assert all(u.scales == (4, 8) for u in full)
    assert {u.variant for u in units} == {"fsrcnn", "model1", "model2", "tu", "full"}
    assert len(set(units)) == len(units)


def test_scale_budget_gives_every_unit_ten_times_its_quick_flops_with_the_campaign_network():
    quick = {u.stem: ab.unit_flops(u, "quick") for u in ab.units("quick", ("table2", "table3")) if u.seed == 0}
    scale = [u for u in ab.units("scale") if u.seed == 0]
    assert {u.stem for u in scale} == {"fsrcnn", "model1", "model2", "tu", "full"}  # Tables II and III only
    for unit in scale:
        assert ab.unit_flops(unit, "scale") >= 10 * quick[unit.stem], unit.name
    from srlib.training.runs import stage_config

    options = ab.plan._options(scale[0], "scale", ab.BUDGETS["scale"])
    config = stage_config(ab.plan.training_preset("scale"), 2, "full", stage_steps={2: 5000}, **options)
    assert (config.channels, config.blocks_per_level, config.hr_blocks) == (48, (6, 4, 2), 0)
    assert config.profile == "scale" and config.alternate_every == 5000 // 20


def test_table4_units_cover_the_paper_rows_and_the_extra_one():
    from srlib.paper import load_paper_table

    units = ab.units("quick", ("table4",))
    notations = {u.notation for u in units}
    assert notations == set(load_paper_table("table4").notation) | set(ab.TABLE4_EXTRA)
    assert len(units) == len(notations) * ab.BUDGETS["quick"].table4_seeds


def test_tagged_rows_get_their_overrides_and_own_record_names():
    unit = next(u for u in ab.units("quick", ("losses",)) if u.tag)
    assert ab.plan._options(unit, "quick", ab.BUDGETS["quick"])["loss_schedule"] == "l1"
    plain = ab.Unit("full", unit.seed, unit.scales)
    assert unit.record_name(4) != plain.record_name(4)
    with pytest.raises(ValueError, match="unknown ablation table"):
        ab.units("quick", ("table9",))


def test_mean_ci_is_students_t():
    m, lo, hi = ab.mean_ci([1.0, 2.0, 3.0])
    assert m == 2.0
    assert hi - m == pytest.approx(4.302653 / math.sqrt(3), rel=1e-5)  # t(0.975, 2) * s / sqrt(n), s = 1
    assert math.isnan(ab.mean_ci([1.0])[1])


def _frame(rows):
    return pd.DataFrame([{"row": r, "seed": s, "scale": 4, "dataset": "Set14", "psnr": p} for r, s, p in rows])


def test_paired_differences_pair_by_seed():
    # seed effects of +-1 dB cancel in the paired difference: A is always 0.1 dB above Full
    df = _frame([("Full", 0, 28.0), ("A", 0, 28.1), ("Full", 1, 29.0), ("A", 1, 29.1), ("Full", 2, 27.0),
                 ("A", 2, 27.1), ("B", 0, 20.0)])
    out = ab.paired_differences(df, "Full").set_index("row")
    assert out.loc["A", "difference"] == pytest.approx(0.1)
    assert out.loc["A", "ci_high"] - out.loc["A", "ci_low"] == pytest.approx(0.0, abs=1e-9)
    assert out.loc["A", "n"] == 3 and out.loc["B", "n"] == 1  # B has one paired seed only
    assert out.loc["Full", "difference"] == 0.0


@pytest.mark.parametrize("low, high, n, expected", [
    (0.01, 0.2, 5, "held"), (-0.2, -0.01, 5, "not held"), (-0.1, 0.2, 5, "inconclusive at this budget"),
    (0.01, 0.2, 2, "inconclusive at this budget"), (math.nan, math.nan, 5, "inconclusive at this budget")])
def test_verdict_rule(low, high, n, expected):
    assert ab.verdict(low, high, n) == expected


def _record(variant, seed, curve, scale=4):
    return {"variant": variant, "notation": "", "tag": "", "scale": scale, "seed": seed,
            "stages": [{"scale": scale, "validation": curve}]}


def test_convergence_threshold_is_reached_by_every_run():
    records = [_record("full", 0, [[50, 10.0, 30.0], [100, 20.0, 31.3], [150, 30.0, 31.5]]),
               _record("tu", 0, [[50, 12.0, 29.0], [100, 24.0, 30.5], [150, 36.0, 31.2]]),
               _record("full", 0, [[50, 1.0, 99.0]], scale=8)]  # another scale: ignored
    out = ab.convergence(records, ["full", "tu"], 4).set_index("variant")
    assert (out.threshold == 31.2).all()
    assert out.loc["full", "steps"] == 100 and out.loc["tu", "steps"] == 150
    assert out.loc["tu", "cpu_seconds"] == 36.0


def test_table_scores_name_rows_as_the_paper():
    rec = {"variant": "tu", "notation": "", "tag": "", "scale": 8, "seed": 0, "parameters": 1,
           "stages": [{"cpu_seconds": 1.0, "train_flops_per_step": 2.0, "steps": 3}],
           "metrics": {"Set5": {"psnr": 25.0, "ssim": 0.7, "bicubic_psnr": 24.4}}}
    assert ab.table_scores([rec], "table3").row.tolist() == ["T-U"]
    assert ab.table_scores([rec], "table2").empty  # Table II is at x4 only
    assert ab.scores([rec]).train_flops.iloc[0] == 6.0


@pytest.mark.slow
def test_smoke_unit_is_deterministic(tmp_path, data_root):
    """The same unit trained twice from scratch gives bit-identical metrics (1 thread, CPU)."""
    unit = ab.Unit("fsrcnn", 0, (4,))
    a = ab.run_unit(unit, "smoke", results_dir=tmp_path / "a", runs_dir=tmp_path / "runs-a")
    b = ab.run_unit(unit, "smoke", results_dir=tmp_path / "b", runs_dir=tmp_path / "runs-b")
    ra, rb = (json.loads(p.read_text()) for p in (a[0], b[0]))
    assert ra["metrics"] == rb["metrics"]  # bit for bit (file bytes differ by metadata order)
    assert ra["stages"][0]["validation"] and ra["metrics"]["Set14"]["per_image"]
    assert set(ra["eval_cpu_seconds"]) == set(ra["metrics"])  # the timings, apart from the reproducible scores


def test_convergence_of_an_earlier_stage_and_cumulative():
    rec = {"variant": "full", "notation": "", "tag": "", "scale": 4, "seed": 0,
           "stages": [{"scale": 2, "steps": 100, "cpu_seconds": 50.0, "validation": [[100, 50.0, 36.0]]},
                      {"scale": 4, "steps": 40, "cpu_seconds": 30.0, "validation": [[20, 15.0, 29.0], [40, 30.0, 30.0]]}]}
    e2e = {"variant": "model2", "notation": "", "tag": "", "scale": 4, "seed": 0,
           "stages": [{"scale": 4, "steps": 140, "cpu_seconds": 90.0, "validation": [[70, 45.0, 29.5], [140, 90.0, 29.8]]}]}
    x2 = ab.convergence([rec], ["full"], 4, stage=2)
    assert x2.steps.tolist() == [100] and x2.threshold.tolist() == [36.0]
    both = ab.convergence([rec, e2e], ["full", "model2"], 4, cumulative=True).set_index("variant")
    assert both.threshold.iloc[0] == 29.8
    assert both.loc["full", "steps"] == 140 and both.loc["full", "cpu_seconds"] == 80.0  # 100 + 40, 50 + 30
    assert both.loc["model2", "cpu_seconds"] == 90.0


def test_readers_accept_no_records():
    assert list(ab.table_scores([], "table2").columns)[-1] == "row"
    assert ab.table_scores([], "table4").empty and "dataset" in ab.scores([]).columns
    empty = ab.paired_differences(ab.table_scores([], "table2"), "Full")
    assert empty.empty and {"row", "difference", "ci_low", "ci_high", "n"} <= set(empty.columns)
    assert ab.budget_text([]) == "not run yet"


def _scored(variant, seed, psnr, scale=4, cpu=10.0, run="r"):
    return {"variant": variant, "notation": "", "tag": "", "scale": scale, "seed": seed, "profile": "smoke",
            "parameters": 1, "metrics": {"Set14": {"psnr": psnr, "ssim": 0.7, "bicubic_psnr": 25.0}},
            "stages": [{"scale": 2, "steps": 10, "cpu_seconds": cpu, "train_flops_per_step": 1.0, "commit": "abc",
                        "device": "cpu", "run": f"{run}-x2", "run_key": f"{run}2", "validation": []}]}


def test_summary_describe_and_table_records():
    records = [_scored("full", 0, 28.0, run="a"), _scored("full", 1, 28.2, run="b"), _scored("tu", 0, 27.9, run="c"),
               _scored("fsrcnn", 0, 27.0, scale=8, run="d")]  # FSRCNN at x8 is in no table
    df = ab.table_scores(records, "table2")
    out = ab.summary(df).set_index("row")
    assert out.loc["Full", "mean"] == pytest.approx(28.1) and out.loc["Full", "n"] == 2
    assert out.loc["Full", "seeds"] == "0, 1" and math.isnan(out.loc["Model3", "ci_low"])
    assert ab.summary(ab.table_scores([], "table2")).empty
    assert len(ab.table_records(records, "table2")) == 3 and ab.table_records([], "table2") == []
    # a stage shared by two records (the same run) counts once in the CPU time
    line = ab.describe(records[:2] + [_scored("full", 0, 28.0, scale=8, run="a")], "set")
    assert "3 records, profile smoke" in line and "seeds 0, 1" in line and "commit abc" in line
    assert "CPU time 20.0 s (2 training stages)" in line
    assert "none stored yet" in ab.describe([])
    assert ab.describe(records[2:3]).startswith("records: 1 record, profile smoke, x2 10 steps (1 record), seed 0,")


def test_budget_text_per_schedule():
    a, b = _scored("full", 0, 28.0, cpu=60.0), _scored("full", 1, 28.1, cpu=120.0)
    assert ab.schedule_text(a) == "x2 10" and ab.record_cpu_seconds(b) == 120.0
    assert ab.budget_text([a, b]) == "x2 10 steps, 1.5 CPU-min per run (profile smoke)"
    longer = {**a, "stages": [{**a["stages"][0], "steps": 20}]}
    assert ab.budget_text([a, longer]).count("CPU-min per run") == 2  # two schedules, two clauses


def test_records_for_trains_missing_units_and_raises_on_failures(tmp_path, monkeypatch):
    out = tmp_path / "smoke"
    out.mkdir()
    (out / "full-x2-seed0.json").write_text(json.dumps(_scored("full", 0, 28.0)))
    trained = []
    monkeypatch.setattr(ab.running, "run_units", lambda todo, profile, **kw: trained.extend(todo) or [])
    assert len(ab.records_for("smoke", ("table3",), results_dir=tmp_path)) == 1
    assert trained == [], "without retrain nothing trains"
    assert len(ab.records_for("smoke", ("table3",), results_dir=tmp_path, retrain=True)) == 1
    assert trained and trained == ab.missing_units("smoke", ("table3",), tmp_path)
    monkeypatch.setattr(ab.running, "run_units", lambda todo, profile, **kw: [("tu-seed0", "ValueError: boom")])
    with pytest.raises(RuntimeError, match="1 ablation units failed: tu-seed0: ValueError: boom"):
        ab.records_for("smoke", ("table3",), results_dir=tmp_path, retrain=True)


def test_table_status_names_the_stored_share_and_the_budget(tmp_path):
    quick = ab.BUDGETS["quick"]
    assert quick.stage_steps("table2", 4) == {2: 1500, 4: 600} and quick.stage_steps("table3", 8) == {2: 1500, 4: 600, 8: 300}
    assert quick.stage_steps("table4", 4) == quick.table4_steps and quick.seeds_for("table4") == quick.table4_seeds
    units = ab.units("smoke", ("table2",))
    out = tmp_path / "smoke"
    out.mkdir()
    for scale in units[0].scales:
        (out / units[0].record_name(scale)).write_text("{}")
    first, second = ab.table_status("smoke", "table2", tmp_path).split("\n")
    assert first.startswith(f"1 of {len(units)} units of table2 stored under ")
    assert second == "budget (profile smoke): x2 10, x4 10 steps per curriculum stage, 20 end to end; 2 seeds per row"
    assert ab.table_status("smoke", "table3", tmp_path).endswith("x2 10, x4 10, x8 10 steps per curriculum stage; "
                                                                "2 seeds per row")
    assert "has no ablation budget" in ab.table_status("paper", "table2", tmp_path)
