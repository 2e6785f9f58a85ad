"""Everything MATLAB-compatible, in one auditable module.

The paper's LR images and its evaluation come from MATLAB. This module reproduces, bit for bit
where the tests say so, the MATLAB functions the super-resolution field relies on:

* :func:`imresize` -- ``imresize(img, scale, 'bicubic')``: Keys cubic kernel (a = -0.5),
  antialiasing when shrinking, symmetric border padding, the height dimension first.
  For ``uint8`` input MATLAB rounds (half away from zero) and saturates to uint8 after *each*
  1-D pass and returns uint8; for floating input it works in double and returns float64.
  Both paths are implemented; :func:`imresize_torch` is a batched float version for training.
* :func:`modcrop` -- crop the top-left region whose size is a multiple of the scale.
* :func:`rgb_to_y` -- the luminance of ``rgb2ycbcr`` (ITU-R BT.601, studio range), in float.
* :func:`quantize` -- MATLAB's ``im2uint8`` rounding of a [0, 1] or [0, 255] float image.

This module imports no model, data or training code.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

__all__ = ["imresize", "imresize_torch", "modcrop", "rgb_to_y", "quantize", "resize_weights"]


def _cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with a = -0.5 (MATLAB's ``cubic``)."""
    ax = np.abs(x)
    ax2 = ax * ax
    ax3 = ax2 * ax
    return (1.5 * ax3 - 2.5 * ax2 + 1.0) * (ax <= 1) + (-0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0) * (
        (ax > 1) & (ax <= 2)
    )


def _output_length(in_length: int, scale: float) -> int:
    """MATLAB's output size for a scale factor: ``ceil(scale * in_length)``.

    The product is rounded to 1e-9 first so that e.g. ``(1/3) * 255`` (85.00000000000001 in
    binary floating point) gives 85, as an exact ``1/3`` would.
    """
    return int(math.ceil(round(scale * in_length, 9)))


@lru_cache(maxsize=256)
def resize_weights(in_length: int, out_length: int, scale: float, antialiasing: bool = True):
    """Weights and 0-based source indices of MATLAB's ``contributions`` for one dimension.

    Returns ``(weights, indices)``, both of shape ``(out_length, taps)``: output sample ``i`` is
    ``sum_k weights[i, k] * input[indices[i, k]]``. Border samples are mirrored (MATLAB's
    symmetric padding) and all-zero tap columns are removed, as MATLAB does.
    """
    kernel_width = 4.0
    if scale < 1 and antialiasing:
        kernel = lambda x: scale * _cubic(scale * x)  # noqa: E731  (MATLAB: h = @(x) scale*kernel(scale*x))
        kernel_width = kernel_width / scale
    else:
        kernel = _cubic
    x = np.arange(1, out_length + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - kernel_width / 2)
    taps = int(math.ceil(kernel_width) + 2)
    ind = left[:, None] + np.arange(taps, dtype=np.float64)[None, :]  # 1-based MATLAB indices
    weights = kernel(u[:, None] - ind)
    weights = weights / weights.sum(axis=1, keepdims=True)
    # Symmetric padding: aux = [1:in, in:-1:1]; indices = aux(mod(ind-1, 2*in) + 1).
    aux = np.concatenate([np.arange(in_length), np.arange(in_length - 1, -1, -1)])
    indices = aux[np.mod(ind.astype(np.int64) - 1, 2 * in_length)]
    keep = np.any(weights != 0, axis=0)
    weights = np.ascontiguousarray(weights[:, keep])
    indices = np.ascontiguousarray(indices[:, keep])
    weights.setflags(write=False)
    indices.setflags(write=False)
    return weights, indices


