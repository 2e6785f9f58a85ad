"""Tiny synthetic datasets and configs for the training / inference tests (no real data needed)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from srlib.data import save_image
from srlib.training import preset


def smooth_image(rng: np.random.Generator, h: int, w: int, channels: int = 3) -> np.ndarray:
    """A smooth random uint8 image (sum of sinusoids): learnable, unlike noise."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.zeros((h, w, channels))
    for c in range(channels):
        for _ in range(3):
            fx, fy, ph = rng.uniform(0.03, 0.25), rng.uniform(0.03, 0.25), rng.uniform(0, 6.3)
            img[..., c] += np.sin(fx * x + fy * y + ph)
    img = (img - img.min()) / max(img.max() - img.min(), 1e-9)
    return (img * 255).round().astype(np.uint8)


def make_data_root(root: Path, n_train: int = 6, seed: int = 0) -> Path:
    """``root/train/mine/*.png`` (training folder) and a 5-image ``root/benchmark/Set5/HR``."""
    rng = np.random.default_rng(seed)
    for i in range(n_train):
        save_image(root / "train" / "mine" / f"im{i}.png", smooth_image(rng, 64 + 8 * (i % 3), 72))
    for i in range(5):
        save_image(root / "benchmark" / "Set5" / "HR" / f"s{i}.png", smooth_image(rng, 48, 40 + 8 * i))
    return root


def tiny_config(root: Path, scale: int = 2, **overrides):
    """The smoke preset on the synthetic data, one thread, no progress bars."""
    values = dict(train_sets=(str(root / "train" / "mine"),), data_root=str(root), cache_dir=str(root / "cache"),
                  threads=1, progress=False, val_every=-1)
    values.update(overrides)
    return preset("smoke", scale, **values)


@pytest.fixture(autouse=True, scope="module")
def one_thread_per_module():
    """Run a test module with one torch thread (the 2-core CI machine is shared), then restore."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
