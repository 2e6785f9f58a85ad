"""The CPU campaign (srlib.campaign): a piece killed, its state committed, the live folder lost
(a new machine), the next piece restored from the committed state: the result equals the
uninterrupted run bit for bit. Publishing writes the files the book reads."""
from __future__ import annotations

import csv
import json
import shutil
import subprocess

import numpy as np
import pytest

from srlib.cli import campaign as campaign_cli
import torch

from srlib import campaign
from srlib.published import find_published
from srlib.repository import git_commit, uncommitted_paths
from srlib.training import TrainingSet, train
from srlib.training.checkpoint import load_weights

from _training_helpers import make_data_root, tiny_config, one_thread_per_module  # noqa: F401 (autouse fixture)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return make_data_root(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def data(root):
    return TrainingSet.from_config(tiny_config(root))


def test_campaign_profile_exists_at_every_scale():
    for s in (2, 4, 8):
        cfg = campaign.campaign_config(s)
        assert cfg.profile == "campaign" and cfg.scale == s and cfg.model == "csrcnn"
        assert cfg.ckpt_every <= cfg.steps


def test_overriding_steps_rescales_what_the_profile_ties_to_them():
    cfg = campaign.campaign_config(2, steps=8000, lr=1e-4)
    assert (cfg.steps, cfg.alternate_every, cfg.val_every, cfg.lr) == (8000, 400, 400, 1e-4)
    assert campaign.campaign_config(2, steps=8000, val_every=500).val_every == 500
    default = campaign.campaign_config(2)
    assert default.alternate_every == default.steps // 20


def test_cli_passes_the_run_overrides(monkeypatch):
    import argparse
    seen = {}
    monkeypatch.setattr(campaign, "run", lambda name, config, threads: seen.update(name=name, config=config)
                        or argparse.Namespace(out_dir="x", step=0, scores=None))
    parser = argparse.ArgumentParser()
    campaign_cli.add_cli_command(parser.add_subparsers())
    args = parser.parse_args(["campaign", "run", "x2-p48", "--scale", "2", "--init", "w.safetensors", "--steps", "800",
                              "--lr", "1e-4", "--patch-size", "48", "--batch-size", "8", "--ckpt-every", "60",
                              "--loss", "l2", "--seed", "3"])
    assert args.func(args) == 0
    cfg = seen["config"]
    assert seen["name"] == "x2-p48" and cfg.init == "w.safetensors"
    assert (cfg.steps, cfg.lr, cfg.patch_size, cfg.batch_size, cfg.ckpt_every) == (800, 1e-4, 48, 8, 60)
    assert cfg.loss_schedule == "l2" and cfg.seed == 3
    default = parser.parse_args(["campaign", "run", "x2-more", "--scale", "2"])
    seen.clear()
    default.func(default)
    assert seen["config"].loss_schedule == campaign.campaign_config(2).loss_schedule


def test_cli_runs_a_whole_recipe_from_a_config_file(monkeypatch, tmp_path):
    import argparse
    seen = {}
    monkeypatch.setattr(campaign, "run", lambda name, config, threads: seen.update(config=config)
                        or argparse.Namespace(out_dir="x", step=0, scores=None))
    parser = argparse.ArgumentParser()
    campaign_cli.add_cli_command(parser.add_subparsers())
    recipe = campaign.campaign_config(2, channels=64, init_widen=True, init="narrow.safetensors", alternate_every=7)
    (tmp_path / "recipe.json").write_text(recipe.to_json())
    args = parser.parse_args(["campaign", "run", "x2-wide", "--config", str(tmp_path / "recipe.json"),
                              "--lr", "3e-5", "--threads", "1"])
    assert args.func(args) == 0
    cfg = seen["config"]
    assert (cfg.channels, cfg.init_widen, cfg.init, cfg.alternate_every) == (64, True, "narrow.safetensors", 7)
    assert cfg.lr == 3e-5 and cfg.progress is False  # the flags refine the recipe
    # a finished stage's config.json (the recipe wrapped as {"train_config": ...}) runs again as it is
    (tmp_path / "config.json").write_text(json.dumps({"train_config": recipe.to_dict(), "model": "csrcnn"}))
    again = parser.parse_args(["campaign", "run", "x2-again", "--config", str(tmp_path / "config.json")])
    assert again.func(again) == 0 and seen["config"].channels == 64 and seen["config"].alternate_every == 7
    clash = parser.parse_args(["campaign", "run", "x2-clash", "--config", str(tmp_path / "config.json"),
                               "--scale", "4"])
    with pytest.raises(ValueError, match="--scale 4 conflicts with the recipe's scale 2"):
        clash.func(clash)
    (tmp_path / "bad.json").write_text('{"chanels": 64}')
    bad = parser.parse_args(["campaign", "run", "x2-bad", "--config", str(tmp_path / "bad.json")])
    with pytest.raises(ValueError, match="chanels"):
        bad.func(bad)


