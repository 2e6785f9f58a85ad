"""Tables II and III at several budgets side by side (srlib.ablations.budgets), from fake records
written to a temporary results folder: one budget with three seeds, one with a single seed, one
with none."""
from __future__ import annotations

import json
import math

import pytest

from srlib import ablations as ab
from srlib.formatting import NO_VALUE
from srlib.stats import mean_ci


def _record(variant, seed, scale, psnr, profile):
    return {"variant": variant, "notation": "", "tag": "", "scale": scale, "seed": seed, "profile": profile,
            "parameters": 1, "stages": [{"scale": scale, "steps": 10, "cpu_seconds": 1.0, "train_flops_per_step": 1.0}],
            "metrics": {ds: {"psnr": psnr + (0.5 if ds == "Set5" else 0.0), "ssim": 0.8, "bicubic_psnr": 25.0}
                        for ds in ("Set5", "Set14")}}


@pytest.fixture
def stored(tmp_path):
    """quick: full and tu at x4 and x8, seeds 0-2; scale: full at x4, seed 0 only; smoke: nothing."""
    values = {0: 28.0, 1: 28.3, 2: 28.1}
    for seed, v in values.items():
        for variant, shift in (("full", 0.0), ("tu", -0.2)):
            for scale in (4, 8):
                rec = _record(variant, seed, scale, v + shift - (3.0 if scale == 8 else 0.0), "quick")
                path = tmp_path / "quick" / f"{variant}-x{scale}-seed{seed}.json"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(rec))
    (tmp_path / "scale").mkdir()
    (tmp_path / "scale" / "full-x4-seed0.json").write_text(json.dumps(_record("full", 0, 4, 29.0, "scale")))
    return {b: ab.load_records(b, tmp_path) for b in ("quick", "scale", "smoke")}, values


def test_budget_summary_three_one_and_no_seeds(stored):
    records, values = stored
    assert len(records["quick"]) == 12 and len(records["scale"]) == 1 and records["smoke"] == []
    out = ab.budget_summary(records, "table3")
    assert len(out) == 3 * 2 * 2 * 2  # budgets x datasets x scales x rows, none missing
    at = out.set_index(["budget", "row", "scale", "dataset"])
    quick = at.loc[("quick", "BP-U", 4, "Set14")]
    m, lo, hi = mean_ci(list(values.values()))
    assert (quick["mean"], quick.ci_low, quick.ci_high) == pytest.approx((m, lo, hi))
    assert quick.n == 3 and quick.planned == 5 and quick.paper == 28.78
    one = at.loc[("scale", "BP-U", 4, "Set14")]
    assert one["mean"] == 29.0 and one.n == 1 and math.isnan(one.ci_low) and one.planned == 3
    assert at.loc[("scale", "T-U", 8, "Set5")].n == 0 and math.isnan(at.loc[("scale", "T-U", 8, "Set5")]["mean"])
    assert (at.loc["smoke"].n == 0).all()
    assert at.loc[("quick", "T-U", 8, "Set5")]["mean"] == pytest.approx(m - 0.2 - 3.0 + 0.5)


def test_budget_table_text(stored):
    records, _ = stored
    table = ab.budget_table(ab.budget_summary(records, "table3"))
    assert list(table.columns.get_level_values(0).unique()) == ["paper", "quick", "scale", "smoke"]
    assert list(table.index.names) == ["dataset", "scale", "row"]
    quick = table.loc[("Set14", "x4", "BP-U")]
    assert quick[("paper", "")] == "28.78"
    assert quick[("quick", "ours")].startswith("28.13 ± ") and quick[("quick", "n")] == "3/5"
    assert quick[("quick", "vs paper")] == "-0.65"
    assert quick[("scale", "ours")] == "29.00" and quick[("scale", "n")] == "1/3"  # one seed: no interval
    assert quick[("scale", "vs paper")] == "+0.22"
    missing = table.loc[("Set5", "x8", "T-U")]
    assert missing[("scale", "ours")] == ab.NOT_TRAINED and missing[("scale", "n")] == "0/3"
    assert missing[("scale", "vs paper")] == NO_VALUE
    assert (table[("smoke", "ours")] == ab.NOT_TRAINED).all()
    assert not table.isna().any().any() and (table != "").all().all()  # never a blank cell


def test_table2_has_the_paper_only_on_set14_x4(stored):
    records, _ = stored
    out = ab.budget_summary(records, "table2")
    assert set(out.scale) == {4} and list(dict.fromkeys(out.row)) == list(ab.TABLE_ROWS["table2"])
    paper = out.drop_duplicates(["row", "dataset"]).set_index(["row", "dataset"]).paper
    assert paper[("Full", "Set14")] == 28.87 and paper[("FSRCNN", "Set14")] == 27.70
    assert paper.xs("Set5", level="dataset").isna().all()
    table = ab.budget_table(out)
    assert table.loc[("Set5", "x4", "Full"), ("paper", "")] == NO_VALUE
    assert table.loc[("Set14", "x4", "Model2"), ("quick", "ours")] == ab.NOT_TRAINED  # no model2 record stored


def test_shown_budgets_and_empty_input():
    assert ab.shown_budgets("quick", "table2") == ["quick", "scale"]
    assert ab.shown_budgets("quick", "table4") == ["quick"]
    assert ab.shown_budgets("smoke", "table3") == ["smoke"]
    assert ab.budget_table(ab.budget_summary({}, "table2")).empty
    assert math.isnan(ab.paper_value("table3", "BP-U", 2, "Set5"))
    with pytest.raises(ValueError, match="table2 or table3"):
        ab.paper_value("table4", "U2TR0 U2TR0", 4, "Set5")
