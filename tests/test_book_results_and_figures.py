"""The book helpers of issue 14 in srlib.book: committed results, the share of the paper's gain,
the protocol's sensitivity, and the crops of Figures 7-9."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from srlib import book, published


def test_error_crop_finds_the_window_where_the_images_differ():
    hr = np.zeros((50, 60, 3), np.uint8)
    sr = hr.copy()
    sr[30:40, 41:51] = 200
    assert book.error_crop(hr, sr, 10) == (30, 41)
    y, x = book.error_crop(hr, sr, 10, border=12)  # the window must stay 12 px from every edge
    assert 12 <= y <= 50 - 10 - 12 and 12 <= x <= 60 - 10 - 12
    assert book.error_crop(hr, sr, 10, border=12) == (28, 38)


def test_detail_crop_finds_the_textured_window():
    img = np.full((64, 80, 3), 128, np.uint8)
    rng = np.random.default_rng(0)
    img[5:21, 50:66] = rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)
    assert book.detail_crop(img, 16) == (5, 50)
    grey = img[..., :1]
    assert book.detail_crop(grey, 16) == (5, 50)


def test_benchmark_image_is_none_for_a_missing_dataset(tmp_path):
    assert book.benchmark_image("Manga109", "Hamlet", tmp_path) is None


def test_benchmark_image_finds_the_papers_figure_images(data_root):
    for dataset, name in (("Set5", "woman"), ("Set14", "monarch"), ("Urban100", "img043"), ("B100", "108005")):
        path = book.benchmark_image(dataset, name, data_root)
        assert path is not None and path.stem == name, (dataset, name)
    assert book.benchmark_image("Set5", "no-such-image", data_root) is None


def _committed(folder, scale, psnr, steps, status="complete"):
    folder.mkdir(parents=True)
    (folder / "weights_fp16.safetensors").write_bytes(b"\0")
    (folder / "provenance.json").write_text(json.dumps({"profile": "reference", "steps": steps, "status": status,
                                                        "device": "CPU", "config": {"steps": 200, "batch_size": 32}}))
    (folder / "metrics.json").write_text(json.dumps({"results": {"Set5": {"images": 5, "psnr": psnr, "ssim": 0.9}}}))


def test_best_committed_runs_picks_the_highest_stored_psnr_per_scale(tmp_path):
    _committed(tmp_path / "reference" / "x2", 2, 34.0, 125, "incomplete")
    _committed(tmp_path / "campaign" / "x2", 2, 35.5, 200)
    _committed(tmp_path / "campaign" / "x4", 4, 29.0, 200)
    (tmp_path / "empty").mkdir()
    found = published.list_published(tmp_path)
    assert [r.name for r in found] == ["campaign/x2", "campaign/x4", "reference/x2"]
    best = published.best_per_scale(tmp_path)
    assert best[2].folder == tmp_path / "campaign" / "x2" and best[4].folder == tmp_path / "campaign" / "x4"
    assert published.best_per_scale(tmp_path / "nothing") == {}
    line = book.describe_committed(published.find_published("reference/x2", tmp_path))
    assert "125 of 200 steps of batch 32" in line and "status incomplete" in line and "device CPU" in line
    assert "reference profile's own x2 schedule is 20000 steps" in line


def test_a_published_continuation_is_the_campaign_result_when_it_scores_higher(tmp_path):
    campaign = tmp_path / "campaign"
    _committed(campaign / "x2", 2, 37.43, 28000)
    _committed(campaign / "x2-lower", 2, 37.40, 8000)
    (campaign / "x2-unpublished").mkdir()  # a continuation with no weights published is not a candidate
    assert published.best(2, tmp_path, kind="campaign").folder == campaign / "x2"
    _committed(campaign / "x2-higher", 2, 37.51, 8000)
    assert published.best(2, tmp_path, kind="campaign").folder == campaign / "x2-higher"
    assert published.best_per_scale(tmp_path)[2].folder == campaign / "x2-higher"
    assert published.find_published("campaign/x2", tmp_path).folder == campaign / "x2"  # the stage, for its curve


def test_the_committed_reference_is_described_as_its_provenance_says():
    refs = published.best_per_scale("results", kind="reference")
    if 2 not in refs:
        pytest.skip("no committed results/reference/x2")
    rec = refs[2].record
    line = book.describe_committed(refs[2])
    assert f"{rec['steps']} of {rec['config']['steps']} steps" in line and f"status {rec['status']}" in line


def test_gain_share_against_hand_computed_values():
    paper = pd.DataFrame({"method": ["CSRCNN", "Bicubic", "CSRCNN", "Bicubic"], "scale": [2, 2, 8, 8],
                          "dataset": ["Set5"] * 4, "psnr": [37.89, 33.69, 27.22, 24.40]})
    ours = pd.DataFrame({"method": ["CSRCNN", "CSRCNN"], "scale": [2, 8], "dataset": ["Set5", "Set5"],
                         "psnr": [34.24, 24.00]})
    bic = pd.DataFrame({"scale": [2, 8], "dataset": ["Set5", "Set5"], "psnr": [33.67, 24.40]})
    out = book.gain_share(paper, ours, bic).set_index("scale")
    assert out.loc[2, "share"] == pytest.approx((34.24 - 33.67) / (37.89 - 33.69))
    assert out.loc[8, "share"] < 0  # below bicubic: a negative share, not hidden
    assert out.loc[8, "difference"] == pytest.approx(24.00 - 27.22)


@pytest.mark.data
def test_protocol_deviations_on_one_image(data_root):
    dev = book.protocol_deviations("Set5", (4,), root=data_root, limit=1).set_index("deviation")
    assert dev.loc["protocol", "psnr_diff"] == 0 and dev.loc["protocol", "ssim_diff"] == 0
    assert dev.loc["ssim_valid", "psnr_diff"] == 0  # only SSIM changes with the window
    assert dev.loc["rgb", "psnr_diff"] < -0.5  # RGB is a different number, not a rounding
    assert abs(dev.loc["lr_float", "psnr_diff"]) < 0.05
    assert set(dev.index) == set(book.PROTOCOL_DEVIATIONS)


def test_comparison_long_is_narrow_and_keeps_every_cell():
    import math

    paper = pd.DataFrame({"method": ["CSRCNN", "Bicubic"] * 2, "scale": [2] * 4,
                          "dataset": ["Set5", "Set5", "Manga109", "Manga109"], "psnr": [37.89, 33.69, 38.0, 30.8]})
    ours = pd.DataFrame({"method": ["CSRCNN", "Bicubic", "CSRCNN", "Bicubic"], "scale": [2] * 4,
                         "dataset": ["Set5", "Set5", "Manga109", "Manga109"],
                         "psnr": [35.1, 33.67, math.nan, math.nan],
                         "status": ["first 3 of 5 images", "ok", "not available: Manga109 is not under the data root",
                                    "not available: Manga109 is not under the data root"]})
    cmp = book.compare(paper, ours, on=["method", "scale", "dataset"], values=["psnr"])
    long = book.comparison_long(cmp, ["scale", "method"], "psnr")
    assert list(long.columns) == ["paper", "ours", "difference", "note"]
    assert list(long.index.get_level_values("dataset")) == ["Set5", "Set5", "Manga109", "Manga109"]
    row = long.loc[("Set5", 2, "CSRCNN")]
    assert row.tolist() == ["37.89", "35.10", "-2.79", "first 3 of 5 images"]
    missing = long.loc[("Manga109", 2, "CSRCNN")]
    assert missing.ours == book.MISSING and missing.difference == book.NO_VALUE
    assert "not under the data root" in missing.note
