"""Inference: checkpoint loading, tiled == untiled, grey / RGBA / Y-channel handling, the upscale
and evaluate commands on a trained checkpoint."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from srlib.cli import main as cli_main
from srlib.data import load_image, save_image
from srlib.inference import (load_checkpoint, load_upscaler, model_upscaler, rgb_to_ycbcr, run_tiled,
                             ycbcr_to_rgb)
from srlib.matlab import imresize
from srlib.models import build_model
from srlib.training.checkpoint import save_weights

from _training_helpers import make_data_root, smooth_image, one_thread_per_module  # noqa: F401 (autouse fixture)


def _checkpoint(path, name="csrcnn", seed=0, extra_meta=None, **kwargs):
    torch.manual_seed(seed)
    model = build_model(name, **kwargs)
    save_weights(path, model.state_dict(), {"model": name, "model_kwargs": kwargs, "scale": kwargs["scale"],
                                            "step": 0, "fade_alpha": 1.0, **(extra_meta or {})})
    return path


@pytest.fixture(scope="module")
def x4(tmp_path_factory):
    return _checkpoint(tmp_path_factory.mktemp("ck") / "x4.safetensors", scale=4, channels=8,
                       blocks_per_level=[1, 1], hr_blocks=[1, 1], image_skip="bicubic")


def test_tiled_equals_untiled(x4):
    model = load_checkpoint(x4).model
    torch.manual_seed(1)
    x = torch.rand(1, 3, 44, 36)

    def fn(t):
        return model(t)[0]  # the x2 level

    with torch.inference_mode():
        whole = fn(x)
        tiled = run_tiled(fn, x, 2, tile=16, overlap=24)
        assert tiled.shape == whole.shape == (1, 3, 88, 72)
        assert (tiled - whole).abs().max() < 1e-4
        # Too little context shows at the seams: the overlap is what makes them equal.
        rough = run_tiled(fn, x, 2, tile=16, overlap=0)
        assert (rough - whole).abs().max() > 1e-3


def test_lower_levels_of_a_cascade_and_wrong_scales(x4, tmp_path):
    # A lower level is an output only where the training supervised it (loss_levels 'all').
    every_level = _checkpoint(tmp_path / "all.safetensors", extra_meta={"train_config": {"loss_levels": "all"}},
                              scale=4, channels=8, blocks_per_level=[1, 1], hr_blocks=[1, 1], image_skip="bicubic")
    up, name = load_upscaler(every_level, scale=2, device="cpu")
    lr = smooth_image(np.random.default_rng(0), 10, 12)
    assert up(lr, 2).shape == (20, 24, 3) and up(lr, 2).dtype == np.uint8
    assert name.startswith("csrcnn:")
    with pytest.raises(ValueError, match="x4 network.*cannot give x2"):
        load_upscaler(x4, scale=2)  # the last level only (loss_levels 'final', or no record of it)
    with pytest.raises(ValueError, match="x8"):
        load_upscaler(x4, scale=8)


def test_grey_rgba_and_y_models(x4, tmp_path):
    loaded = load_checkpoint(x4)
    up = model_upscaler(loaded.model, loaded.scales, tile=0)
    rng = np.random.default_rng(0)
    rgb = smooth_image(rng, 12, 10)
    grey = rgb[..., :1]
    out = up(grey, 4)
    assert out.shape == (48, 40, 1)
    # Grey = the colour model on the replicated image, channels averaged.
    colour = up(np.repeat(grey, 3, axis=2), 4).astype(float)
    assert np.abs(out[..., 0] - colour.mean(axis=2)).max() <= 1.0
    alpha = rng.integers(0, 256, (12, 10, 1), dtype=np.uint8)
    rgba = up(np.dstack([rgb, alpha]), 4)
    assert rgba.shape == (48, 40, 4)
    np.testing.assert_array_equal(rgba[..., 3], imresize(alpha, 4.0)[..., 0])
    np.testing.assert_array_equal(rgba[..., :3], up(rgb, 4))
    # A Y-channel model: Y through the network, CbCr by MATLAB bicubic.
    fy = load_checkpoint(_checkpoint(tmp_path / "fy.safetensors", "fsrcnn", scale=2, in_channels=1, d=8, s=4, m=1))
    yup = model_upscaler(fy.model, fy.scales, tile=0)
    assert yup(rgb, 2).shape == (24, 20, 3) and yup(grey, 2).shape == (24, 20, 1)
    ycc = rgb_to_ycbcr(rgb)
    np.testing.assert_allclose(ycbcr_to_rgb(ycc) * 255, rgb, atol=1e-9)


def test_upscale_cli_grey_and_rgba(x4, tmp_path, capsys):
    rng = np.random.default_rng(3)
    grey = tmp_path / "grey.png"
    save_image(grey, smooth_image(rng, 30, 26)[..., :1])
    assert cli_main(["upscale", str(grey), "--weights", str(x4), "--scale", "4", "-o", str(tmp_path / "g4.png"),
                     "--tile", "8", "--quiet"]) == 0
    assert load_image(tmp_path / "g4.png").shape == (120, 104, 1)
    rgba = tmp_path / "rgba.png"
    alpha = np.full((30, 26, 1), 255, np.uint8)
    alpha[:10] = 40
    save_image(rgba, np.dstack([smooth_image(rng, 30, 26), alpha]))
    assert cli_main(["upscale", str(rgba), "--weights", str(x4), "-o", str(tmp_path / "c4.png")]) == 0
    out = load_image(tmp_path / "c4.png", keep_alpha=True)
    assert out.shape == (120, 104, 4) and out[0, 0, 3] == 40 and out[-1, -1, 3] == 255
    assert "x4" not in capsys.readouterr().err


def test_evaluate_cli_on_a_checkpoint(x4, tmp_path, capsys):
    root = make_data_root(tmp_path / "data", n_train=1)
    assert cli_main(["evaluate", str(x4), "--dataset", "Set5", "--scale", "4", "--format", "json",
                     "--data-dir", str(root), "--device", "cpu", "--quiet"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["images"] == 5 and result["scale"] == 4 and np.isfinite(result["psnr"])
