"""PSNR on Y with the paper's conventions."""
from __future__ import annotations

import math

import numpy as np
import pytest

from srlib.metrics import evaluate_pair, luminance, psnr


def test_known_value_on_grey_images():
    hr = np.full((20, 20, 1), 100, np.uint8)
    sr = np.full((20, 20, 1), 110, np.uint8)  # MSE = 100 on the grey values
    assert psnr(sr, hr) == pytest.approx(10 * math.log10(255**2 / 100))


def test_rgb_goes_through_the_ycbcr_formula_unrounded():
    hr = np.zeros((8, 8, 3), np.uint8)
    sr = np.zeros((8, 8, 3), np.uint8)
    sr[..., 1] = 1  # one green level -> Y differs by 128.553/255, not rounded
    mse = (128.553 / 255) ** 2
    assert psnr(sr, hr) == pytest.approx(10 * math.log10(255**2 / mse))
    assert luminance(hr).min() == pytest.approx(16.0)


def test_grey_image_is_not_passed_through_the_ycbcr_formula():
    grey = np.arange(64, dtype=np.uint8).reshape(8, 8, 1)
    np.testing.assert_array_equal(luminance(grey), grey[..., 0].astype(float))
    rgb = np.repeat(grey, 3, axis=2)
    assert not np.allclose(luminance(rgb), luminance(grey))  # 16 + 219/255 * v differs from v


def test_shave_removes_the_border():
    hr = np.zeros((12, 12, 1), np.uint8)
    sr = hr.copy()
    sr[0, :] = 255  # an error only in the border row
    assert psnr(sr, hr, shave=2) == math.inf
    assert psnr(sr, hr, shave=0) < 30


def test_identical_images_give_infinity():
    img = np.random.default_rng(0).integers(0, 256, (10, 10, 3), dtype=np.uint8)
    assert psnr(img, img) == math.inf


def test_refuses_float_and_mismatched_inputs():
    a = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(TypeError, match="quantize"):
        psnr(a.astype(np.float32), a)
    with pytest.raises(ValueError, match="differ in size"):
        psnr(a, np.zeros((8, 9, 3), np.uint8))
    with pytest.raises(ValueError, match="shave"):
        psnr(a, a, shave=4)


def test_evaluate_pair_crops_uncropped_hr_and_shaves_scale():
    rng = np.random.default_rng(3)
    hr = rng.integers(0, 256, (35, 42, 3), dtype=np.uint8)  # not a multiple of 4
    sr = hr[:32, :40].copy()
    score = evaluate_pair(sr, hr, scale=4)
    assert score.psnr == math.inf and score.ssim == pytest.approx(1.0)
    with pytest.raises(ValueError, match="does not match"):
        evaluate_pair(hr[:28, :40], hr, scale=4)
