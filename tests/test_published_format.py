"""One published-result format (srlib.published): every committed result folder is read by one
class, ranked by one selector, and its lineage (``parent``, ``train_flops_total``) is read from
its provenance. ``published_results_before.json`` was computed before the provenance files gained
those two fields, by the code that then derived them from the ``init`` paths: the migration kept
every number (metrics and weights byte for byte, the training FLOPs, the totals, the selections)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from srlib import published

RESULTS = Path(__file__).resolve().parents[1] / "results"
BEFORE = json.loads((Path(__file__).with_name("published_results_before.json")).read_text())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", sorted(BEFORE["results"]))
def test_migrated_result_keeps_its_numbers_and_records_its_lineage(name):
    before, result = BEFORE["results"][name], published.find_published(name, RESULTS)
    assert result is not None, f"{name} is no longer listed"
    assert _sha256(result.folder / "metrics.json") == before["metrics_sha256"]
    assert _sha256(result.weights) == before["weights_sha256"]
    assert result.training_flops == before["train_flops"]
    assert result.total_training_flops == before["train_flops_total"]
    assert "parent" in result.record and "train_flops_total" in result.record


def test_every_published_result_records_its_lineage_consistently():
    names = {r.name for r in published.list_published(RESULTS)}
    assert set(BEFORE["results"]) <= names
    for r in published.list_published(RESULTS):
        assert {"parent", "train_flops_total"} <= set(r.record), f"{r.name}: no lineage in its provenance"
        init = (r.record.get("init") or {}).get("path") or (r.record.get("config") or {}).get("init") or ""
        assert (r.parent is None) == (not init), r.name
        if r.parent is not None:
            assert (RESULTS / r.parent).is_dir() and init.split("/")[1:3] == r.parent.split("/"), r.name
        assert published.lineage(init, r.training_flops, RESULTS) == {"parent": r.parent,
                                                                      "train_flops_total": r.total_training_flops}


@pytest.mark.parametrize("dataset", published.BENCHMARKS)
def test_the_selections_are_unchanged(dataset):
    picks = published.best_per_scale(RESULTS, dataset, scales=None)
    assert {str(s): r.name for s, r in picks.items()} == BEFORE["best_per_scale"][dataset]


def test_the_campaign_stages_are_unchanged():
    stages = {str(s): r.name for s in (2, 4, 8) if (r := published.find_published(f"campaign/x{s}", RESULTS))}
    assert stages == BEFORE["campaign_stages"]


def test_the_papers_architecture_at_x2_is_listed_by_its_provenance_scale():
    paper = published.find_published("campaign/paper-x2", RESULTS)
    if paper is None:
        pytest.skip("results/campaign/paper-x2 is not published")
    assert paper.scale == paper.record["scale"] == 2 and paper.parent is None
    assert paper.network == "the paper's architecture"
    assert published.best(2, RESULTS, network="the paper's architecture") == paper
    cpu = published.best(2, RESULTS, network="CPU variant")
    assert cpu.network.startswith("CPU variant (") and cpu == published.best(2, RESULTS)
    assert paper.psnr("Set5") < cpu.psnr("Set5")


def test_a_result_whose_folder_does_not_name_its_scale_is_read_from_its_provenance(tmp_path):
    folder = tmp_path / "campaign" / "wide-net"
    folder.mkdir(parents=True)
    (folder / published.PUBLISHED_FILES[0]).write_bytes(b"\0")
    (folder / "provenance.json").write_text(json.dumps({"scale": 4, "config": {"channels": 64, "hr_blocks": 1}}))
    (folder / "metrics.json").write_text(json.dumps({"results": {"Set5": {"psnr": 30.0, "ssim": 0.8, "images": 5}}}))
    (tmp_path / "campaign" / "no-scale").mkdir()
    for name in published.PUBLISHED_FILES:
        (tmp_path / "campaign" / "no-scale" / name).write_text("{}")
    assert [r.name for r in published.list_published(tmp_path)] == ["campaign/wide-net"]
    assert published.best(4, tmp_path).network == "the paper's architecture"
    assert published.best(4, tmp_path, network="CPU variant") is None
