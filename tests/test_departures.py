"""srlib.departures: the paper's departures ranked by their stored, extrapolated or cited effect."""
from __future__ import annotations

import math

from srlib.departures import DEPARTURE_COLUMNS, cited_data_effect, departure_effects


def test_departures_are_ranked_with_their_evidence_and_kind():
    table = departure_effects()
    assert list(table.columns) == DEPARTURE_COLUMNS
    names = set(table.departure)
    assert {"training data", "training compute", "width", "refined block", "initialisation", "optimiser"} <= names
    known = table.dropna(subset=["effect_db"])
    assert list(known.effect_db) == sorted(known.effect_db, reverse=True), "not ranked by effect"
    assert table.effect_db.isna().sum() == (table.kind == "not measured").sum()
    assert list(table.index[table.effect_db.isna()]) == list(range(len(known), len(table))), "unmeasured not last"
    assert set(table.kind) <= {"measured", "extrapolated", "cited", "not measured"}
    for row in table.itertuples():
        assert row.evidence, f"{row.departure}: no evidence"
        if row.kind in ("measured", "extrapolated"):
            assert row.low_db <= row.effect_db <= row.high_db, f"{row.departure}: estimate outside its interval"


def test_the_data_effect_is_cited_and_labelled_so():
    effect = cited_data_effect(2, "Set5")
    assert math.isclose(effect["effect"], effect["psnr_large"] - effect["psnr_291"])
    assert effect["source"].startswith("cited:")
    row = departure_effects().set_index("departure").loc["training data"]
    assert row.kind == "cited" and math.isnan(row.low_db)


def test_the_architecture_effect_is_the_stored_runs_difference():
    import json

    from conftest import REPO_ROOT

    set5 = {name: json.loads((REPO_ROOT / "results/campaign" / name / "metrics.json").read_text())
            ["results"]["Set5"]["psnr"] for name in ("paper-x2", "x2")}
    row = departure_effects().set_index("departure").loc["width and refined block together"]
    assert math.isclose(row.effect_db, set5["paper-x2"] - set5["x2"])
