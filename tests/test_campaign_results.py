"""The committed CPU-campaign results (results/campaign/): published stages load and evaluate to
their stored Set5 scores, their logs and provenance agree, the committed resume state is
complete and small, and the stored pilots are readable."""
from __future__ import annotations

import csv
import hashlib
import json

import pytest
import torch

from conftest import REPO_ROOT, assert_stored_set5_score

RESULTS = REPO_ROOT / "results" / "campaign"
STAGES = sorted(p.name for p in RESULTS.glob("x*") if (p / "weights_fp16.safetensors").is_file())
STATES = sorted(p.parent.name for p in RESULTS.glob("*/state") if (p / "latest.json").is_file())


def test_the_x2_stage_is_published():
    assert "x2" in STAGES, "results/campaign/x2/weights_fp16.safetensors is missing"


@pytest.fixture(params=STAGES)
def folder(request):
    return RESULTS / request.param


def test_weights_fp16_and_provenance(folder):
    from srlib.inference import load_checkpoint
    from srlib.training import checkpoint as ck

    path = folder / "weights_fp16.safetensors"
    tensors, meta = ck.load_weights(path)
    assert {v.dtype for v in tensors.values() if v.is_floating_point()} == {torch.float16}
    loaded = load_checkpoint(path)
    prov = json.loads((folder / "provenance.json").read_text())
    metrics = json.loads((folder / "metrics.json").read_text())
    assert loaded.name == "csrcnn" and loaded.scale == prov["scale"] == metrics["scale"]
    assert prov["profile"] == "campaign"
    assert prov["weights_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert prov["status"] in ("complete", "incomplete") and prov["pieces"]
    assert prov["train_flops"] == pytest.approx(prov["steps"] * prov["train_flops_per_step"])
    assert prov["cpu_seconds"] > 0 and prov["wall_time_s"] >= prov["train_seconds"] > 0


def test_log_reaches_the_published_step(folder):
    prov = json.loads((folder / "provenance.json").read_text())
    with open(folder / "log.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    steps = [int(r["step"]) for r in rows]
    assert steps == sorted(steps) and steps[-1] == prov["steps"]
    cpu = [float(r["cpu_time"]) for r in rows if r["cpu_time"]]
    assert cpu == sorted(cpu) and cpu[-1] == pytest.approx(prov["cpu_seconds"], rel=0.01)
    assert any(r["psnr"] for r in rows), "no validation point in the log"


def test_metrics_cover_the_four_benchmarks(folder):
    metrics = json.loads((folder / "metrics.json").read_text())["results"]
    for ds, n in {"Set5": 5, "Set14": 14, "B100": 100, "Urban100": 100}.items():
        r = metrics[ds]
        assert r["subset"] is None and r["images"] == n == len(r["per_image"])
        assert r["psnr"] == pytest.approx(sum(i["psnr"] for i in r["per_image"]) / n, abs=1e-3)


@pytest.mark.data
def test_weights_evaluate_to_the_stored_set5_score(folder, data_root):
    assert_stored_set5_score(folder, data_root)


@pytest.mark.parametrize("name", STATES)
def test_committed_state_is_complete_and_small(name):
    from srlib.training.checkpoint import load_state

    from srlib.training.checkpoint import read_metadata

    state = RESULTS / name / "state"
    latest = json.loads((state / "latest.json").read_text())
    weights = state / latest["weights"].split("/")[-1]
    assert weights.is_file() and (state / "log.csv").is_file() and (state / "config.json").is_file()
    assert sum(p.stat().st_size for p in state.iterdir()) < 10 * 2**20, "the resume state must stay under 10 MiB"
    assert int(read_metadata(weights)["step"]) == latest["step"]
    if latest.get("complete"):  # a finished stage: fp32 weights for the next stage, its summary
        assert json.loads((state / "summary.json").read_text())["steps"] == latest["step"]
    else:
        loaded = load_state(state / latest["state"].split("/")[-1])
        assert loaded["step"] == latest["step"] and "optimizer" in loaded and loaded["cpu_seconds"] > 0


def test_hub_returns_the_best_committed_weights():
    from safetensors.torch import load_file

    from srlib import published

    best = published.best_per_scale()
    for scale, res in best.items():
        net = torch.hub.load(str(REPO_ROOT), "csrcnn", source="local", scale=scale)
        stored = load_file(str(res.weights))
        state = net.state_dict()
        assert all(torch.equal(state[k], v.float()) for k, v in stored.items())


def test_pilots_are_readable():
    from srlib import campaign

    pilots = campaign.read_pilots(RESULTS / "pilots")
    assert len(pilots) >= 3, "the width choice needs at least three stored pilots"
    assert pilots.set5_psnr.between(30, 45).all() and (pilots.train_flops > 0).all()


def test_the_compute_fidelity_figure_of_the_stored_runs_is_readable():
    """The campaign chapter's figure, drawn from the stored runs as the chapter draws it, passes the
    book's figure check (text size at the column width, no overlap, no legend over data)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from srlib import book, campaign
    from srlib.book import campaign_views
    from srlib.book.figure_checks import figure_problems

    from srlib import published

    stages = {s: r for s in (2, 4, 8) if (r := published.find_published(f"campaign/x{s}", RESULTS.parent))}
    if 2 not in stages:
        pytest.skip("no published x2 stage")
    scratch = {"pilot": campaign.read_pilots(RESULTS / "pilots"), "schedule": campaign.read_pilots(RESULTS / "schedules")}
    continued = {s: campaign.read_continuations(RESULTS, s, r.record["train_flops"]) for s, r in stages.items()}
    curves, fits = {}, {}
    for s, r in stages.items():
        curves[s], fits[s] = campaign.stage_ceiling(r.config, r.record["train_flops"], campaign.last_validation(r.folder),
                                                    scratch, continued[s])
    rates = {s: r.record["train_flops"] / r.record["cpu_seconds"] for s, r in stages.items()}
    fig = campaign_views.fidelity_figure(stages, curves, fits, continued, rates)
    try:
        assert figure_problems(fig) == []
        assert fig.get_size_inches()[0] <= 10.0
        assert not any(ax.get_legend() for ax in fig.axes)  # one legend, under the panels
    finally:
        plt.close(fig)