def test_training_flops_scale_with_batch(root):
    cfg = tiny_config(root)
    one, two = campaign.training_flops_per_step(cfg), campaign.training_flops_per_step(cfg.replace(batch_size=8))
    assert one > 0 and two == pytest.approx(2 * one)


def test_resume_from_committed_state_is_exact(root, data, tmp_path):
    cfg = tiny_config(root, steps=20, ckpt_every=10, log_every=5)
    whole = train(cfg, tmp_path / "whole", data=data)

    results, runs = tmp_path / "results", tmp_path / "runs"
    killed = campaign.run("x2", cfg, results=results, runs=runs, data=data, stop_at=13)
    assert killed.status == "killed"
    piece = campaign.save("x2", results=results, runs=runs)
    assert piece["end_step"] == 10 and piece["piece"] == 1
    state = results / "x2" / "state"
    assert sorted(p.name for p in state.iterdir()) == [
        "config.json", "latest.json", "log.csv", "pieces.json", "step_00000010.safetensors",
        "step_00000010.state.pt"]
    shutil.rmtree(runs)  # the machine is not kept: only the committed state survives

    done = campaign.run("x2", results=results, runs=runs, data=data)
    assert done.status == "completed" and done.step == 20
    a, _ = load_weights(whole.final_weights)
    b, _ = load_weights(done.final_weights)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    pieces = json.loads((runs / "x2" / "pieces.json").read_text())
    assert [p["start_step"] for p in pieces] == [0, 10] and pieces[1]["restored_from_commit"]
    with open(runs / "x2" / "log.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["step"]) for r in rows] == [5, 10, 15, 20]
    cpu = [float(r["cpu_time"]) for r in rows]
    assert all(c > 0 for c in cpu) and cpu == sorted(cpu)


def test_run_without_config_or_state_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no checkpoint and no committed state"):
        campaign.run("x4", results=tmp_path / "r", runs=tmp_path / "l")


def test_publish_writes_what_the_book_reads(root, data, tmp_path):
    cfg = tiny_config(root, steps=10, ckpt_every=10, log_every=5)
    results, runs = tmp_path / "results" / "campaign", tmp_path / "runs"
    campaign.run("x2", cfg, results=results, runs=runs, data=data)
    campaign.save("x2", results=results, runs=runs)
    state = results / "x2" / "state"
    # A finished stage keeps its final fp32 weights (the next stage's init), no optimiser state.
    assert json.loads((state / "latest.json").read_text()) == {"step": 10, "complete": True,
                                                               "weights": "final.safetensors"}
    assert not list(state.glob("*.state.pt")) and (state / "final.safetensors").is_file()
    shutil.rmtree(runs)
    with pytest.raises(ValueError, match="is complete"):
        campaign.run("x2", results=results, runs=runs, data=data)
    dest = campaign.publish("x2", ("Set5",), results=results, runs=runs, data_root=str(root), limit=2)
    prov = json.loads((dest / "provenance.json").read_text())
    assert prov["status"] == "complete" and prov["steps"] == 10 and prov["train_flops"] == pytest.approx(
        10 * prov["train_flops_per_step"])
    with open(dest / "log.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert float(rows[-1]["train_flops"]) == pytest.approx(prov["train_flops"], rel=1e-3)
    ref = find_published("campaign/x2", results.parent)
    assert ref is not None and ref.scale == 2 and ref.parent is None
    assert ref.total_training_flops == ref.training_flops == prov["train_flops"]  # from scratch: its own
    scores = ref.scores()
    m = json.loads((dest / "metrics.json").read_text())["results"]["Set5"]
    assert scores.psnr.iloc[0] == m["psnr"] and len(m["per_image"]) == 2 == m["images"]
    assert m["gain_over_bicubic_db"] == pytest.approx(m["psnr"] - m["bicubic_psnr"], abs=1e-3)
    # a finished run also leaves what read_continuations reads, without replacing the log above
    summary = json.loads((dest / "summary.json").read_text())
    assert summary["steps"] == 10 and (dest / "config.json").is_file() and "train_flops" in rows[0]

    # a stage of another name started from x2's final weights (as paper-x4 from paper-x2): its
    # provenance names the published result it started from and the FLOPs from scratch
    x4 = tiny_config(root, scale=4, steps=5, ckpt_every=5, log_every=5, init=str(state / "final.safetensors"))
    campaign.run("paper-x4", x4, results=results, runs=runs, data=data)
    campaign.publish("paper-x4", ("Set5",), results=results, runs=runs, data_root=str(root), limit=2)
    child = find_published("campaign/paper-x4", results.parent)
    assert child.scale == 4 and child.parent == "campaign/x2" and child.record["parent"] == "campaign/x2"
    assert child.total_training_flops == pytest.approx(child.training_flops + prov["train_flops"])
    assert child.training_flops == pytest.approx(5 * child.record["train_flops_per_step"])
    assert campaign.read_continuations(results, 2).empty  # another stage, not a continuation of x2


def test_saturation_fit_recovers_a_known_curve():
    import numpy as np

    c = np.geomspace(1e12, 1e15, 12)
    y = 37.4 - 3e3 * c ** -0.3
    fit = campaign.fit_saturation(c, y)
    assert fit["p_inf"] == pytest.approx(37.4, abs=1e-3) and fit["b"] == pytest.approx(0.3, rel=1e-3)
    assert campaign.compute_to_reach(fit, float(y[5])) == pytest.approx(c[5], rel=1e-3)
    assert campaign.compute_to_reach(fit, 37.5) == float("inf")
    assert campaign.saturation_psnr(fit, c) == pytest.approx(y, abs=1e-3)
    assert fit["identified"]
    with pytest.raises(ValueError, match="at least 4 points"):
        campaign.fit_saturation(c[:3], y[:3])
    # a curve that grows like log(compute) over the range bends towards no ceiling: the fit runs to
    # its bound and says so
    flat = campaign.fit_saturation(c, 30.0 + 0.05 * np.log(c / c[0]))
    assert not flat["identified"] and flat["p_inf"] > 30.0 + 0.9 * campaign.FIT_CEILING_MARGIN


def test_pilots_are_stored_and_read_back(root, data, tmp_path):
    cfg = tiny_config(root, steps=10, ckpt_every=10, log_every=5, val_every=0, val_sets=("Set5",), val_limit=1)
    res = train(cfg, tmp_path / "run", data=data)
    campaign.publish_pilot(tmp_path / "run", tmp_path / "pilots" / "p1", note="tiny")
    table = campaign.read_pilots(tmp_path / "pilots")
    row = table.iloc[0]
    assert row.pilot == "p1" and row.steps == 10 and row.set5_psnr == pytest.approx(res.psnr) and row.note == "tiny"
    assert row.train_flops == pytest.approx(10 * campaign.training_flops_per_step(cfg))
    log = campaign.read_log(tmp_path / "pilots" / "p1", row.train_flops / 10)
    assert list(log.step) == [5, 10] and log.cpu_hours.iloc[-1] > 0
    summary = json.loads((tmp_path / "pilots" / "p1" / "summary.json").read_text())
    assert isinstance(summary["published_uncommitted_paths"], list)
    # beside publish()'s files the log publish() wrote stays when asked to
    (tmp_path / "pilots" / "p1" / "log.csv").write_text("step,train_flops\n10,1\n")
    campaign.publish_pilot(tmp_path / "run", tmp_path / "pilots" / "p1", note="tiny", keep_log=True)
    assert (tmp_path / "pilots" / "p1" / "log.csv").read_text() == "step,train_flops\n10,1\n"
    # a folder without the stored files (an interrupted copy) is skipped, not a crash
    (tmp_path / "pilots" / "p2").mkdir()
    (tmp_path / "pilots" / "p2" / "summary.json").write_text("{}")
    assert list(campaign.read_pilots(tmp_path / "pilots").pilot) == ["p1"]


def test_uncommitted_paths_name_the_changed_tracked_files(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    run = lambda *args: subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    (tmp_path / "code.py").write_text("a = 1\n")
    (tmp_path / "prose.md").write_text("text\n")
    run("add", ".")
    run("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    assert uncommitted_paths(tmp_path) == [] and not git_commit(tmp_path).endswith("+dirty")
    (tmp_path / "prose.md").write_text("more text\n")
    (tmp_path / "untracked.txt").write_text("not tracked\n")
    assert uncommitted_paths(tmp_path) == ["prose.md"] and git_commit(tmp_path).endswith("+dirty")
    assert uncommitted_paths(tmp_path / "no-such-folder") == []


def test_last_validation_is_the_logs_last_psnr(tmp_path):
    (tmp_path / "log.csv").write_text("step,wall_time,cpu_time,psnr\n5,1,1,30.5\n10,2,2,31.25\n15,3,3,\n")
    assert campaign.last_validation(tmp_path) == 31.25
    (tmp_path / "log.csv").write_text("step,wall_time,cpu_time,psnr\n5,1,1,\n")
    with pytest.raises(ValueError, match="no validation"):
        campaign.last_validation(tmp_path)


def test_continuations_chain_on_their_parents_compute(root, data, tmp_path):
    """A continuation of a continuation starts where its parent ended, in compute as in weights."""
    base = tmp_path / "campaign"
    train(tiny_config(root, steps=6, log_every=3, val_every=3), tmp_path / "run", data=data)

    def store(name, init, **changes):  # a stored continuation whose config names the weights it started from
        campaign.publish_pilot(tmp_path / "run", base / name)
        info = json.loads((base / name / "config.json").read_text())
        info["train_config"].update(init=init, **changes)
        (base / name / "config.json").write_text(json.dumps(info))

    # the child first: the order comes from the chain; the child is a widened network
    store("x2-b", "results/campaign/x2-a/state/final.safetensors", channels=12, init_widen=True)
    store("x2-a", "results/campaign/x2/state/final.safetensors")
    table = campaign.read_continuations(base, 2, stage_flops=1e12)
    assert list(table.name) == ["x2-a", "x2-b"] and list(table.parent) == ["x2", "x2-a"]
    a, b = table.iloc[0], table.iloc[1]
    assert a.cpu_seconds > 0 and a.train_flops > 0 and a.loss == tiny_config(root).loss_schedule
    assert a.seed == tiny_config(root).seed
    assert (a.channels, a.widened, b.channels, b.widened) == (tiny_config(root).channels, False, 12, True)
    assert a.start_flops == 1e12 and b.start_flops == pytest.approx(a.cumulative_flops)
    assert b.cumulative_flops == pytest.approx(1e12 + a.train_flops + b.train_flops)
    assert campaign.read_continuations(base, 4).empty

    store("x2-c", "elsewhere/weights.safetensors")
    with pytest.raises(ValueError, match="x2-c"):
        campaign.read_continuations(base, 2)


def test_ceiling_interval_covers_the_true_ceiling_and_narrows_with_less_noise():
    c = np.geomspace(0.05, 1.0, 7)
    y = 37.5 - 0.2 * c ** -0.6
    wide = campaign.fit_saturation_interval(c, y, sigma=0.02, n=60)
    narrow = campaign.fit_saturation_interval(c, y, sigma=0.002, n=60)
    assert wide["low"] <= 37.5 <= wide["high"] and narrow["low"] <= 37.5 + 1e-6 and narrow["high"] >= 37.5 - 1e-6
    assert narrow["high"] - narrow["low"] < wide["high"] - wide["low"]
    assert len(wide["samples"]) == 60 and 0.0 <= wide["unidentified"] <= 1.0
    # noise per point: quiet points where the curve bends narrow the interval against noisy ones
    mixed = campaign.fit_saturation_interval(c, y, sigma=np.where(c > 0.3, 0.002, 0.02), n=60)
    assert mixed["high"] - mixed["low"] < wide["high"] - wide["low"]
    # the PSNR the refitted curves give at ten times the largest compute: around the true curve's
    ahead = campaign.fit_saturation_interval(c, y, sigma=0.002, n=60, at=10.0)
    assert ahead["at_low"] <= 37.5 - 0.2 * 10.0 ** -0.6 <= ahead["at_high"] <= ahead["high"]
    assert len(ahead["at_samples"]) == 60 and "at_low" not in wide


def test_seed_spread_pools_the_repeated_recipes_only():
    import pandas as pd

    runs = pd.DataFrame({"steps": [10, 10, 20, 20, 20, 30], "lr": [1e-3] * 6,
                         "set5_psnr": [37.0, 37.2, 36.0, 36.1, 36.2, 35.0]})
    sd, dof = campaign.seed_spread(runs, ["steps", "lr"])
    # squares 0.02 (pair) + 0.02 (triple) over 1 + 2 degrees of freedom; the single run adds nothing
    assert dof == 3 and sd == pytest.approx(np.sqrt(0.04 / 3))
    assert campaign.seed_spread(runs.iloc[[0, 2, 5]], ["steps", "lr"]) == (pytest.approx(np.nan, nan_ok=True), 0)


def test_period_gains_group_repeats_and_measure_from_their_parent():
    import pandas as pd
    from scipy import stats

    runs = pd.DataFrame({"name": ["b", "a", "b2", "c"], "parent": ["a", "x2", "a", "b"], "lr": [1e-4, 2e-4, 1e-4, 5e-5],
                         "cumulative_flops": [2.0, 1.0, 2.0, 3.0], "cpu_seconds": [10.0, 10.0, 20.0, 10.0],
                         "set5_psnr": [37.48, 37.47, 37.49, 37.50]})
    table = campaign.period_gains(runs, {"x2": 37.46, "a": 37.47, "b": 37.48}, ["parent", "lr"], sd=0.01, dof=4)
    assert list(table.parent) == ["x2", "a", "b"] and list(table.runs) == [1, 2, 1]  # in order of compute
    two = table.iloc[1]  # b and b2 repeat one recipe from a: their mean against a's one result
    assert two.names == "b, b2" and two.cpu_seconds == 15.0 and two.gain == pytest.approx(0.015)
    half = stats.t.ppf(0.975, 4) * 0.01 * np.sqrt(1 / 2 + 1)
    assert two.low == pytest.approx(0.015 - half) and two.high == pytest.approx(0.015 + half)
    assert table.iloc[2].gain == pytest.approx(0.02)  # c from b: b's own result, not the mean of b and b2
    assert list(table.lr) == [2e-4, 1e-4, 5e-5]  # the recipe's columns come along
    with pytest.raises(ValueError, match="parent"):
        campaign.period_gains(runs, {"x2": 37.46}, ["lr"], sd=0.01, dof=4)


def test_difference_interval_is_a_student_t_interval():
    from scipy import stats

    out = campaign.difference_interval([37.0, 37.2], [37.3, 37.3, 37.4], sd=0.05, dof=3)
    half = stats.t.ppf(0.975, 3) * 0.05 * np.sqrt(1 / 2 + 1 / 3)
    assert out["difference"] == pytest.approx(37.1 - 37.3333333)
    assert out["low"] == pytest.approx(out["difference"] - half) and out["high"] == pytest.approx(out["difference"] + half)
    assert out["high"] < 0  # 0.23 dB apart with 0.05 dB noise: the interval excludes zero
    wide = campaign.difference_interval([37.0], [37.1], sd=0.05, dof=1)
    assert wide["low"] < 0 < wide["high"]  # one run each, one degree of freedom: inconclusive
    assert np.isnan(campaign.difference_interval([37.0], [37.1], sd=np.nan, dof=0)["low"])
