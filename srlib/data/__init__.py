"""Datasets, image I/O and the HR -> LR degradation (MATLAB bicubic)."""
from __future__ import annotations

import numpy as np

from ..matlab import imresize, modcrop
from .io import ImageLoadError, load_image, save_image
from .registry import (BENCHMARKS, DATASETS, TRAINING_SETS, DatasetNotFoundError, DatasetSpec,
                       available_datasets, data_root, dataset_paths, dataset_spec)

__all__ = ["BENCHMARKS", "DATASETS", "TRAINING_SETS", "DatasetNotFoundError", "DatasetSpec", "ImageLoadError",
           "available_datasets", "data_root", "dataset_paths", "dataset_spec", "load_image", "save_image",
           "make_lr"]


def make_lr(hr: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """The paper's degradation: ``(modcrop(hr, scale), MATLAB imresize(.., 1/scale, 'bicubic'))``.

    ``hr`` is a ``uint8`` ``H x W x C`` array; both results are uint8 (MATLAB's uint8 path, which
    reproduces the benchmark LR files bit for bit).
    """
    if scale not in (2, 3, 4, 8):
        raise ValueError(f"scale must be 2, 3, 4 or 8, got {scale}")
    hr = modcrop(np.asarray(hr), scale)
    return hr, imresize(hr, 1.0 / scale)
