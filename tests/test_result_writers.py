"""What every writer of a published result shares (srlib.publishing) and the GPU window's helpers
(srlib.stage_window): fp16 export, provenance with its lineage, the resume bundle, config
overrides; scripts/gpu_stage.py and scripts/publish_reference.py only call them."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from srlib import publishing, published
from srlib.repository import REPO_ROOT, git_commit
from srlib.stage_window import config_overrides
from srlib.training import train
from srlib.training.checkpoint import load_weights

from _training_helpers import make_data_root, tiny_config, one_thread_per_module  # noqa: F401 (autouse fixture)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = make_data_root(tmp_path_factory.mktemp("data"))
    return train(tiny_config(root, steps=4, ckpt_every=2, log_every=2), tmp_path_factory.mktemp("run") / "run")


def test_export_fp16_keeps_the_header_and_refuses_a_file_over_the_limit(run, tmp_path):
    out = publishing.export_fp16(run.final_weights, tmp_path / "w.safetensors", {"device": "here"})
    tensors, meta = load_weights(out)
    source, source_meta = load_weights(run.final_weights)
    assert {t.dtype for t in tensors.values() if t.is_floating_point()} == {torch.float16}
    assert all(torch.equal(tensors[k], v.half()) for k, v in source.items())
    assert meta["dtype"] == "float16" and meta["device"] == "here" and meta["model"] == source_meta["model"]
    with pytest.raises(ValueError, match="over the"):
        publishing.export_fp16(run.final_weights, tmp_path / "big.safetensors", max_bytes=10)


def test_write_provenance_records_the_parent_and_the_compute_from_scratch(tmp_path):
    results = tmp_path / "results"
    parent = results / "campaign" / "x2"
    parent.mkdir(parents=True)
    (parent / "provenance.json").write_text(json.dumps({"train_flops": 5.0, "parent": None,
                                                        "train_flops_total": 7.0}))
    dest = results / "reference" / "x4"
    dest.mkdir(parents=True)
    init = str(results / "campaign" / "x2" / "state" / "final.safetensors")
    publishing.write_provenance(dest, {"init": init, "train_flops": 2.0}, results)
    record = json.loads((dest / "provenance.json").read_text())
    assert record["parent"] == "campaign/x2" and record["train_flops_total"] == 9.0  # the parent's total counts
    publishing.write_provenance(dest, {"config": {"init": ""}, "train_flops": None}, results)
    assert json.loads((dest / "provenance.json").read_text())["parent"] is None
    outside = publishing.write_provenance(dest, {"init": "/elsewhere/w.safetensors", "train_flops": 1.0}, results)
    assert json.loads(outside.read_text())["train_flops_total"] is None  # a link of unknown compute


def test_resume_bundle_round_trip(run, tmp_path):
    names = publishing.pack_resume(run.out_dir, tmp_path, part_bytes=20_000)
    assert len(names) > 1 and all((tmp_path / n).stat().st_size <= 20_000 for n in names)
    files = publishing.unpack_resume(tmp_path, tmp_path / "again")
    assert {"config.json", "log.csv"} <= {p.name for p in files}
    assert any(p.name.endswith(".state.pt") for p in files)
    with pytest.raises(FileNotFoundError, match="no resume.tar.part"):
        publishing.unpack_resume(tmp_path / "again", tmp_path / "x")


def test_config_overrides_are_typed_by_the_config_and_refuse_an_unknown_field():
    assert config_overrides(["steps=400", "lr=1e-4", "progress=false"]) == {"steps": 400, "lr": 1e-4,
                                                                            "progress": False}
    with pytest.raises(ValueError, match="unknown config field 'stepz'"):
        config_overrides(["stepz=3"])


def test_git_commit_outside_a_checkout_is_the_named_one(tmp_path, monkeypatch):
    assert git_commit(tmp_path) == "unknown" or "SRLIB_GIT_COMMIT" in __import__("os").environ
    monkeypatch.setenv("SRLIB_GIT_COMMIT", "abc1234")
    assert git_commit(tmp_path) == "abc1234"


@pytest.mark.parametrize("script", ["gpu_stage.py", "publish_reference.py"])
def test_scripts_are_thin_callers_of_the_library(script):
    text = (REPO_ROOT / "scripts" / script).read_text()
    assert "sys.path" not in text and len(text.splitlines()) <= 320
    for helper in ("def git_commit", "def device_name", "def export_fp16", "def _evaluate", "def _bundle"):
        assert helper not in text, f"{script} re-implements {helper[4:]}"
    env = {"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / script), "--help"], capture_output=True,
                          text=True, cwd=REPO_ROOT, env=env, timeout=120)
    assert proc.returncode == 0 and "usage" in proc.stdout


def test_add_evaluations_fills_only_the_missing_benchmarks_from_the_fp16_weights(tmp_path, data_root, capsys):
    """A published result lacking a benchmark gets it from its own fp16 weights (no run folder),
    the same scores as when it was published, per image, in one process or split over two; a
    stored benchmark is left alone and a bad name stops before anything is written."""
    import shutil

    from srlib.cli import main as cli_main
    from srlib.publishing import add_evaluations

    folder = tmp_path / "results" / "campaign" / "x8"
    shutil.copytree(REPO_ROOT / "results" / "campaign" / "x8", folder)
    stored = json.loads((folder / "metrics.json").read_text())
    metrics = json.loads((folder / "metrics.json").read_text())
    del metrics["results"]["Set5"]
    (folder / "metrics.json").write_text(json.dumps(metrics))
    assert add_evaluations(folder, ["Set5", "Set14"], data_root, shards=2, progress=False) == ["Set5"]
    now = json.loads((folder / "metrics.json").read_text())["results"]
    assert now["Set14"] == stored["results"]["Set14"]
    assert abs(now["Set5"]["psnr"] - stored["results"]["Set5"]["psnr"]) <= 0.01
    assert [p["name"] for p in now["Set5"]["per_image"]] == [p["name"] for p in stored["results"]["Set5"]["per_image"]]
    assert now["Set5"]["added"]["commit"] and now["Set5"]["subset"] is None
    assert add_evaluations(folder, ["Set5"], data_root, progress=False) == []
    assert not (folder / "partial").exists()
    before = (folder / "metrics.json").read_bytes()
    code = cli_main(["campaign", "evaluate", "x8", "--root", str(tmp_path), "--datasets", "Set5,NoSuchSet"])
    assert code != 0 and (folder / "metrics.json").read_bytes() == before
    assert "NoSuchSet" in capsys.readouterr().err.strip().splitlines()[-1]


def test_a_stopped_evaluation_resumes_from_the_scores_it_kept(tmp_path, data_root):
    import shutil

    from srlib.publishing import add_evaluations

    folder = tmp_path / "results" / "campaign" / "x8"
    shutil.copytree(REPO_ROOT / "results" / "campaign" / "x8", folder)
    metrics = json.loads((folder / "metrics.json").read_text())
    stored = metrics["results"].pop("Set5")
    (folder / "metrics.json").write_text(json.dumps(metrics))
    kept = {p["name"]: [40.0, 0.99] for p in stored["per_image"][:3]}  # as a stopped run left them
    (folder / "partial").mkdir()
    (folder / "partial" / "Set5-earlier-0.json").write_text(json.dumps(kept))
    assert add_evaluations(folder, ["Set5"], data_root, progress=False) == ["Set5"]
    entry = json.loads((folder / "metrics.json").read_text())["results"]["Set5"]
    assert entry["added"]["images_scored_before"] == 3 and entry["images"] == 5
    assert [p["psnr"] for p in entry["per_image"][:3]] == [40.0] * 3  # not measured again
    assert [p["psnr"] for p in entry["per_image"][3:]] == [p["psnr"] for p in stored["per_image"][3:]]
    assert not (folder / "partial").exists()


def test_publish_reference_counts_the_images_of_a_training_folder(run, tmp_path):
    """A run trained on a folder of images (not a registered set) publishes: the provenance counts
    that folder's images."""
    import os

    dest = tmp_path / "results" / "reference" / "x2"
    data_root = json.loads((run.out_dir / "config.json").read_text())
    data_root = data_root.get("train_config", data_root)["data_root"]
    env = {**os.environ, "SRLIB_DATA_DIR": data_root, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "publish_reference.py"), str(run.out_dir),
                           str(dest), "--datasets", "Set5", "--scale", "2", "--device-label", "test CPU"],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    images = json.loads((dest / "provenance.json").read_text())["training_images"]
    assert list(images["sets"].values()) == [6] and images["total"] == 6
