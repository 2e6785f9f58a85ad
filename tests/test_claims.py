"""The claims chapter's logic (srlib.claims): each kind of claim gets the verdict its rule says, from
synthetic records and measurements, and the paper's own inconsistencies are found in its tables."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from srlib import claims

CURRICULUM = "curriculum training beats end-to-end training"


def _record(variant: str, seed: int, psnr: float, scale: int = 4, dataset: str = "Set14", cpu: float = 60.0):
    return {"variant": variant, "notation": "", "tag": "", "scale": scale, "seed": seed, "profile": "smoke",
            "parameters": 1, "metrics": {dataset: {"psnr": psnr, "ssim": 0.8, "bicubic_psnr": 26.0}},
            "stages": [{"scale": scale, "steps": 10, "cpu_seconds": cpu, "train_flops_per_step": 1.0,
                        "run": f"{variant}-{seed}", "run_key": f"{variant}{seed}", "validation": []}]}


def _curriculum_row(records) -> pd.Series:
    return claims.comparison_claims(records).set_index("claim").loc[CURRICULUM]


def test_format_ci():
    assert claims.format_ci(0.1234, 0.031, 0.2) == "+0.12 dB [+0.03, +0.20]"
    assert claims.format_ci(12.0, math.nan, math.nan, unit="CPU-s", decimals=0) == "+12 CPU-s (no CI: one seed)"
    assert claims.format_ci(math.nan, math.nan, math.nan) == "not run yet"


def test_comparison_verdicts_follow_the_paired_rule():
    # Full beats Model2 by 0.10-0.12 dB on every seed: the paired CI lies above zero
    clear = [_record("full", s, 28.0 + 0.3 * s + 0.10 + 0.01 * (s % 2)) for s in range(4)] + \
            [_record("model2", s, 28.0 + 0.3 * s) for s in range(4)]
    row = _curriculum_row(clear)
    assert row.verdict == "held" and row.n == 4 and row.difference == pytest.approx(0.105)
    assert row.ours == "+0.11 dB [+0.10, +0.11]" and row.ci_low > 0
    assert row.paper == "+0.14 dB" and row.budget == "x4 10 steps, 1.0 CPU-min per run (profile smoke)"
    # the same differences with the sign flipped
    flipped = [dict(r, variant={"full": "model2", "model2": "full"}[r["variant"]]) for r in clear]
    assert _curriculum_row(flipped).verdict == "not held"
    # two seeds are too few, whatever the numbers
    assert _curriculum_row([r for r in clear if r["seed"] < 2]).verdict == "inconclusive at this budget"
    # differences of both signs: the CI contains zero
    mixed = [_record("full", s, 28.0 + d) for s, d in enumerate([0.2, -0.2, 0.1, -0.1])] + \
            [_record("model2", s, 28.0) for s in range(4)]
    assert _curriculum_row(mixed).verdict == "inconclusive at this budget"
    none = _curriculum_row([])
    assert none.verdict == "not run yet" and none.n == 0 and none.budget == "not run yet"


def _efficiency(memory_ratio: float, time_ratio: float) -> pd.DataFrame:
    return pd.DataFrame({"method": ["CSRCNN", "CSRCNN symmetric"], "scale": [8, 8], "peak_mb": [100.0, 100.0 * memory_ratio],
                         "time_ms": [10.0, 10.0 * time_ratio], "gflops": [5.0, 5.2], "device": ["cpu", "cpu"],
                         "params_k": [3000.0, 3100.0]})


def test_ratio_claims_hold_within_the_tolerance_only():
    assert claims.RATIO_TOLERANCE == 0.25  # "about twice": 1.5x to 2.5x
    out = claims.ratio_claims(_efficiency(1.8, 1.07))
    memory, time_, flops = out.verdict.tolist()
    assert (memory, time_) == ("held", "not held") and flops == "measured, no claim"
    assert out.paper.iloc[0] == "2.0x" and out.ours.iloc[1] == "1.07x"
    assert out.measure.iloc[0].startswith("peak memory of a forward pass, x8")  # words, not a column's name
    assert claims.ratio_claims(_efficiency(1.45, 2.5)).verdict.tolist()[:2] == ["not held", "held"]


def test_parameter_claims_compare_our_counts():
    eff = pd.concat([_efficiency(2, 2), pd.DataFrame({"method": ["D-DBPN", "RRDB"], "scale": [8, 8],
                                                      "params_k": [23000.0, 2000.0]})])
    out = claims.parameter_claims(eff).set_index("claim").verdict
    assert out["CSRCNN has fewer parameters than D-DBPN"] == "held"
    assert out["CSRCNN has fewer parameters than RRDB"] == "not held"


def test_the_papers_own_inconsistencies_are_found_in_its_tables():
    out = claims.paper_consistency_claims(manga109_images=109).set_index("claim")
    one_number = ["the full model's x4 Set14 PSNR is one number", "the full model's x8 Set5 PSNR is one number"]
    # Table III alone differs, and the paper says its networks were trained over 200 epochs only
    assert (out.loc[one_number, "verdict"] == claims.EXPLAINED).all(), out[["paper", "verdict"]]
    assert all("200 epochs" in out.loc[c, "ours"] for c in one_number)
    assert (out.drop(index=one_number).verdict == "inconsistent").all(), out[["paper", "verdict"]]
    assert "27.15" in out.loc["the full model's x8 Set5 PSNR is one number", "paper"]
    # a dataset of the stated size would be consistent
    again = claims.paper_consistency_claims(manga109_images=100).set_index("claim")
    assert again.loc["Manga109 has the number of images the paper states", "verdict"] == "consistent"


def test_verdict_tally_counts_each_group_and_skips_reference_rows():
    groups = {"designs": pd.DataFrame({"verdict": ["held", "inconclusive at this budget", "held"]}),
              "costs": pd.DataFrame({"verdict": ["not held", "measured, no claim"]}),
              "untested": claims.untestable_claims()}
    tally = claims.verdict_tally(groups)
    assert tally.loc["designs", "held"] == 2 and tally.loc["costs", "not held"] == 1
    assert tally.loc["all"].sum() == 3 + 1 + len(groups["untested"])
    assert "measured, no claim" not in tally.columns and "consistent" not in tally.columns
    assert claims.tally_text(tally) == ("5 claims: 2 held, 1 not held, 1 inconclusive at this budget, "
                                        "1 not testable here")
    with pytest.raises(ValueError, match="unknown verdicts"):
        claims.verdict_tally({"x": pd.DataFrame({"verdict": ["maybe"]})})


def test_claims_per_budget_find_the_verdicts_that_change_and_the_largest_budget():
    small = [_record("full", s, 28.0 + 0.3 * s - 0.10 - 0.01 * (s % 2)) for s in range(4)] + \
            [_record("model2", s, 28.0 + 0.3 * s) for s in range(4)]
    large = [dict(r, profile="scale", stages=[dict(r["stages"][0], train_flops_per_step=10.0)]) for r in
             [_record("full", s, 29.0 + 0.3 * s + 0.10 + 0.01 * (s % 2)) for s in range(3)] +
             [_record("model2", s, 29.0 + 0.3 * s) for s in range(3)]]
    by_budget = claims.comparison_claims_by_budget({"quick": small, "scale": large})
    rows = by_budget[by_budget.claim == CURRICULUM].set_index("budget_name")
    assert rows.loc["quick"].verdict == "not held" and rows.loc["scale"].verdict == "held"
    assert rows.loc["quick"].train_flops == 10.0 and rows.loc["scale"].train_flops == 100.0
    # Table IV and the loss schedules are not trained at the scale budget: no row there
    assert "losses" not in set(by_budget[by_budget.budget_name == "scale"].claim) and \
        len(by_budget[by_budget.budget_name == "scale"]) < len(by_budget[by_budget.budget_name == "quick"])
    changes = claims.verdict_changes(by_budget)
    assert changes.to_dict("records") == [{"claim": CURRICULUM, "from budget": "quick", "verdict then": "not held",
                                           "to budget": "scale", "verdict now": "held"}]
    largest = claims.at_largest_budget(by_budget).set_index("claim")
    assert largest.loc[CURRICULUM].budget_name == "scale"
    # a claim with no run at the larger budget keeps its smaller budget's verdict
    assert largest.loc["the full model beats FSRCNN"].budget_name == "quick"
    assert len(largest) == len(claims.COMPARISONS)
    from srlib.book.claims_views import side_by_side

    side = side_by_side(by_budget, ["quick", "scale"])
    assert side.columns.names[0] == "budget" and list(side.columns[:3]) == [("paper", ""), ("quick", "ours"),
                                                                           ("quick", "verdict")]
    assert side.loc[CURRICULUM, ("scale", "verdict")] == "held"


def _league_record(entrant, seed, set5, profile="full"):
    return {"entrant": entrant, "scale": 8, "seed": seed, "cpu_seconds": 1.0, "train_flops": 1.0, "parameters": 1,
            "profile": profile, "metrics": {"Set5": {"psnr": set5, "ssim": 0.9, "bicubic_psnr": 24.0}}}


def test_the_league_tests_the_claim_of_being_ahead_at_x8():
    from srlib import claims

    empty = claims.league_claims([])
    assert empty.verdict.iloc[0] == "not run yet" and list(empty.columns) == claims.CLAIM_COLUMNS
    ahead = [_league_record("CSRCNN", s, 25.5 + d) for s, d in enumerate((0.0, 0.02, -0.01))] + \
            [_league_record("VDSR", s, 25.0 + d) for s, d in enumerate((0.01, 0.0, 0.02))]
    row = claims.league_claims(ahead).iloc[0]
    assert row.verdict == "held" and row.n == 3 and "VDSR" in row.ours and row.budget == "1200 CPU-s per run"
    behind = ahead[:3] + [_league_record("DRRN", s, 26.0 + d) for s, d in enumerate((0.0, 0.01, 0.03))]
    assert claims.league_claims(behind).verdict.iloc[0] == "not held"
    assert "DRRN" in claims.league_claims(behind).ours.iloc[0]


def test_each_budget_reach_side_by_side():
    small = [_record("full", s, 27.0 + 0.1 * s) for s in range(3)]
    table, shares, hours = claims.budgets_reach({"quick": small, "scale": []})
    assert list(table.columns) == ["quick", "scale"]
    assert table.loc["our full model, Set14 x4", "scale"] == "not run yet"
    assert shares["quick"] == shares["quick"] and shares["scale"] != shares["scale"]  # NaN: not run
    assert set(hours) == {"quick", "scale"} and hours["scale"] == 0
