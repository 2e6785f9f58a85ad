"""The training engine on tiny synthetic data: loss falls, exact resume after a kill, refusal of a
mismatched checkpoint, NaN stop, curriculum stages with fade-in, validation log, the CLI."""
from __future__ import annotations

import csv
import json

import pytest
import torch
import torch.nn as nn

import srlib.training.loop as loop
from srlib.cli import main as cli_main
from srlib.inference import load_checkpoint
from srlib.models.parameters import model_input_channels
from srlib.training import CheckpointMismatchError, TrainingDivergedError, TrainingSet, train, train_curriculum
from srlib.training.checkpoint import latest_checkpoint, load_state

from _training_helpers import make_data_root, tiny_config, one_thread_per_module  # noqa: F401 (autouse fixture)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return make_data_root(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def data(root):
    cfg = tiny_config(root)
    return TrainingSet.from_config(cfg)


def _rows(run):
    with open(run / "log.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_smoke_run_loss_falls_and_writes_the_run(root, data, tmp_path):
    cfg = tiny_config(root, steps=30, log_every=5, ckpt_every=10, val_every=15)
    res = train(cfg, tmp_path / "run", data=data)
    rows = _rows(tmp_path / "run")
    losses = [float(r["loss"]) for r in rows]
    assert losses[-1] < 0.6 * losses[0], losses
    assert [int(r["step"]) for r in rows] == [5, 10, 15, 20, 25, 30]
    val = [r for r in rows if r["psnr"]]
    assert [int(r["step"]) for r in val] == [15, 30] and float(val[-1]["psnr"]) > 10
    assert set(rows[0]) >= {"step", "epoch", "loss", "lr", "psnr", "ssim", "wall_time"}
    assert res.status == "completed" and res.final_weights.is_file() and res.psnr == pytest.approx(float(val[-1]["psnr"]))
    # keep_checkpoints=2: steps 20 and 30 remain; the state loads with weights_only=True.
    assert sorted(p.name for p in (tmp_path / "run" / "checkpoints").glob("*.safetensors")) == [
        "step_00000020.safetensors", "step_00000030.safetensors"]
    state = load_state(latest_checkpoint(tmp_path / "run")[2])
    assert state["step"] == 30 and "optimizer" in state and "torch" in state["rng"]
    loaded = load_checkpoint(res.final_weights)
    assert loaded.scale == 2 and loaded.name == "csrcnn"
    for k, v in res.model.state_dict().items():
        assert torch.equal(loaded.model.model.state_dict()[k], v)
    # A second run into the same directory is refused unless resumed.
    with pytest.raises(FileExistsError, match="resume"):
        train(cfg, tmp_path / "run", data=data)


def test_resume_after_kill_reproduces_the_uninterrupted_run(root, data, tmp_path):
    cfg = tiny_config(root, steps=8, ckpt_every=2, keep_checkpoints=5, log_every=1, loss_schedule="l1_then_alternate",
                      l1_fraction=0.5, alternate_every=1, lr_schedule="step", lr_milestones=(0.5,))
    full = train(cfg, tmp_path / "full", data=data)
    killed = train(cfg, tmp_path / "killed", data=data, stop_at=5)  # dies after step 5, last checkpoint 4
    assert killed.status == "killed" and latest_checkpoint(tmp_path / "killed")[0] == 4
    resumed = train(cfg, tmp_path / "killed", data=data, resume=True)
    assert resumed.step == 8
    a, b = full.model.state_dict(), resumed.model.state_dict()
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    sa = load_state(latest_checkpoint(tmp_path / "full")[2])["optimizer"]["state"]
    sb = load_state(latest_checkpoint(tmp_path / "killed")[2])["optimizer"]["state"]
    assert all(torch.equal(sa[i]["exp_avg_sq"], sb[i]["exp_avg_sq"]) for i in sa)
    # The log lost the rows after the checkpoint and has them once, again.
    assert [int(r["step"]) for r in _rows(tmp_path / "killed")] == list(range(1, 9))
    assert [r["loss"] for r in _rows(tmp_path / "killed")] == [r["loss"] for r in _rows(tmp_path / "full")]


def test_a_resumed_run_logs_the_same_losses_when_checkpoints_fall_between_log_rows(root, data, tmp_path):
    cfg = tiny_config(root, steps=9, ckpt_every=2, keep_checkpoints=5, log_every=3, loss_schedule="l1")
    train(cfg, tmp_path / "full", data=data)
    train(cfg, tmp_path / "killed", data=data, stop_at=5)  # last checkpoint at step 4, between rows 3 and 6
    train(cfg, tmp_path / "killed", data=data, resume=True)
    assert [r["loss"] for r in _rows(tmp_path / "killed")] == [r["loss"] for r in _rows(tmp_path / "full")]


def test_mismatched_checkpoint_is_refused_naming_the_fields(root, data, tmp_path):
    cfg = tiny_config(root, steps=4, ckpt_every=2)
    train(cfg, tmp_path / "run", data=data, stop_at=3)
    with pytest.raises(CheckpointMismatchError) as err:
        train(cfg.replace(lr=0.5, channels=12), tmp_path / "run", data=data, resume=True)
    msg = str(err.value)
    assert "lr: 0.001 in the checkpoint, 0.5 now" in msg and "channels: 8 in the checkpoint, 12 now" in msg
    # Runtime fields may differ (e.g. validation, threads, device).
    res = train(cfg.replace(val_every=-1, log_every=1), tmp_path / "run", data=data, resume=True)
    assert res.step == 4


class _NaNAfter(nn.Module):
    """Wraps a model; its output turns NaN from the ``after``-th training forward on."""

    def __init__(self, model, after):
        super().__init__()
        self.model, self.after, self.calls = model, after, 0

    def forward(self, x):
        out = self.model(x)
        if self.training:
            self.calls += 1
            if self.calls > self.after:
                return [o * float("nan") for o in out]
        return out


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(root, data, tmp_path, monkeypatch):
    real = loop.build_model
    monkeypatch.setattr(loop, "build_model", lambda name, **kw: _NaNAfter(real(name, **kw), after=5))
    cfg = tiny_config(root, steps=10, ckpt_every=2)
    with pytest.raises(TrainingDivergedError, match=r"loss is nan at step 6.*step_00000004\.safetensors"):
        train(cfg, tmp_path / "run", data=data)
    step, weights, _ = latest_checkpoint(tmp_path / "run")
    assert step == 4 and weights.is_file()
    assert not (tmp_path / "run" / "final.safetensors").exists()
    assert torch.isfinite(next(iter(load_state(latest_checkpoint(tmp_path / "run")[2])["optimizer"]["state"]
                                    .values()))["exp_avg"]).all()


def test_curriculum_stages_carry_weights_and_fade_in(root, data, tmp_path):
    cfg = tiny_config(root, scale=4, steps=6, fade_fraction=0.5, loss_levels="all", ckpt_every=3, log_every=1)
    with pytest.raises(ValueError, match="init"):
        train(cfg, tmp_path / "alone", data=data)
    results = train_curriculum(cfg, tmp_path / "c", data=data)
    assert [r.out_dir.name for r in results] == ["x2", "x4"]
    info = json.loads((tmp_path / "c" / "x4" / "config.json").read_text())
    assert info["new_levels"] == [1] and info["fade"] is True
    assert [float(r["alpha"]) for r in _rows(tmp_path / "c" / "x4")] == pytest.approx([0, 1 / 3, 2 / 3, 1, 1, 1], abs=1e-4)
    # The x4 stage started from x2's weights: with lr 0 its level 0 stays x2's.
    x2 = load_checkpoint(tmp_path / "c" / "x2").model.model.state_dict()
    still = train(cfg.replace(init=str(tmp_path / "c" / "x2" / "final.safetensors"), lr=1e-30, steps=2),
                  tmp_path / "x4-frozen", data=data)
    for k, v in x2.items():
        assert torch.allclose(still.model.state_dict()[k], v, atol=1e-6), k
    # A different architecture is refused, naming the field.
    with pytest.raises(CheckpointMismatchError, match="channels: 8 in the checkpoint, 16 now"):
        train(cfg.replace(init=str(tmp_path / "c" / "x2"), channels=16), tmp_path / "bad", data=data)
    # End to end (Table II Model2): no init needed.
    e2e = train(cfg.replace(variant="model2", curriculum="none", steps=2), tmp_path / "e2e", data=data)
    assert json.loads((tmp_path / "e2e" / "config.json").read_text())["fade"] is False and e2e.step == 2


def test_sgd_y_channel_fsrcnn_trains(root, data, tmp_path):
    cfg = tiny_config(root, scale=4, model="fsrcnn", model_options={"in_channels": 1, "d": 8, "s": 4, "m": 1},
                      optimizer="sgd", lr=1e-2, weight_decay=1e-4, grad_clip=0.4, steps=4, val_every=4)
    res = train(cfg, tmp_path / "fsrcnn", data=data)
    assert res.step == 4 and res.psnr > 5
    assert load_checkpoint(res.final_weights).kwargs["in_channels"] == 1


#: Every peer of Table VI at a tiny size (pre-upsampling networks included), for the league table.
TINY_PEERS = {"srcnn": {"n1": 8, "n2": 4}, "vdsr": {"depth": 3, "features": 8}, "drrn": {"features": 8, "units": 1},
              "drcn": {"features": 8, "recursions": 2}, "lapsrn": {"features": 8, "depth": 1},
              "edsr": {"features": 8, "blocks": 1}, "fsrcnn": {"d": 8, "s": 4, "m": 1}}


@pytest.mark.parametrize("model", sorted(TINY_PEERS))
def test_every_peer_trains_through_the_engine_and_evaluates_at_its_scale(model, root, data, tmp_path):
    cfg = tiny_config(root, scale=4, model=model, model_options=TINY_PEERS[model], steps=2, val_every=2,
                      batch_size=2)
    res = train(cfg, tmp_path / model, data=data)
    assert res.step == 2 and res.psnr > 5  # a pre-upsampling network gets its bicubic input, not the LR patch
    loaded = load_checkpoint(res.final_weights)
    with torch.no_grad():
        channels = model_input_channels(loaded.model.model)
        assert loaded.model(torch.rand(1, channels, 6, 7))[-1].shape[-2:] == (24, 28)


@pytest.mark.parametrize("model", ["vdsr", "srcnn"])
def test_the_train_command_trains_a_pre_upsampling_network(model, root, tmp_path, capsys):
    options = '{"depth": 3, "features": 8}' if model == "vdsr" else '{"n1": 8, "n2": 4}'
    args = ["train", "--model", model, "--model-options", options, "--profile", "smoke", "--scale", "4",
            "--out", str(tmp_path / model), "--train-sets", str(root / "train" / "mine"), "--data-dir", str(root),
            "--cache-dir", str(root / "cache"), "--steps", "2", "--val-every", "-1", "--threads", "1",
            "--progress", "false"]
    assert cli_main(args) == 0, capsys.readouterr().err
    assert "2 steps" in capsys.readouterr().out


def test_lapsrn_trains_with_its_loss_on_every_level(root, data, tmp_path, monkeypatch):
    seen = []
    original = loop.cascade_loss
    monkeypatch.setattr(loop, "cascade_loss", lambda o, t, k: seen.append((len(o), len(t))) or original(o, t, k))
    cfg = tiny_config(root, scale=4, model="lapsrn", model_options=TINY_PEERS["lapsrn"], steps=2, batch_size=2,
                      curriculum="none", loss_levels="all")
    train(cfg, tmp_path / "all", data=data)
    assert seen == [(2, 2), (2, 2)]  # x2 and x4 images, each against its own target
    seen.clear()
    train(cfg.replace(loss_levels="final"), tmp_path / "final", data=data)
    assert seen == [(1, 1), (1, 1)]


def test_a_pre_upsampling_network_sees_matlab_bicubic_input():
    from srlib.inference import FadeBlend
    from srlib.matlab import imresize
    from srlib.models import build_model

    net = build_model("vdsr", scale=2, depth=3, features=4)
    seen = {}
    net.body.register_forward_pre_hook(lambda module, args: seen.setdefault("x", args[0]))
    lr = torch.rand(1, 3, 5, 6, dtype=torch.float64)
    FadeBlend(net.double())(lr)
    expected = imresize(lr[0].permute(1, 2, 0).numpy(), 2.0)  # float in, float out: no rounding
    assert torch.allclose(seen["x"][0].permute(1, 2, 0), torch.from_numpy(expected), atol=1e-9)


def test_train_cli_and_resume_from_stored_config(root, tmp_path, capsys):
    out = tmp_path / "cli"
    args = ["train", "--profile", "smoke", "--scale", "2", "--out", str(out), "--train-sets",
            str(root / "train" / "mine"), "--data-dir", str(root), "--cache-dir", str(root / "cache"),
            "--steps", "4", "--ckpt-every", "2", "--val-every", "-1", "--threads", "1", "--progress", "false"]
    assert cli_main(args) == 0
    assert "4 steps" in capsys.readouterr().out
    assert cli_main(args) == 1  # exists: refused
    assert "--resume" in capsys.readouterr().err
    assert cli_main(["train", "--out", str(out), "--resume", "--progress", "false"]) == 0
    assert cli_main(["train", "--out", str(out), "--resume", "--lr", "0.1", "--progress", "false"]) == 1
    assert "lr: 0.001 in the checkpoint, 0.1 now" in capsys.readouterr().err


def test_dataloader_workers_give_the_same_run(root, data, tmp_path):
    cfg = tiny_config(root, steps=4, ckpt_every=4)
    a = train(cfg, tmp_path / "w0", data=data).model.state_dict()
    b = train(cfg.replace(workers=2), tmp_path / "w2", data=data).model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resuming_a_finished_run_keeps_its_results(root, data, tmp_path):
    cfg = tiny_config(root, steps=4, ckpt_every=2, val_every=4)
    first = train(cfg, tmp_path / "run", data=data)
    again = train(cfg, tmp_path / "run", data=data, resume=True)
    assert again.step == 4 and again.scores == first.scores and again.psnr > 5
    (tmp_path / "run" / "final.safetensors").unlink()  # killed before the final weights were written
    third = train(cfg, tmp_path / "run", data=data, resume=True)
    assert third.scores == first.scores and (tmp_path / "run" / "final.safetensors").is_file()


def test_in_memory_data_needs_no_training_sets_on_disk(root, data, tmp_path):
    # benchmarks/train_speed.py trains on synthetic arrays: the config's train_sets are not looked up.
    cfg = tiny_config(root, steps=2, train_sets=("T91",), data_root=str(tmp_path / "no-data"))
    assert train(cfg, tmp_path / "run", data=data).step == 2
