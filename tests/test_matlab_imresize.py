"""srlib.imresize against MATLAB's own output: every MATLAB-made LR file, bit for bit."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import srlib
from srlib.data import load_image
from srlib.matlab import imresize, imresize_torch, modcrop, quantize, resize_weights

# (dataset, scale, MATLAB code path that made the files): see the data folder's README.
LR_SETS = [("Set5", 2, "uint8"), ("Set5", 3, "uint8"), ("Set5", 4, "uint8"), ("Set5", 8, "double"),
           ("Set14", 2, "uint8"), ("Set14", 3, "uint8"), ("Set14", 4, "uint8")]


def _lr_cases(root):
    for dataset, scale, path in LR_SETS:
        for hr_path in sorted((root / "benchmark" / dataset / "HR").glob("*.png")):
            lr_path = root / "benchmark" / dataset / "LR_bicubic" / f"X{scale}" / f"{hr_path.stem}x{scale}.png"
            yield dataset, scale, path, hr_path, lr_path


def _matlab_lr(hr: np.ndarray, scale: int, path: str) -> np.ndarray:
    hr = modcrop(hr, scale)
    if path == "uint8":
        return imresize(hr, 1 / scale)
    # im2double -> imresize -> imwrite (one rounding at the end)
    return quantize(imresize(hr.astype(np.float64) / 255.0, 1 / scale))


def test_all_matlab_lr_files_are_reproduced_bit_exactly(data_root):
    checked, mismatched = 0, []
    for dataset, scale, path, hr_path, lr_path in _lr_cases(data_root):
        assert lr_path.is_file(), f"missing MATLAB LR file {lr_path}"
        ours = _matlab_lr(load_image(hr_path), scale, path)
        theirs = load_image(lr_path)
        checked += 1
        if ours.shape != theirs.shape or not np.array_equal(ours, theirs):
            mismatched.append(f"{dataset} x{scale} {hr_path.stem}")
    assert checked == 62, f"expected the 62 MATLAB LR files, found {checked}"
    assert not mismatched, f"not bit-exact: {mismatched}"


def test_uint8_path_rounds_after_each_pass(data_root):
    """A single final rounding is NOT MATLAB's uint8 result (the README's +-1 on ~10% of pixels)."""
    hr = modcrop(load_image(data_root / "benchmark/Set5/HR/butterfly.png"), 4)
    per_pass = imresize(hr, 0.25)
    once = quantize(imresize(hr.astype(np.float64), 0.25), data_range=255.0)
    differ = np.mean(per_pass != once)
    assert 0.01 < differ < 0.5


def test_package_level_function_is_the_matlab_one():
    assert srlib.imresize is imresize


def test_output_sizes_follow_matlab():
    img = np.zeros((255, 31, 3), np.uint8)
    assert imresize(img, 1 / 3).shape == (85, 11, 3)  # ceil(255/3) = 85 despite 1/3 in binary
    assert imresize(img, 2).shape == (510, 62, 3)
    assert imresize(np.zeros((5, 7)), output_shape=(10, 3)).shape == (10, 3)


def test_weights_are_normalised_and_indices_mirror_at_borders():
    weights, indices = resize_weights(10, 5, 0.5, True)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-12)
    assert indices.min() == 0 and indices.max() == 9
    # x2 up of a 4-sample row: output 1 sits at u = 0.75, taps at MATLAB positions -1, 0, 1, 2
    # (zero-weight taps removed) which symmetric padding maps to 0-based samples 1, 0, 0, 1.
    weights, indices = resize_weights(4, 8, 2.0, True)
    assert indices[0].tolist() == [1, 0, 0, 1]
    np.testing.assert_allclose(weights[0], [-0.0234375, 0.2265625, 0.8671875, -0.0703125])


def test_constant_image_stays_constant_both_paths():
    img = np.full((17, 23, 3), 77, np.uint8)
    assert np.all(imresize(img, 0.5) == 77)
    assert np.all(imresize(img, 3) == 77)
    np.testing.assert_allclose(imresize(img.astype(np.float64), 0.25), 77.0, atol=1e-9)


def test_float_path_returns_float64_unclipped():
    rng = np.random.default_rng(0)
    img = rng.random((20, 20))
    out = imresize(img, 2)
    assert out.dtype == np.float64
    assert out.min() < 0 or out.max() > 1  # cubic overshoot is kept, as in MATLAB's double path


@pytest.mark.parametrize("scale", [0.5, 0.25, 0.125, 2, 4, 8])
def test_torch_batch_version_agrees_with_numpy(scale):
    rng = np.random.default_rng(1)
    batch = rng.random((2, 3, 24, 40))
    ours = imresize_torch(torch.from_numpy(batch), scale).numpy()
    for n in range(2):
        ref = imresize(batch[n].transpose(1, 2, 0), scale).transpose(2, 0, 1)
        np.testing.assert_allclose(ours[n], ref, atol=1e-10)


def test_torch_version_float32_and_errors():
    x = torch.rand(1, 3, 16, 16)
    assert imresize_torch(x, 0.5).shape == (1, 3, 8, 8)
    with pytest.raises(TypeError):
        imresize_torch(torch.zeros(1, 1, 4, 4, dtype=torch.uint8), 0.5)


def test_bad_arguments_are_explained():
    with pytest.raises(TypeError, match="uint8 and floating"):
        imresize(np.zeros((4, 4), np.int32), 0.5)
    with pytest.raises(ValueError, match="scale must be positive"):
        imresize(np.zeros((4, 4)), -1)
    with pytest.raises(ValueError, match="H x W"):
        imresize(np.zeros(4), 2)
    with pytest.raises(ValueError, match="smaller than the scale"):
        modcrop(np.zeros((3, 9)), 4)