def _resize_along(img: np.ndarray, axis: int, weights: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """One 1-D pass in double precision, summing the taps in MATLAB's order (the same products
    and sums as ``out += w_k * img[idx_k]``; gathered from a contiguous copy into one reused
    buffer, which is faster)."""
    moved = np.ascontiguousarray(np.moveaxis(img, axis, 0), dtype=np.float64)
    out = np.zeros((weights.shape[0],) + moved.shape[1:], dtype=np.float64)
    tap = np.empty_like(out)
    extra = (slice(None),) + (None,) * (moved.ndim - 1)
    for k in range(weights.shape[1]):
        np.take(moved, indices[:, k], axis=0, out=tap)
        tap *= weights[:, k][extra]
        out += tap
    return np.moveaxis(out, 0, axis)


def _round_to_uint8(x: np.ndarray) -> np.ndarray:
    """MATLAB's double -> uint8 conversion: round half away from zero, then saturate."""
    return np.clip(np.floor(x + 0.5), 0, 255).astype(np.uint8)


def imresize(img: np.ndarray, scale: float | None = None, output_shape: tuple[int, int] | None = None,
             antialiasing: bool = True) -> np.ndarray:
    """MATLAB ``imresize(img, scale, 'bicubic')``.

    Args:
        img: ``H x W`` or ``H x W x C`` array. ``uint8`` input follows MATLAB's uint8 path
            (round and saturate after each 1-D pass, uint8 out); float input (any range) follows
            the double path and returns float64 without clipping.
        scale: scale factor (e.g. ``0.25`` or ``4``); ignored when ``output_shape`` is given.
        output_shape: ``(out_h, out_w)`` instead of a scale factor.
        antialiasing: MATLAB's default ``true`` (only matters when shrinking).

    Returns:
        The resized image, same number of dimensions as ``img``.
    """
    img = np.asarray(img)
    if img.ndim not in (2, 3):
        raise ValueError(f"imresize expects an H x W or H x W x C image, got shape {img.shape}")
    if img.dtype == np.uint8:
        is_uint8 = True
    elif np.issubdtype(img.dtype, np.floating):
        is_uint8 = False
    else:
        raise TypeError(f"imresize supports uint8 and floating-point images, got {img.dtype}")
    in_h, in_w = img.shape[:2]
    if output_shape is not None:
        out_h, out_w = (int(v) for v in output_shape)
        scales = (out_h / in_h, out_w / in_w)
    elif scale is not None:
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        scales = (float(scale), float(scale))
        out_h, out_w = _output_length(in_h, scale), _output_length(in_w, scale)
    else:
        raise ValueError("give either scale or output_shape")
    if min(in_h, in_w, out_h, out_w) < 1:
        raise ValueError(f"cannot resize an image of size {in_h}x{in_w} to {out_h}x{out_w}")
    # MATLAB resizes along the dimension with the smallest scale first (height on ties).
    order = sorted(range(2), key=lambda d: scales[d])
    lengths = ((in_h, out_h), (in_w, out_w))
    out = img
    for dim in order:
        weights, indices = resize_weights(lengths[dim][0], lengths[dim][1], scales[dim], antialiasing)
        out = _resize_along(out, dim, weights, indices)
        if is_uint8:
            out = _round_to_uint8(out)
    return out


def modcrop(img: np.ndarray, scale: int) -> np.ndarray:
    """Crop the top-left ``(H - H % scale) x (W - W % scale)`` region (MATLAB ``modcrop``)."""
    h, w = img.shape[:2]
    if h < scale or w < scale:
        raise ValueError(f"image of size {h}x{w} is smaller than the scale {scale}")
    return img[: h - h % scale, : w - w % scale]


def rgb_to_y(img: np.ndarray) -> np.ndarray:
    """Luminance Y of MATLAB ``rgb2ycbcr`` in float64, *not* rounded.

    ``img`` is ``H x W x 3`` uint8 (or float on the 0-255 scale). Returns
    ``16 + (65.481 R + 128.553 G + 24.966 B) / 255`` in [16, 235].
    """
    img = np.asarray(img, dtype=np.float64)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"rgb_to_y expects an H x W x 3 image, got shape {img.shape}")
    return 16.0 + (65.481 * img[..., 0] + 128.553 * img[..., 1] + 24.966 * img[..., 2]) / 255.0


def quantize(img, data_range: float = 1.0) -> np.ndarray:
    """MATLAB ``im2uint8``: scale ``[0, data_range]`` to 0-255, round half away from zero, saturate.

    Accepts a numpy array or a torch tensor (converted on the CPU).
    """
    if hasattr(img, "detach"):
        img = img.detach().float().cpu().numpy()
    return _round_to_uint8(np.asarray(img, dtype=np.float64) * (255.0 / data_range))


@lru_cache(maxsize=64)
def _resize_matrix(in_length: int, out_length: int, scale: float, antialiasing: bool) -> np.ndarray:
    """Dense ``(out_length, in_length)`` matrix of one MATLAB resize pass (cached: training asks
    for the same few patch sizes at every step; callers must not modify it)."""
    weights, indices = resize_weights(in_length, out_length, scale, antialiasing)
    matrix = np.zeros((out_length, in_length), dtype=np.float64)
    rows = np.repeat(np.arange(out_length), weights.shape[1])
    np.add.at(matrix, (rows, indices.ravel()), weights.ravel())
    return matrix


def imresize_torch(batch, scale: float | None = None, output_shape: tuple[int, int] | None = None,
                   antialiasing: bool = True):
    """Batched float MATLAB bicubic on a torch tensor ``(..., H, W)`` (e.g. ``N x C x H x W``).

    Same arithmetic as the double path of :func:`imresize` expressed as two matrix products
    (height first), in the tensor's dtype and on its device. No rounding, no clipping: quantise
    afterwards if the LR image must be uint8. Used to build LR patches on the fly.
    """
    import torch  # local import: the numpy path must not need torch

    if batch.ndim < 2:
        raise ValueError(f"imresize_torch expects (..., H, W), got shape {tuple(batch.shape)}")
    if not torch.is_floating_point(batch):
        raise TypeError("imresize_torch expects a floating-point tensor; convert uint8 with .float()")
    in_h, in_w = batch.shape[-2:]
    if output_shape is not None:
        out_h, out_w = (int(v) for v in output_shape)
        sh, sw = out_h / in_h, out_w / in_w
    elif scale is not None:
        sh = sw = float(scale)
        out_h, out_w = _output_length(in_h, scale), _output_length(in_w, scale)
    else:
        raise ValueError("give either scale or output_shape")
    mh = torch.as_tensor(_resize_matrix(in_h, out_h, sh, antialiasing), dtype=batch.dtype, device=batch.device)
    mw = torch.as_tensor(_resize_matrix(in_w, out_w, sw, antialiasing), dtype=batch.dtype, device=batch.device)
    return torch.matmul(torch.matmul(mh, batch), mw.transpose(0, 1))
