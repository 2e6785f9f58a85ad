"""A hostile-but-realistic user: every bad input ends in ONE clear line on stderr, exit code 1,
no traceback, and the inputs untouched (no file added, removed or changed).

Each case builds its bad input in ``tmp_path`` (or uses the module's small world: a tiny x2
checkpoint, an image, a synthetic data root) and runs the CLI in-process (``srlib.cli.main``, the
same code as ``python -m srlib``); a few subprocess tests check the real interpreter (BrokenPipe,
``--debug``). Nothing here reaches the internet.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

from srlib.cli import main
from srlib.data import save_image
from srlib.models import build_model
from srlib.training.checkpoint import save_weights
from srlib.training.lock import LOCK_NAME

from _training_helpers import make_data_root, smooth_image, one_thread_per_module  # noqa: F401 (autouse fixture)

X2_KWARGS = {"scale": 2, "channels": 8, "blocks_per_level": [1], "hr_blocks": [1], "image_skip": "bicubic"}


def _weights(path: Path, meta: dict | None = None, model: str = "csrcnn", **kwargs) -> Path:
    kwargs = kwargs or X2_KWARGS
    torch.manual_seed(0)
    net = build_model(model, **kwargs)
    base = {"model": model, "model_kwargs": kwargs, "scale": kwargs["scale"], "step": 0, "fade_alpha": 1.0}
    save_weights(path, net.state_dict(), base if meta is None else meta)
    return path


@dataclass
class World:
    root: Path
    ckpt: Path
    image: Path
    data: Path
    live_pid: int

    def train(self, tmp: Path, *extra: str, out: Path | None = None) -> list[str]:
        return ["train", "--profile", "smoke", "--scale", "2", "--out", str(out or tmp / "run"),
                "--train-sets", str(self.data / "train" / "mine"), "--data-dir", str(self.data),
                "--cache-dir", str(tmp / "cache"), "--threads", "1", "--progress", "false", *extra]

    def upscale(self, *extra: str, image: Path | None = None, weights: Path | None = None) -> list[str]:
        return ["upscale", str(image or self.image), "--weights", str(weights or self.ckpt), "--quiet", *extra]

    def evaluate(self, *extra: str, method: str = "bicubic", data: Path | None = None) -> list[str]:
        return ["evaluate", method, "--scale", "2", "--data-dir", str(data or self.data), "--quiet", *extra]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("world")
    ckpt = _weights(root / "x2.safetensors")
    image = save_image(root / "photo.png", smooth_image(np.random.default_rng(0), 12, 10))
    data = make_data_root(root / "data", n_train=2)
    sleeper = subprocess.Popen(["sleep", "120"])  # a live process that "holds" a run folder
    yield World(root, ckpt, image, data, sleeper.pid)
    sleeper.kill()
    sleeper.wait()


def _snapshot(*folders: Path) -> dict[str, str]:
    out = {}
    for folder in folders:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _copy(src: Path, dst: Path, keep: int | None = None, data: bytes | None = None) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(data if data is not None else src.read_bytes()[:keep])
    return dst


def _png16(path: Path) -> Path:
    Image.fromarray(np.full((16, 16), 40000, np.uint16)).save(path)
    return path


def _bomb(path: Path) -> Path:
    """A PNG whose header declares 12000 x 12000 pixels (144 M, over Pillow's limit): a tiny PNG with
    its IHDR size rewritten (and its CRC fixed), as a decompression bomb presents itself."""
    import io
    import struct
    import zlib

    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    ihdr = 8  # after the signature: length (4), b"IHDR" (4), width (4), height (4), ...
    data[ihdr + 8:ihdr + 16] = struct.pack(">II", 12000, 12000)
    data[ihdr + 21:ihdr + 25] = struct.pack(">I", zlib.crc32(bytes(data[ihdr + 4:ihdr + 21])))
    path.write_bytes(bytes(data))
    return path


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _corrupt_set5(world: World, tmp: Path, how: str) -> Path:
    data = tmp / "data"
    shutil.copytree(world.data / "benchmark", data / "benchmark")
    folder = data / "benchmark" / "Set5" / "HR"
    if how == "extra":
        save_image(folder / "s5.png", smooth_image(np.random.default_rng(1), 48, 40))
    elif how == "truncated":
        (folder / "s2.png").write_bytes((folder / "s2.png").read_bytes()[:60])
    elif how == "tiny":
        save_image(folder / "s3.png", smooth_image(np.random.default_rng(1), 5, 40))
    elif how == "missing":
        (folder / "s4.png").unlink()
    return data


# --------------------------------------------------------------------------------------------
# The cases: name -> builder(world, tmp, monkeypatch) -> (argv, words the one line must contain).
# --------------------------------------------------------------------------------------------
def _cases():
    W = World  # noqa: N806 (readability of the table below)
    c = {}
    # ---- upscale: weights
    c["weights-truncated-header"] = lambda w, t, m: (
        w.upscale("-o", str(t / "o.png"), weights=_copy(w.ckpt, t / "a.safetensors", keep=40)),
        ["a.safetensors", "not a valid safetensors checkpoint"])
    c["weights-truncated-data"] = lambda w, t, m: (
        w.upscale("-o", str(t / "o.png"), weights=_copy(w.ckpt, t / "a.safetensors", keep=w.ckpt.stat().st_size // 2)),
        ["a.safetensors", "not a valid", "copy it again"])
    c["weights-empty"] = lambda w, t, m: (
        w.upscale("-o", str(t / "o.png"), weights=_copy(w.ckpt, t / "a.safetensors", data=b"")), ["a.safetensors"])
    c["weights-random-bytes"] = lambda w, t, m: (
        w.upscale("-o", str(t / "o.png"), weights=_copy(w.ckpt, t / "a.safetensors", data=os.urandom(4096))),
        ["a.safetensors", "not a valid"])
    c["weights-are-a-png"] = lambda w, t, m: (
        w.upscale("-o", str(t / "o.png"), weights=_copy(w.image, t / "a.safetensors")), ["a.safetensors"])
    c["weights-foreign-safetensors"] = lambda w, t, m: (
        w.upscale("-o", str(t / "o.png"), weights=(save_file({"w": torch.zeros(3)}, str(t / "f.safetensors")),
                                                   t / "f.safetensors")[1]),
        ["f.safetensors", "no srlib model description"])
    c["weights-unknown-model"] = lambda w, t, m: (
        w.upscale("-o", str(t / "o.png"), weights=_weights(t / "u.safetensors", {"model": "nosuchnet",
                                                                                 "model_kwargs": {"scale": 2}})),
        ["u.safetensors", "nosuchnet"])
    c["weights-bad-model-kwargs"] = lambda w, t, m: (
        w.upscale("-o", str(t / "o.png"), weights=_weights(t / "k.safetensors", {
            "model": "csrcnn", "model_kwargs": {**X2_KWARGS, "wings": 3}})), ["k.safetensors", "wings"])
    c["weights-tensors-do-not-match"] = lambda w, t, m: (
        w.upscale("-o", str(t / "o.png"), weights=_weights(t / "s.safetensors", {
            "model": "csrcnn", "model_kwargs": {**X2_KWARGS, "channels": 16}})),
        ["s.safetensors", "tensors do not match"])
    c["weights-kwargs-not-a-dict"] = lambda w, t, m: (
        w.upscale("-o", str(t / "o.png"), weights=_weights(t / "d.safetensors", {"model": "csrcnn",
                                                                                 "model_kwargs": "scale=2"})),
        ["d.safetensors"])
    c["weights-missing"] = lambda w, t, m: (w.upscale(weights=t / "nothere.safetensors"),
                                            ["checkpoint not found", "nothere.safetensors"])
    c["weights-empty-run-folder"] = lambda w, t, m: (
        w.upscale(weights=(t / "run").mkdir() or t / "run"), ["no final.safetensors"])
    # ---- upscale: input image
    c["input-missing"] = lambda w, t, m: (w.upscale(image=t / "nope.png"), ["nope.png", "not found"])
    c["input-is-a-folder"] = lambda w, t, m: (w.upscale(image=t), [str(t)])
    c["input-empty"] = lambda w, t, m: (w.upscale(image=_copy(w.image, t / "e.png", data=b"")), ["e.png", "empty"])
    c["input-truncated-png"] = lambda w, t, m: (w.upscale(image=_copy(w.image, t / "tr.png", keep=80)),
                                                ["tr.png", "corrupt/truncated"])
    c["input-text-file"] = lambda w, t, m: (w.upscale(image=_copy(w.image, t / "x.png", data=b"hello\n" * 20)),
                                            ["x.png", "not a readable image"])
    c["input-16-bit"] = lambda w, t, m: (w.upscale(image=_png16(t / "deep.png")), ["deep.png", "8-bit"])
    c["input-decompression-bomb"] = lambda w, t, m: (w.upscale(image=_bomb(t / "bomb.png")),
                                                     ["bomb.png", "decompression bomb"])
    # ---- upscale: output
    c["output-is-the-input"] = lambda w, t, m: (
        w.upscale("-o", str(_copy(w.image, t / "in.png")), image=t / "in.png"), ["refusing to overwrite the input"])
    c["output-is-the-input-with-force"] = lambda w, t, m: (
        w.upscale("-o", str(_copy(w.image, t / "in.png")), "--force", image=t / "in.png"),
        ["refusing to overwrite the input"])
    c["output-is-the-input-via-symlink"] = lambda w, t, m: (
        w.upscale("-o", str((t / "link.png").symlink_to(w.image) or t / "link.png")), ["overwrite the input"])
    c["output-exists"] = lambda w, t, m: (
        w.upscale("-o", str(_copy(w.image, t / "old.png"))), ["old.png exists", "--force"])
    c["output-is-a-folder"] = lambda w, t, m: (w.upscale("-o", str((t / "d.png").mkdir() or t / "d.png")),
                                               ["is a folder"])
    c["output-under-a-file"] = lambda w, t, m: (
        w.upscale("-o", str(_copy(w.image, t / "f") / "o.png")), ["cannot write into", "in the way"])
    c["output-unwritable"] = _unwritable_output
    c["output-unknown-suffix"] = lambda w, t, m: (w.upscale("-o", str(t / "o.xyz")), ["o.xyz", ".png"])
    c["output-disk-full"] = _disk_full_output
    # ---- upscale: options
    c["upscale-scale-not-produced"] = lambda w, t, m: (w.upscale("--scale", "4", "-o", str(t / "o.png")),
                                                       ["x2 network", "cannot give x4"])
    c["upscale-scale-zero"] = lambda w, t, m: (w.upscale("--scale", "0"), ["--scale"])
    c["upscale-scale-negative"] = lambda w, t, m: (w.upscale("--scale", "-2"), ["--scale"])
    c["upscale-tile-negative"] = lambda w, t, m: (w.upscale("--tile", "-8"), ["--tile"])
    c["upscale-overlap-negative"] = lambda w, t, m: (w.upscale("--overlap", "-1"), ["--overlap"])
    c["upscale-device-bogus"] = lambda w, t, m: (w.upscale("--device", "bogus", "-o", str(t / "o.png")), ["bogus"])
    if not torch.cuda.is_available():
        c["upscale-device-cuda-absent"] = lambda w, t, m: (w.upscale("--device", "cuda", "-o", str(t / "o.png")),
                                                           ["CUDA is not available"])
    # ---- evaluate
    c["evaluate-unknown-dataset"] = lambda w, t, m: (w.evaluate("--dataset", "Set6"), ["unknown dataset", "Set5"])
    c["evaluate-training-set"] = lambda w, t, m: (w.evaluate("--dataset", "T91"), ["T91 is a training set"])
    c["evaluate-missing-dataset"] = lambda w, t, m: (w.evaluate("--dataset", "Manga109"), ["Manga109 is missing"])
    c["evaluate-missing-data-root"] = lambda w, t, m: (w.evaluate("--dataset", "Set5", data=t / "nowhere"),
                                                       ["Set5 is missing", "nowhere"])
    c["evaluate-limit-zero"] = lambda w, t, m: (w.evaluate("--dataset", "Set5", "--limit", "0"), ["limit"])
    c["evaluate-limit-negative"] = lambda w, t, m: (w.evaluate("--dataset", "Set5", "--limit", "-3"), ["limit"])
    c["evaluate-extra-image"] = lambda w, t, m: (
        w.evaluate("--dataset", "Set5", data=_corrupt_set5(w, t, "extra")), ["6 images, 5 expected"])
    c["evaluate-missing-image"] = lambda w, t, m: (
        w.evaluate("--dataset", "Set5", data=_corrupt_set5(w, t, "missing")), ["4 of 5"])
    c["evaluate-truncated-image"] = lambda w, t, m: (
        w.evaluate("--dataset", "Set5", data=_corrupt_set5(w, t, "truncated")), ["s2.png", "truncated"])
    c["evaluate-too-small-image"] = lambda w, t, m: (
        w.evaluate("--dataset", "Set5", data=_corrupt_set5(w, t, "tiny")), ["s3.png", "40x5", "too small"])
    c["evaluate-truncated-checkpoint"] = lambda w, t, m: (
        w.evaluate("--dataset", "Set5", method=str(_copy(w.ckpt, t / "c.safetensors", keep=100))),
        ["c.safetensors", "not a valid"])
    c["evaluate-method-not-a-file"] = lambda w, t, m: (w.evaluate("--dataset", "Set5", method="bicubik"),
                                                       ["bicubik"])
    # ---- train: names and data
    c["train-unknown-val-set"] = lambda w, t, m: (w.train(t, "--val-sets", "Foo"), ["unknown dataset 'Foo'"])
    c["train-val-set-is-training-set"] = lambda w, t, m: (w.train(t, "--val-sets", "T91"), ["T91 is a training set"])
    c["train-val-set-missing"] = lambda w, t, m: (w.train(t, "--val-sets", "Set14"), ["Set14 is missing"])
    c["train-unknown-train-set"] = lambda w, t, m: (w.train(t, "--train-sets", "Foo"), ["'Foo'", "neither"])
    c["train-on-a-benchmark"] = lambda w, t, m: (w.train(t, "--train-sets", "Set5"), ["leak"])
    c["train-empty-train-folder"] = lambda w, t, m: (
        w.train(t, "--train-sets", str((t / "empty").mkdir() or t / "empty")), ["has no images"])
    # ---- train: numbers
    c["train-steps-zero"] = lambda w, t, m: (w.train(t, "--steps", "0"), ["steps must be a positive integer"])
    c["train-batch-zero"] = lambda w, t, m: (w.train(t, "--batch-size", "0"), ["batch_size"])
    c["train-patch-negative"] = lambda w, t, m: (w.train(t, "--patch-size", "-4"), ["patch_size"])
    c["train-lr-negative"] = lambda w, t, m: (w.train(t, "--lr", "-1"), ["lr must be positive"])
    c["train-scale-three"] = lambda w, t, m: (w.train(t, "--scale", "3"), ["scale must be 2, 4 or 8"])
    c["train-aug-scale-zero"] = lambda w, t, m: (w.train(t, "--aug-scales", "0"), ["aug_scales"])
    c["train-unknown-model"] = lambda w, t, m: (w.train(t, "--val-every", "-1", "--model", "bogusnet"),
                                                ["unknown model 'bogusnet'", "csrcnn"])
    c["train-bad-model-option"] = lambda w, t, m: (
        w.train(t, "--val-every", "-1", "--model", "srcnn", "--model-options", '{"wings": 2}'), ["'srcnn'", "wings"])
    # ---- train: files
    c["train-config-missing"] = lambda w, t, m: (w.train(t, "--config", str(t / "no.json")), ["no.json", "not found"])
    c["train-config-truncated"] = lambda w, t, m: (
        w.train(t, "--config", str(_copy(w.image, t / "c.json", data=b'{"scale": 2, "chan'))),
        ["c.json", "not a valid training config", "--profile"])
    c["train-config-not-an-object"] = lambda w, t, m: (
        w.train(t, "--config", str(_copy(w.image, t / "c.json", data=b"[1, 2]"))), ["c.json", "JSON object"])
    c["train-resume-truncated-config"] = lambda w, t, m: (
        ["train", "--out", str(_copy(w.image, t / "run" / "config.json", data=b'{"train_config": {').parent),
         "--resume"], ["config.json", "not a valid training config"])
    c["train-init-truncated"] = lambda w, t, m: (
        w.train(t, "--init", str(_copy(w.ckpt, t / "i.safetensors", keep=300))), ["i.safetensors", "not a valid"])
    c["train-init-missing"] = lambda w, t, m: (w.train(t, "--init", str(t / "none.safetensors")),
                                               ["none.safetensors", "not found"])
    c["train-out-under-a-file"] = lambda w, t, m: (w.train(t, out=_copy(w.image, t / "f") / "run"),
                                                   ["cannot create the run folder", "not a folder"])
    c["train-cache-dir-under-a-file"] = lambda w, t, m: (
        w.train(t, "--val-every", "-1", "--cache-dir", str(_copy(w.image, t / "f") / "cache")),
        ["cannot write the training cache into"])
    c["train-run-locked"] = lambda w, t, m: (
        w.train(t, out=_lock(t / "run", w.live_pid)), [f"process {w.live_pid}", "another --out"])
    c["train-resume-corrupt-state"] = lambda w, t, m: (w.train(t, "--resume", out=_broken_run(t / "run")),
                                                       ["state.pt", "not a valid training state"])
    # ---- profile
    c["profile-unknown-model"] = lambda w, t, m: (["profile", "--models", "bogus", "--quiet"],
                                                  ["unknown model(s) 'bogus'", "csrcnn"])
    c["profile-one-unknown-among-good"] = lambda w, t, m: (["profile", "--models", "srcnn", "bogus2", "--quiet"],
                                                           ["'bogus2'"])
    c["profile-size-zero"] = lambda w, t, m: (["profile", "--models", "srcnn", "--size", "0"], ["--size", ">= 1"])
    c["profile-size-negative"] = lambda w, t, m: (["profile", "--models", "srcnn", "--size", "-5"], ["--size"])
    c["profile-repeats-zero"] = lambda w, t, m: (["profile", "--models", "srcnn", "--repeats", "0"], ["--repeats"])
    c["profile-warmup-negative"] = lambda w, t, m: (["profile", "--models", "srcnn", "--warmup", "-1"],
                                                    ["--warmup"])
    c["profile-scale-five"] = lambda w, t, m: (["profile", "--models", "srcnn", "--scales", "5"], ["--scales"])
    c["profile-threads-zero"] = lambda w, t, m: (["profile", "--models", "srcnn", "--threads", "0"], ["--threads"])
    c["profile-max-seconds-zero"] = lambda w, t, m: (["profile", "--models", "srcnn", "--max-seconds", "0"],
                                                     ["--max-seconds"])
    c["profile-output-under-a-file"] = lambda w, t, m: (
        ["profile", "--models", "srcnn", "-o", str(_copy(w.image, t / "f") / "x.csv")], ["cannot write into"])
    # ---- data
    c["data-check-empty-root"] = lambda w, t, m: (["data", "check", "--data-dir", str(t), "--datasets", "Set5",
                                                   "--quiet"], ["25 of 25 files", "data fetch"])
    c["data-check-unknown-dataset"] = lambda w, t, m: (["data", "check", "--datasets", "Set6"], ["unknown dataset"])
    c["data-fetch-manga109-not-downloadable"] = lambda w, t, m: (
        ["data", "fetch", "--datasets", "Manga109", "--data-dir", str(t)], ["Manga109 is not in the download manifest",
                                                                            "manga109.org"])
    c["data-fetch-timeout-zero"] = lambda w, t, m: (["data", "fetch", "--timeout", "0", "--data-dir", str(t)],
                                                    ["--timeout"])
    c["data-fetch-retries-negative"] = lambda w, t, m: (["data", "fetch", "--retries", "-1", "--data-dir", str(t)],
                                                        ["--retries"])
    del W
    return c


def _unwritable_output(w: World, t: Path, m) -> tuple[list[str], list[str]]:
    # Root ignores file modes, so a folder that refuses writes is simulated at the probe.
    def refuse(self, data):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    m.setattr(Path, "write_bytes", refuse)
    return w.upscale("-o", str(t / "o.png")), ["cannot write into", "no permission"]


def _disk_full_output(w: World, t: Path, m) -> tuple[list[str], list[str]]:
    import srlib.files

    m.setattr(srlib.files.os, "fsync", _enospc)  # the bytes are written, then the disk is full
    return w.upscale("-o", str(t / "o.png")), ["o.png", "No space left", "disk is full"]


def _lock(run: Path, pid: int) -> Path:
    run.mkdir(parents=True)
    (run / LOCK_NAME).write_text(json.dumps({"pid": pid, "host": socket.gethostname(), "started": "earlier"}))
    return run


def _broken_run(run: Path) -> Path:
    """A run folder whose newest training state is garbage (its weights are fine)."""
    ck = run / "checkpoints"
    ck.mkdir(parents=True)
    (ck / "step_00000010.safetensors").write_bytes(b"weights")
    (ck / "step_00000010.state.pt").write_bytes(b"PK\x03\x04 not a zip")
    return run


CASES = _cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input_ends_in_one_clear_line(name, world, tmp_path, monkeypatch, capsys):
    argv, needles = CASES[name](world, tmp_path, monkeypatch)
    before = _snapshot(world.root, tmp_path)
    code = main(argv)
    out, err = capsys.readouterr()
    monkeypatch.undo()
    lines = err.splitlines()
    assert code == 1, (code, err)
    assert len(lines) == 1, err
    assert lines[0].startswith(f"srlib {argv[0]}: error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert "Traceback" not in err and "a bug?" not in lines[0]  # a known failure, not the catch-all
    assert _snapshot(world.root, tmp_path) == before  # nothing added, removed or changed


def test_there_are_at_least_60_cases():
    assert len(CASES) >= 60


# --------------------------------------------------------------------------------------------
# Cases that need more than one command or a look inside afterwards.
# --------------------------------------------------------------------------------------------
def test_a_stale_lock_of_a_dead_process_is_taken_over_and_stray_temporaries_removed(world, tmp_path, capsys):
    dead = subprocess.Popen(["true"])
    dead.wait()
    run = _lock(tmp_path / "run", dead.pid)
    stray = run / ".log.csv.0123abcd.tmp"  # what a writer killed inside atomic_write leaves
    stray.write_bytes(b"half")
    assert main(world.train(tmp_path, "--steps", "2", "--val-every", "-1", out=run)) == 0
    assert (run / "final.safetensors").is_file() and not (run / LOCK_NAME).exists() and not stray.exists()


def test_the_lock_is_released_when_training_fails(world, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(world.train(tmp_path, "--val-sets", "Foo", out=run)) == 1
    assert not (run / LOCK_NAME).exists()


def test_full_disk_while_saving_a_checkpoint_corrupts_nothing(world, tmp_path, monkeypatch, capsys):
    real_fsync = os.fsync

    def fsync(fd):
        if "step_" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    run = tmp_path / "run"
    assert main(world.train(tmp_path, "--val-every", "-1", out=run)) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "step_00000010.safetensors" in err[0] and "disk is full" in err[0]
    leftovers = [p.name for p in run.rglob("*") if p.is_file()]
    assert sorted(leftovers) == ["config.json", "log.csv"]  # no temporary file, no half checkpoint, no lock


def test_val_sets_checked_before_any_training_step(world, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(world.train(tmp_path, "--val-sets", "Set5,Foo", out=run)) == 1
    assert "unknown dataset 'Foo'" in capsys.readouterr().err
    assert not (tmp_path / "cache").exists() and not any(p.is_file() for p in run.rglob("*"))


def test_upscale_with_force_replaces_an_existing_output(world, tmp_path, capsys):
    out = _copy(world.image, tmp_path / "old.png")
    assert main(world.upscale("-o", str(out), "--force")) == 0
    assert Image.open(out).size == (20, 24)


def _run_cli(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), **(env or {})}
    return subprocess.run([sys.executable, "-m", "srlib", *args], capture_output=True, text=True, env=env,
                          timeout=120, **kw)


def test_real_interpreter_prints_one_line(world, tmp_path):
    """`python -m srlib` itself (not only main()): nothing else reaches stderr (no warning, no traceback)."""
    bad = _copy(world.ckpt, tmp_path / "a.safetensors", keep=40)
    proc = _run_cli("upscale", str(world.image), "--weights", str(bad), "--quiet")
    assert proc.returncode == 1 and len(proc.stderr.splitlines()) == 1 and "a.safetensors" in proc.stderr


@pytest.mark.parametrize("how", ["--debug after the command", "--debug before it", "SRLIB_DEBUG=1"])
def test_debug_shows_the_traceback(world, tmp_path, monkeypatch, capsys, how):
    bad = _copy(world.ckpt, tmp_path / "a.safetensors", keep=40)
    argv = ["upscale", str(world.image), "--weights", str(bad), "--quiet"]
    if how == "--debug after the command":
        argv.append("--debug")
    elif how == "--debug before it":
        argv.insert(0, "--debug")
    else:
        monkeypatch.setenv("SRLIB_DEBUG", "1")
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "CheckpointFormatError" in err and err.splitlines()[-1].startswith("srlib upscale")


def test_output_piped_into_a_closed_pipe_is_not_an_error(world):
    """`srlib evaluate ... | head -n 1`: the reader is gone before we write; exit 0, nothing on stderr."""
    code = ("import os, sys; r, w = os.pipe(); os.close(r); os.dup2(w, 1); from srlib.cli import main; "
            f"sys.exit(main(['evaluate', 'bicubic', '--dataset', 'Set5', '--scale', '2', '--format', 'csv', "
            f"'--quiet', '--data-dir', {str(world.data)!r}]))")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def test_ctrl_c_saves_and_exits_quietly_with_the_resume_command(world, tmp_path, monkeypatch, capsys):
    import srlib.training.loop as loop  # the training loop's step reads the schedule from there

    real_lr_at = loop.lr_at

    def lr_at(config, step):
        if step == 5:
            raise KeyboardInterrupt
        return real_lr_at(config, step)

    monkeypatch.setattr(loop, "lr_at", lr_at)
    run = tmp_path / "run"
    assert main(world.train(tmp_path, "--val-every", "-1", out=run)) == 130
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and f"python -m srlib train --out {run} --resume" in err[0]
    assert json.loads((run / "latest.json").read_text())["step"] == 5 and not (run / LOCK_NAME).exists()
    monkeypatch.undo()
    assert main(["train", "--out", str(run), "--resume"]) == 0
    assert (run / "final.safetensors").is_file()


def test_library_errors_cross_process_boundaries():
    """A cache-building worker's ImageLoadError must reach the parent as itself, not as a pickling error."""
    import pickle

    from srlib.data import DatasetNotFoundError, ImageLoadError, dataset_spec
    from srlib.errors import CheckpointFormatError, OutputError, SrlibError, UnknownNameError

    for err in [ImageLoadError("a.png", "truncated"), CheckpointFormatError("w.safetensors", "x", "y", "z"),
                UnknownNameError("unknown dataset 'Foo'"), OutputError("cannot write x"),
                DatasetNotFoundError(dataset_spec("Set5"), Path("/r"), 3)]:
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and str(back) == str(err) and isinstance(back, SrlibError)


def test_stale_cache_builds_are_removed_and_running_ones_kept(tmp_path):
    """A killed cache build leaves ``<entry>.tmp-*``; the next build removes it once it is stale."""
    import os
    import time

    from srlib.training.cache import STALE_TMP_SECONDS, remove_stale_tmp

    target = tmp_path / "cache-entry"
    stale, running = tmp_path / "cache-entry.tmp-aaaa", tmp_path / "cache-entry.tmp-bbbb"
    for folder in (stale, running):
        folder.mkdir()
        (folder / "pyr1.npy").write_bytes(b"x")
    old = time.time() - STALE_TMP_SECONDS - 60
    for path in (stale / "pyr1.npy", stale):
        os.utime(path, (old, old))
    assert remove_stale_tmp(target) == [stale]
    assert not stale.exists() and running.is_dir()
    # a build named by its process: removed at once when that process is gone, kept while it runs
    import subprocess
    import sys

    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    killed, alive = (tmp_path / f"cache-entry.tmp-{pid}-cccc" for pid in (int(ended.stdout), os.getpid()))
    for folder in (killed, alive):
        folder.mkdir()
    assert remove_stale_tmp(target) == [killed] and alive.is_dir()
