"""The committed reference results (results/reference/x*/) are consistent (issue 6)."""
from __future__ import annotations

import csv
import hashlib
import json
import re

import pytest
import torch

from conftest import REPO_ROOT, assert_stored_set5_score

RESULTS = REPO_ROOT / "results" / "reference"
SCALES = sorted(int(p.name[1:]) for p in RESULTS.glob("x*") if (p / "weights_fp16.safetensors").is_file())
PROVENANCE_FIELDS = {"profile", "overrides", "config", "steps", "device", "threads", "torch", "wall_time_s",
                     "training_images", "git_commit", "published_utc", "command", "weights_sha256", "scale"}


def test_x2_reference_is_committed():
    assert 2 in SCALES, "results/reference/x2/weights_fp16.safetensors is missing"


@pytest.fixture(params=SCALES, ids=lambda s: f"x{s}")
def folder(request):
    return RESULTS / f"x{request.param}"


def test_files_present(folder):
    for name in ("weights_fp16.safetensors", "log.csv", "metrics.json", "provenance.json", "README.md"):
        assert (folder / name).is_file(), name


def test_weights_are_fp16_small_and_load(folder):
    from srlib.inference import load_checkpoint
    from srlib.training import checkpoint as ck

    path = folder / "weights_fp16.safetensors"
    assert path.stat().st_size < 16 * 2**20
    tensors, meta = ck.load_weights(path)
    assert {v.dtype for v in tensors.values() if v.is_floating_point()} == {torch.float16}
    assert meta["dtype"] == "float16"
    loaded = load_checkpoint(path)
    assert loaded.name == "csrcnn" and loaded.scale == int(folder.name[1:])
    assert loaded.kwargs["channels"] == 64  # the paper's width
    assert {p.dtype for p in loaded.model.parameters()} == {torch.float32}
    assert float(meta.get("fade_alpha", 1.0)) == 1.0


def test_provenance(folder):
    prov = json.loads((folder / "provenance.json").read_text())
    assert PROVENANCE_FIELDS <= set(prov), PROVENANCE_FIELDS - set(prov)
    assert prov["scale"] == int(folder.name[1:])
    assert prov["profile"] == "reference"
    assert re.fullmatch(r"[0-9a-f]{40}", prov["git_commit"])
    assert prov["steps"] >= 1 and prov["wall_time_s"] > 0
    digest = hashlib.sha256((folder / "weights_fp16.safetensors").read_bytes()).hexdigest()
    assert prov["weights_sha256"] == digest, "provenance.json describes other weights"


def test_log_matches_provenance(folder):
    prov = json.loads((folder / "provenance.json").read_text())
    with open(folder / "log.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    last = int(rows[-1]["step"])
    if prov.get("stopped_early"):  # stopped after a checkpoint: the log runs up to that step, a row per log_every
        assert prov["steps"] - prov["config"]["log_every"] < last <= prov["steps"]
    else:
        assert last == prov["steps"] == prov["config"]["steps"]


def test_metrics_cover_the_benchmarks(folder):
    metrics = json.loads((folder / "metrics.json").read_text())
    for ds in ("Set5", "Set14", "B100"):
        r = metrics["results"][ds]
        assert r["subset"] is None and r["images"] == {"Set5": 5, "Set14": 14, "B100": 100}[ds]
        assert 20 < r["psnr"] < 50 and 0 < r["ssim"] <= 1


@pytest.mark.data
def test_metrics_match_a_fresh_evaluation(folder, data_root):
    assert_stored_set5_score(folder, data_root)
