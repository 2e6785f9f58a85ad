"""`upscale` writes tiles straight into a uint8 output: the same pixels as the float path, in a
fraction of the memory (the whole output is never held as float32 / float64)."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import torch

from srlib.inference import load_checkpoint, model_upscaler, run_tiled, upscale_image
from srlib.models import build_model
from srlib.training.checkpoint import save_weights

from _training_helpers import smooth_image, one_thread_per_module  # noqa: F401 (autouse fixture)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    kwargs = {"scale": 2, "channels": 8, "blocks_per_level": [1], "hr_blocks": [1], "image_skip": "bicubic"}
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ck") / "x2.safetensors"
    save_weights(path, build_model("csrcnn", **kwargs).state_dict(),
                 {"model": "csrcnn", "model_kwargs": kwargs, "scale": 2, "step": 0, "fade_alpha": 1.0})
    return load_checkpoint(path).model


def _float_path(model, img, tile):
    """The previous implementation: the whole output as float, then quantised (the reference)."""
    def run(planes):
        x = torch.from_numpy(np.ascontiguousarray(planes.transpose(2, 0, 1))).float()[None]
        with torch.inference_mode():
            y = run_tiled(lambda t: model(t)[0].float(), x, 2, tile=tile, overlap=24)
        return y[0].clamp(0, 1).permute(1, 2, 0).double().numpy()
    return upscale_image(img, 2, run, 3)


@pytest.mark.parametrize("channels", [3, 1, 4])
@pytest.mark.parametrize("tile", [0, 16])
def test_uint8_tiles_equal_the_float_path(model, channels, tile):
    rng = np.random.default_rng(channels)
    img = smooth_image(rng, 37, 29, channels)
    if channels == 4:
        img[..., 3] = rng.integers(0, 256, img.shape[:2])
    fast = model_upscaler(model, (2,), tile=tile)(img, 2)
    assert fast.shape == (74, 58, channels) and fast.dtype == np.uint8
    np.testing.assert_array_equal(fast, _float_path(model, img, tile))


def test_peak_memory_is_about_the_uint8_output(model):
    img = smooth_image(np.random.default_rng(0), 160, 160)
    out_bytes = 320 * 320 * 3
    up = model_upscaler(model, (2,), tile=32)
    peaks = {}
    for name, fn in {"uint8 tiles": lambda: up(img, 2), "float path": lambda: _float_path(model, img, 32)}.items():
        tracemalloc.start()
        fn()
        peaks[name] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peaks["uint8 tiles"] < 2 * out_bytes < peaks["float path"], peaks
