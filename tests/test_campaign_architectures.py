"""Two networks compared at equal compute (srlib.campaign.architectures), on fake published stages."""
import json
import math

import pandas as pd
import pytest

from srlib.campaign.architectures import chain_curve, equal_compute, psnr_at, stage_chain
from srlib.published import PublishedResult, find_published


def _stage(folder, flops_per_step, seconds_per_step, psnr_by_step, scale=2, parent=None):
    """A fake published stage ``<root>/campaign/<name>`` (``folder`` names root and name)."""
    folder = folder.parent / "campaign" / folder.name
    folder.mkdir(parents=True)
    steps = sorted(psnr_by_step)
    pd.DataFrame({"step": steps, "wall_time": [s * seconds_per_step for s in steps],
                  "cpu_time": [s * seconds_per_step for s in steps],
                  "train_flops": [s * flops_per_step for s in steps],
                  "psnr": [psnr_by_step[s] for s in steps]}).to_csv(folder / "log.csv", index=False)
    (folder / "provenance.json").write_text(json.dumps({"train_flops": steps[-1] * flops_per_step, "scale": scale,
                                                        "cpu_seconds": steps[-1] * seconds_per_step, "parent": parent}))
    (folder / "metrics.json").write_text("{}")
    (folder / "weights_fp16.safetensors").write_bytes(b"")
    return PublishedResult("campaign", folder, scale, folder.parent.parent)


def test_stage_chain_walks_the_recorded_parents(tmp_path):
    x2 = _stage(tmp_path / "x2", 10.0, 2.0, {100: 30.0})
    x4 = _stage(tmp_path / "x4", 5.0, 1.0, {100: 26.0}, scale=4, parent="campaign/x2")
    x8 = _stage(tmp_path / "x8", 5.0, 1.0, {100: 22.0}, scale=8, parent="campaign/x4")
    assert [r.name for r in stage_chain(x8)] == ["campaign/x2", "campaign/x4", "campaign/x8"]
    assert [r.name for r in stage_chain(find_published("campaign/x2", tmp_path))] == ["campaign/x2"]
    assert x2.name == "campaign/x2" and x4.scale == 4
    orphan = _stage(tmp_path / "orphan", 5.0, 1.0, {100: 26.0}, scale=4, parent="campaign/gone")
    with pytest.raises(ValueError, match="campaign/gone, which is not a published result"):
        stage_chain(orphan)


def test_chain_curve_adds_the_parents_compute(tmp_path):
    x2 = _stage(tmp_path / "x2", 10.0, 2.0, {100: 30.0, 200: 31.0})
    x4 = _stage(tmp_path / "x4", 5.0, 1.0, {50: 25.0, 100: 26.0})
    curve = chain_curve([x2, x4])
    assert curve.psnr.tolist() == [25.0, 26.0]
    assert curve.train_flops.tolist() == [2000.0 + 250.0, 2000.0 + 500.0]
    assert curve.cpu_seconds.tolist() == pytest.approx([400.0 + 50.0, 400.0 + 100.0])


def test_psnr_at_interpolates_and_never_extrapolates(tmp_path):
    curve = chain_curve([_stage(tmp_path / "a", 10.0, 1.0, {100: 30.0, 200: 32.0})])
    assert psnr_at(curve, 1500.0) == pytest.approx(31.0)
    assert math.isnan(psnr_at(curve, 2500.0)) and math.isnan(psnr_at(curve, 500.0))
    with pytest.raises(ValueError, match="axis"):
        psnr_at(curve, 1.0, axis="steps")


def test_equal_compute_reads_each_network_at_the_others_end(tmp_path):
    cheap = chain_curve([_stage(tmp_path / "cheap", 1.0, 1.0, {100: 30.0, 200: 31.0, 300: 31.5})])
    dear = chain_curve([_stage(tmp_path / "dear", 2.0, 1.0, {50: 29.0, 200: 30.5})])
    table = equal_compute({"cheap": cheap, "dear": dear}, "train_flops", sd=0.1, dof=4).set_index("network")
    # cheap ends at 300 FLOPs: dear's curve runs from 100 (29.0) to 400 (30.5) FLOPs
    assert table.loc["cheap", "other_psnr"] == pytest.approx(30.0)
    assert table.loc["cheap", "other_in_schedule"]
    assert table.loc["cheap", "difference"] == pytest.approx(1.5)
    assert table.loc["cheap", "low"] < 1.5 < table.loc["cheap", "high"]
    # dear ends at 400 FLOPs, beyond cheap's curve: nothing is extrapolated
    assert math.isnan(table.loc["dear", "other_psnr"]) and math.isnan(table.loc["dear", "difference"])
    assert not table.loc["dear", "other_in_schedule"]


def test_equal_compute_wants_two_networks(tmp_path):
    curve = chain_curve([_stage(tmp_path / "a", 1.0, 1.0, {1: 1.0})])
    with pytest.raises(ValueError, match="exactly two"):
        equal_compute({"a": curve})


def test_chain_summary_sums_the_chain_and_skips_partial_evaluations(tmp_path):
    import torch
    from safetensors.torch import save_file

    from srlib.campaign.architectures import chain_summary

    x2 = _stage(tmp_path / "x2", 10.0, 2.0, {100: 30.0})
    x4 = _stage(tmp_path / "x4", 5.0, 1.0, {100: 26.0}, scale=4, parent="campaign/x2")
    record = x4.record
    record.update(steps=100, train_flops_per_step=5.0, config={"channels": 64, "hr_blocks": 1})
    (x4.folder / "provenance.json").write_text(json.dumps(record))
    (x4.folder / "metrics.json").write_text(json.dumps({"results": {"Set5": {"psnr": 31.0, "subset": None},
                                                                    "Urban100": {"psnr": 25.0, "subset": "first 10"}}}))
    save_file({"w": torch.zeros(3, 4), "b": torch.zeros(3)}, str(x4.weights))
    row = chain_summary([x2, x4])
    assert (row["scale"], row["channels"], row["refined_blocks"], row["parameters"]) == (4, 64, 1, 15)
    assert row["train_flops"] == 1000.0 + 500.0 and row["cpu_seconds"] == 200.0 + 100.0
    assert row["Set5"] == 31.0 and math.isnan(row["Urban100"]) and math.isnan(row["B100"])


def test_ahead_at_equal_compute_reads_the_defined_row_from_either_side(tmp_path):
    from srlib.campaign.architectures import ahead_at_equal_compute

    cheap = chain_curve([_stage(tmp_path / "cheap", 1.0, 1.0, {100: 30.0, 200: 31.0, 300: 31.5})])
    dear = chain_curve([_stage(tmp_path / "dear", 2.0, 1.0, {50: 29.0, 200: 30.5})])
    table = equal_compute({"cheap": cheap, "dear": dear}, "train_flops", sd=0.1, dof=4)
    mine = ahead_at_equal_compute(table, "cheap")
    assert mine["gap"] == pytest.approx(1.5) and mine["low"] < 1.5 < mine["high"]
    theirs = ahead_at_equal_compute(table, "dear")
    assert theirs["gap"] == pytest.approx(-1.5) and theirs["low"] == pytest.approx(-mine["high"])
