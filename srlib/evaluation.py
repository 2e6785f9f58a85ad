"""Benchmark evaluation with the paper's protocol, for bicubic or any upscaler.

An *upscaler* is a function ``(lr_uint8 H x W x C, scale) -> sr_uint8 (H*scale) x (W*scale) x C``.
For each HR image of a benchmark: HR is modcropped, LR = MATLAB bicubic (uint8 path; bit-exact
with the published MATLAB LR files, see the tests), SR = upscaler(LR), scored by
:func:`srlib.metrics.evaluate_pair` (Y channel, ``scale`` pixels shaved, MATLAB SSIM).

Test-time augmentation goes inside the upscaler, so the protocol is the same for it: a network's
x8 geometric self-ensemble is ``srlib.inference.model_upscaler(..., self_ensemble=True)`` (float
outputs averaged); :func:`self_ensemble_upscaler` wraps any uint8 upscaler (e.g. bicubic) the same way.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm.auto import tqdm

from .data import dataset_paths, dataset_spec, load_image, make_lr
from .errors import InvalidValueError
from .inference import DIHEDRAL, dihedral
from .matlab import imresize, quantize
from .metrics import SSIM_WINDOWS, evaluate_pair

__all__ = ["Upscaler", "ImageScore", "EvaluationResult", "bicubic_upscaler", "self_ensemble_upscaler", "evaluate"]

Upscaler = Callable[[np.ndarray, int], np.ndarray]


def bicubic_upscaler(lr: np.ndarray, scale: int) -> np.ndarray:
    """The paper's Bicubic baseline: MATLAB ``imresize(lr, scale, 'bicubic')`` on uint8."""
    return imresize(lr, float(scale))


def self_ensemble_upscaler(upscaler: Upscaler) -> Upscaler:
    """``upscaler`` as an x8 geometric self-ensemble: run on the 8 dihedral transforms of the LR
    image (:func:`srlib.inference.dihedral`), each output transformed back, the 8 uint8 outputs
    averaged and rounded as MATLAB's ``im2uint8`` (for a network, averaging its float outputs with
    ``model_upscaler(..., self_ensemble=True)`` loses less)."""

    def ensemble(lr: np.ndarray, scale: int) -> np.ndarray:
        total = None
        for k in DIHEDRAL:
            sr = np.asarray(upscaler(np.ascontiguousarray(dihedral(lr, k)), scale), dtype=np.float64)
            sr = dihedral(sr, k, inverse=True)
            total = sr.copy() if total is None else total + sr
        return quantize(total / len(DIHEDRAL), data_range=255.0)

    return ensemble


@dataclass(frozen=True)
class ImageScore:
    name: str
    psnr: float
    ssim: float


@dataclass
class EvaluationResult:
    """Scores of one method on one dataset at one scale (means over images)."""

    method: str
    dataset: str
    scale: int
    ssim_window: str
    images: list[ImageScore] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def psnr(self) -> float:
        return float(np.mean([s.psnr for s in self.images])) if self.images else math.nan

    @property
    def ssim(self) -> float:
        return float(np.mean([s.ssim for s in self.images])) if self.images else math.nan

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "dataset": self.dataset,
            "scale": self.scale,
            "images": len(self.images),
            "psnr": self.psnr,
            "ssim": self.ssim,
            "ssim_window": self.ssim_window,
            "seconds": round(self.seconds, 3),
            "per_image": [asdict(s) for s in self.images],
        }


def evaluate(upscaler: Upscaler, dataset: str, scale: int, *, method: str = "bicubic",
             root: Path | str | None = None, ssim_window: str = "matlab", progress: bool = True,
             limit: int | None = None) -> EvaluationResult:
    """Evaluate ``upscaler`` on benchmark ``dataset`` at ``scale`` with the paper's protocol.

    Args:
        upscaler: ``(lr uint8, scale) -> sr uint8``; see :func:`bicubic_upscaler`.
        dataset: a benchmark name (Set5, Set14, B100, Urban100, Manga109).
        scale: 2, 3, 4 or 8.
        root: data root (default ``$SRLIB_DATA_DIR`` or ``./data``).
        ssim_window: ``'matlab'`` (the paper's) or ``'valid'`` (BasicSR's).
        limit: evaluate only the first ``limit`` images (for quick checks).
    """
    spec = dataset_spec(dataset)
    if spec.kind != "benchmark":
        raise ValueError(f"{spec.name} is a training set; evaluate on one of the benchmarks")
    if ssim_window not in SSIM_WINDOWS:
        raise ValueError(f"ssim_window must be one of {SSIM_WINDOWS}")
    if limit is not None and limit < 1:
        raise InvalidValueError(f"limit must be >= 1 (or None for all images), got {limit}")
    paths = dataset_paths(spec.name, root)[:limit]
    result = EvaluationResult(method=method, dataset=spec.name, scale=scale, ssim_window=ssim_window)
    start = time.perf_counter()
    for path in tqdm(paths, desc=f"{method} {spec.name} x{scale}", disable=not progress, leave=False):
        image = load_image(path)
        h, w = image.shape[:2]
        if min(h // scale, w // scale) * scale <= 2 * scale:
            raise InvalidValueError(
                f"{path} is {w}x{h} pixels: too small for x{scale} (the protocol crops it to a multiple of "
                f"{scale} and shaves {scale} pixels from each border, so each side needs at least "
                f"{3 * scale}); this is not a valid copy of {spec.name}")
        hr, lr = make_lr(image, scale)
        sr = np.asarray(upscaler(lr, scale))
        if sr.dtype != np.uint8 or sr.shape[:2] != hr.shape[:2]:
            raise ValueError(
                f"upscaler returned {sr.dtype} {sr.shape} for {path.name}; expected uint8 of size {hr.shape[:2]}"
            )
        if sr.ndim == 2:
            sr = sr[..., None]
        score = evaluate_pair(sr, hr, scale, ssim_window=ssim_window)
        result.images.append(ImageScore(path.stem, score.psnr, score.ssim))
    result.seconds = time.perf_counter() - start
    return result
