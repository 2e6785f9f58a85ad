"""The league's test-time augmentation rows: which records get the x8 self-ensemble (CSRCNN and
the best peer per scale), that it is stored apart from the plain scores, and its summary."""
from __future__ import annotations

import json
import math

import pytest

from srlib import league


def _record(entrant, scale, seed, set5, set14, ensemble=None):
    metrics = {"Set5": {"psnr": set5, "ssim": 0.9, "bicubic_psnr": 28.0},
               "Set14": {"psnr": set14, "ssim": 0.8, "bicubic_psnr": 26.0}}
    rec = {"entrant": entrant, "scale": scale, "seed": seed, "cpu_seconds": 1.0, "train_flops": 1.0, "parameters": 1,
           "name": f"{entrant.lower()}-x{scale}-seed{seed}", "metrics": metrics}
    if ensemble:
        rec["self_ensemble"] = {"label": league.TTA_LABEL, "metrics": {
            ds: {"psnr": metrics[ds]["psnr"] + gain, "ssim": 0.91} for ds, gain in ensemble.items()}}
    return rec


def test_best_peer_and_the_records_to_ensemble():
    records = [_record("CSRCNN", 4, 0, 30.0, 27.0), _record("VDSR", 4, 0, 30.5, 27.2), _record("DRRN", 4, 0, 30.4, 27.1),
               _record("VDSR", 8, 0, 25.0, 23.0), _record("EDSR-baseline", 8, 0, 25.2, 23.1),
               _record("CSRCNN", 8, 0, 25.1, 23.0), _record("CSRCNN", 8, 1, 25.1, 23.0)]
    assert league.best_peer(records, 4) == "VDSR" and league.best_peer(records, 8) == "EDSR-baseline"
    assert league.best_peer([], 4) is None
    picked = {(r["entrant"], r["scale"], r["seed"]) for r in league.ensemble_records(records)}
    assert picked == {("CSRCNN", 4, 0), ("VDSR", 4, 0), ("EDSR-baseline", 8, 0), ("CSRCNN", 8, 0), ("CSRCNN", 8, 1)}


def test_ensemble_scores_are_apart_from_the_plain_ones():
    records = [_record("CSRCNN", 8, 0, 25.0, 23.0, {"Set5": 0.10, "Set14": 0.06}),
               _record("CSRCNN", 8, 1, 25.2, 23.1, {"Set5": 0.14, "Set14": 0.08}),
               _record("VDSR", 8, 0, 25.0, 23.0)]  # no self-ensemble stored: not in the table
    out = league.ensemble_scores(records).set_index(["entrant", "dataset"])
    assert set(out.index.get_level_values(0)) == {"CSRCNN"}
    set5 = out.loc[("CSRCNN", "Set5")]
    assert set5.n == 2 and set5.psnr == pytest.approx(25.22) and set5.gain == pytest.approx(0.12)
    assert set5.gain_low < 0.12 < set5.gain_high
    assert league.ensemble_scores(records[2:]).empty and league.ensemble_scores([]).empty
    assert league.standings(records).psnr.max() == 25.1  # the plain standings never read the ensemble


def test_a_smoke_run_gets_its_self_ensemble_stored_beside_its_plain_scores(tmp_path, monkeypatch, data_root):
    monkeypatch.setattr(league, "RESULTS_DIR", tmp_path / "results")
    unit = league.Unit(next(e for e in league.ENTRANTS if e.name == "FSRCNN"), 4, 0)
    path = league.run_unit(unit, "smoke", runs_dir=tmp_path / "runs", data_root=str(data_root))
    plain = json.loads(path.read_text())
    assert league.run_ensemble(plain, "smoke", data_root=str(data_root)) == path
    record = json.loads(path.read_text())
    assert record["metrics"] == plain["metrics"]  # the plain scores untouched
    tta = record["self_ensemble"]
    assert tta["label"] == league.TTA_LABEL and tta["transforms"] == 8 and tta["cpu_seconds"] > 0
    assert list(tta["metrics"]) == ["Set5"] and tta["metrics"]["Set5"]["subset"] == "first 1"
    assert len(tta["metrics"]["Set5"]["per_image"]) == 1 and not math.isnan(tta["metrics"]["Set5"]["psnr"])
    assert (path.parent / tta["weights_fp16"]).is_file()
    assert league.load_records("smoke") == [record]  # the weights folder is no record
    with pytest.raises(Exception, match="not the weights its record was scored with"):
        league.run_ensemble({**plain, "weights_sha256": "0" * 64}, "smoke", data_root=str(data_root))


def test_a_run_at_lr_size_gets_its_self_ensemble_at_once_a_pre_upsampling_one_later(tmp_path, monkeypatch, data_root):
    monkeypatch.setattr(league, "RESULTS_DIR", tmp_path / "results")
    records = {}
    for name in ("FSRCNN", "SRCNN"):
        unit = league.Unit(next(e for e in league.ENTRANTS if e.name == name), 4, 0)
        records[name] = json.loads(league.run_unit(unit, "smoke", runs_dir=tmp_path / "runs",
                                                   data_root=str(data_root)).read_text())
    tta = records["FSRCNN"]["self_ensemble"]
    assert tta["label"] == league.TTA_LABEL and "weights_fp16" not in tta  # no weights the book does not show
    assert not (tmp_path / "results" / "smoke" / "weights").exists()
    assert "self_ensemble" not in records["SRCNN"]  # 8 passes at HR size: only where the book shows it


def test_a_lost_run_folder_is_trained_again_to_the_same_weights(tmp_path, monkeypatch, data_root):
    import shutil

    monkeypatch.setattr(league, "RESULTS_DIR", tmp_path / "results")
    unit = league.Unit(next(e for e in league.ENTRANTS if e.name == "FSRCNN"), 4, 0)
    path = league.run_unit(unit, "smoke", runs_dir=tmp_path / "runs", data_root=str(data_root))
    record = json.loads(path.read_text())
    shutil.rmtree(tmp_path / "runs")
    assert league.run_ensemble(record, "smoke", data_root=str(data_root), runs_dir=tmp_path / "runs") == path
    assert "self_ensemble" in json.loads(path.read_text())


def test_the_ensemble_command_waits_for_every_run(tmp_path, monkeypatch, capsys):
    from srlib.cli import main

    monkeypatch.setattr(league, "RESULTS_DIR", tmp_path)
    assert main(["league", "ensemble", "--profile", "smoke"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("srlib league: error: ") and "league run" in err and "\n" not in err
