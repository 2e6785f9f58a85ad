"""PSNR and SSIM on the luminance channel, exactly as the paper's tables are measured.

The protocol (recorded and verified in the data folder's README) is:

1. the SR image is a ``uint8`` image (model outputs are clamped and rounded first, see
   :func:`srlib.matlab.quantize`), the HR image is modcropped to the SR size;
2. Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255 in float, not rounded; a 1-channel (grey)
   image is evaluated on its grey values directly, not through the YCbCr formula;
3. ``shave`` = scale pixels are removed from every border;
4. PSNR with peak 255; SSIM as MATLAB's built-in ``ssim``: 11 x 11 Gaussian window,
   sigma 1.5, replicate padding, mean over the whole (shaved) map, C1 = (0.01 * 255)^2,
   C2 = (0.03 * 255)^2.

``ssim(..., window='valid')`` gives the Wang et al. / BasicSR variant instead (only the
positions where the window fits; reads up to ~0.004 lower at x8).

This module imports no model code.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import correlate1d

from .matlab import rgb_to_y

__all__ = ["luminance", "psnr", "ssim", "evaluate_pair", "PairScore", "SSIM_WINDOWS"]

SSIM_WINDOWS = ("matlab", "valid")
_GAUSS_SIZE = 11
_GAUSS_SIGMA = 1.5


def luminance(img: np.ndarray) -> np.ndarray:
    """The channel the paper evaluates, as float64 on the 0-255 scale.

    ``img``: ``H x W`` or ``H x W x 1`` (grey: its values) or ``H x W x 3`` RGB (Y of YCbCr).
    """
    img = np.asarray(img)
    if img.ndim == 2:
        return img.astype(np.float64)
    if img.ndim == 3 and img.shape[2] == 1:
        return img[..., 0].astype(np.float64)
    if img.ndim == 3 and img.shape[2] == 3:
        return rgb_to_y(img)
    raise ValueError(f"expected a grey (H x W[ x 1]) or RGB (H x W x 3) image, got shape {img.shape}")


def _prepare(sr: np.ndarray, hr: np.ndarray, shave: int) -> tuple[np.ndarray, np.ndarray]:
    sr, hr = np.asarray(sr), np.asarray(hr)
    if sr.dtype != np.uint8 or hr.dtype != np.uint8:
        raise TypeError(
            f"metrics take uint8 images (got {sr.dtype} and {hr.dtype}); quantise model outputs "
            "with srlib.matlab.quantize first"
        )
    if sr.shape[:2] != hr.shape[:2]:
        raise ValueError(f"SR {sr.shape[:2]} and HR {hr.shape[:2]} differ in size: modcrop HR first")
    ys, yh = luminance(sr), luminance(hr)
    if shave:
        if min(ys.shape) <= 2 * shave:
            raise ValueError(f"image {ys.shape} is too small to shave {shave} pixels from each border")
        ys, yh = ys[shave:-shave, shave:-shave], yh[shave:-shave, shave:-shave]
    return ys, yh


def psnr(sr: np.ndarray, hr: np.ndarray, shave: int = 0) -> float:
    """PSNR (dB, peak 255) on the luminance of two uint8 images; ``inf`` when identical."""
    ys, yh = _prepare(sr, hr, shave)
    mse = float(np.mean((ys - yh) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(255.0**2 / mse)


def _gaussian_filter(img: np.ndarray, mode: str) -> np.ndarray:
    x = np.arange(_GAUSS_SIZE, dtype=np.float64) - (_GAUSS_SIZE - 1) / 2
    g = np.exp(-(x**2) / (2 * _GAUSS_SIGMA**2))
    g /= g.sum()
    return correlate1d(correlate1d(img, g, axis=0, mode=mode), g, axis=1, mode=mode)


def ssim(sr: np.ndarray, hr: np.ndarray, shave: int = 0, window: str = "matlab") -> float:
    """SSIM on the luminance of two uint8 images.

    ``window='matlab'`` (default, the paper's): MATLAB ``ssim`` -- replicate padding, mean over
    the whole map. ``window='valid'``: Wang et al. / BasicSR -- mean over the positions where
    the 11 x 11 window fits inside the image.
    """
    if window not in SSIM_WINDOWS:
        raise ValueError(f"window must be one of {SSIM_WINDOWS}, got {window!r}")
    x, y = _prepare(sr, hr, shave)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mode = "nearest"  # scipy's 'nearest' repeats the edge pixel = MATLAB's 'replicate'
    mu_x, mu_y = _gaussian_filter(x, mode), _gaussian_filter(y, mode)
    sigma_x2 = _gaussian_filter(x * x, mode) - mu_x**2
    sigma_y2 = _gaussian_filter(y * y, mode) - mu_y**2
    sigma_xy = _gaussian_filter(x * y, mode) - mu_x * mu_y
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * sigma_xy + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (sigma_x2 + sigma_y2 + c2)
    )
    if window == "valid":
        r = _GAUSS_SIZE // 2
        if min(ssim_map.shape) <= 2 * r:
            raise ValueError(f"image {x.shape} is smaller than the {_GAUSS_SIZE}x{_GAUSS_SIZE} SSIM window")
        ssim_map = ssim_map[r:-r, r:-r]
    return float(ssim_map.mean())


@dataclass(frozen=True)
class PairScore:
    """PSNR (dB) and SSIM of one SR image against its HR image."""

    psnr: float
    ssim: float


def evaluate_pair(sr: np.ndarray, hr: np.ndarray, scale: int, ssim_window: str = "matlab") -> PairScore:
    """Score a uint8 SR image against its uint8 HR image with the paper's protocol.

    HR is modcropped (top-left) to the SR size when it is larger by less than ``scale`` pixels
    (benchmark HR files are not cropped); ``scale`` pixels are shaved from every border.
    """
    hr = np.asarray(hr)
    h, w = np.asarray(sr).shape[:2]
    if hr.shape[0] - h not in range(scale) or hr.shape[1] - w not in range(scale):
        raise ValueError(f"SR size {h}x{w} does not match HR size {hr.shape[:2]} at scale {scale}")
    hr = hr[:h, :w]
    return PairScore(psnr=psnr(sr, hr, shave=scale), ssim=ssim(sr, hr, shave=scale, window=ssim_window))
