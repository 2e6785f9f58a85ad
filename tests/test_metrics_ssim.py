"""SSIM: MATLAB's built-in ssim (the paper's) and the 'valid' Wang/BasicSR variant."""
from __future__ import annotations

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from srlib.metrics import luminance, ssim


def _pair(seed=0, shape=(40, 50)):
    rng = np.random.default_rng(seed)
    hr = rng.integers(0, 256, shape + (1,), dtype=np.uint8)
    noise = rng.integers(-20, 21, hr.shape)
    sr = np.clip(hr.astype(int) + noise, 0, 255).astype(np.uint8)
    return sr, hr


def _matlab_ssim_reference(x: np.ndarray, y: np.ndarray) -> float:
    """Direct, loop-free-of-tricks transcription of MATLAB ssim: explicit 11x11 Gaussian window,
    replicate ('edge') padding, mean of the whole map. Independent of srlib's separable filter."""
    r, sigma = 5, 1.5
    g = np.exp(-(np.arange(-r, r + 1) ** 2) / (2 * sigma**2))
    w = np.outer(g, g)
    w /= w.sum()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    xp, yp = np.pad(x, r, mode="edge"), np.pad(y, r, mode="edge")
    win_x = np.lib.stride_tricks.sliding_window_view(xp, (11, 11))
    win_y = np.lib.stride_tricks.sliding_window_view(yp, (11, 11))
    mx = (win_x * w).sum(axis=(-1, -2))
    my = (win_y * w).sum(axis=(-1, -2))
    sxx = (win_x**2 * w).sum(axis=(-1, -2)) - mx**2
    syy = (win_y**2 * w).sum(axis=(-1, -2)) - my**2
    sxy = (win_x * win_y * w).sum(axis=(-1, -2)) - mx * my
    ssim_map = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx**2 + my**2 + c1) * (sxx + syy + c2))
    return float(ssim_map.mean())


def test_matlab_window_matches_a_direct_transcription():
    sr, hr = _pair()
    ref = _matlab_ssim_reference(luminance(sr), luminance(hr))
    assert ssim(sr, hr, window="matlab") == pytest.approx(ref, abs=1e-12)


def test_valid_window_matches_scikit_image_gaussian_ssim():
    sr, hr = _pair(1)
    ref = structural_similarity(luminance(sr), luminance(hr), data_range=255, gaussian_weights=True,
                                sigma=1.5, use_sample_covariance=False)
    assert ssim(sr, hr, window="valid") == pytest.approx(ref, abs=1e-10)


def test_windows_differ_and_default_is_matlab():
    sr, hr = _pair(2)
    assert ssim(sr, hr) == ssim(sr, hr, window="matlab")
    assert ssim(sr, hr, window="matlab") != pytest.approx(ssim(sr, hr, window="valid"), abs=1e-6)


def test_identical_is_one_and_shave_applies():
    sr, hr = _pair(3)
    assert ssim(hr, hr) == pytest.approx(1.0)
    border = hr.copy()
    border[:2] = 0
    assert ssim(border, hr, shave=2) == pytest.approx(1.0)
    assert ssim(border, hr) < 1.0


def test_rgb_uses_y_and_bad_window_is_refused():
    rng = np.random.default_rng(4)
    rgb = rng.integers(0, 256, (30, 30, 3), dtype=np.uint8)
    assert ssim(rgb, rgb) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="window"):
        ssim(rgb, rgb, window="gaussian")
    with pytest.raises(ValueError, match="smaller than"):
        ssim(rgb[:8, :8], rgb[:8, :8], window="valid")
