"""Colour conversions of MATLAB's ``rgb2ycbcr`` (ITU-R BT.601, "studio swing"): the coefficients
and the conversions used outside the evaluation protocol.

``Y = 16 + (65.481 R + 128.553 G + 24.966 B)`` with R, G, B in [0, 1] (Y in [16, 235]); Cb, Cr
likewise with the other rows of :data:`YCBCR_FROM_RGB`, offset 128.

The evaluation protocol's Y (:func:`srlib.matlab.rgb_to_y`) writes the same coefficients out in
``matlab.py``: that file's source is part of the cache keys of the training-patch cache and of
the book's evaluation cache, so it is not edited for a refactoring; a test checks that it and
:data:`YCBCR_FROM_RGB` agree.
"""
from __future__ import annotations

import numpy as np
import torch

__all__ = ["YCBCR_FROM_RGB", "YCBCR_OFFSET", "rgb_to_ycbcr", "ycbcr_to_rgb", "rgb_to_y_tensor"]

#: Rows Y, Cb, Cr; columns R, G, B on [0, 1]; the result on the 0-255 scale (before the offset).
YCBCR_FROM_RGB = np.array([[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]])
#: Added to Y, Cb, Cr (0-255 scale).
YCBCR_OFFSET = np.array([16.0, 128.0, 128.0])


def rgb_to_ycbcr(img: np.ndarray) -> np.ndarray:
    """MATLAB ``rgb2ycbcr`` of a uint8 ``H x W x 3`` RGB image, in float64 on the 0-255 scale
    (not rounded)."""
    rgb = np.asarray(img, dtype=np.float64) / 255.0
    return rgb @ YCBCR_FROM_RGB.T + YCBCR_OFFSET


def ycbcr_to_rgb(ycbcr: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rgb_to_ycbcr`: float RGB in [0, 1] (not clipped)."""
    return (np.asarray(ycbcr, dtype=np.float64) - YCBCR_OFFSET) @ np.linalg.inv(YCBCR_FROM_RGB).T


def rgb_to_y_tensor(x: torch.Tensor) -> torch.Tensor:
    """Y of a float RGB batch ``(B, 3, H, W)`` in [0, 1], as ``(B, 1, H, W)`` on the [0, 1] scale
    (``Y / 255``: in [16/255, 235/255]); float32 arithmetic on ``x``'s device."""
    w = torch.tensor(YCBCR_FROM_RGB[0].tolist(), device=x.device).view(1, 3, 1, 1) / 255.0
    return (x * w).sum(dim=1, keepdim=True) + float(YCBCR_OFFSET[0]) / 255.0
