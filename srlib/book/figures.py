"""Figure helpers: where a benchmark image is (:func:`benchmark_image`), where to crop a figure's
panels (:func:`error_crop` for Figures 7-8, :func:`detail_crop` for Figure 9) and saving a figure
where the book finds it (:func:`save_figure`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data import DatasetNotFoundError, dataset_paths
from ..metrics import luminance
from ..repository import resolve
from .figure_checks import check_figure

__all__ = ["benchmark_image", "error_crop", "detail_crop", "save_figure"]


def benchmark_image(dataset: str, name: str, root: Path | str | None = None) -> Path | None:
    """The file of image ``name`` (its stem, case-insensitive, e.g. ``'img043'``, ``'Hamlet'``) in
    benchmark ``dataset``; ``None`` when the dataset is not under the data root or has no such
    image (the caller says so instead of showing a panel)."""
    try:
        paths = dataset_paths(dataset, root)
    except DatasetNotFoundError:
        return None
    key = name.lower()
    exact = [p for p in paths if p.stem.lower() == key]
    loose = [p for p in paths if p.stem.lower().startswith(key)]
    return (exact or loose or [None])[0]


def error_crop(hr: np.ndarray, sr: np.ndarray, side: int, border: int = 0) -> tuple[int, int]:
    """Top-left corner ``(y, x)`` of the ``side x side`` window where ``sr`` is furthest from
    ``hr`` (largest sum of squared luminance errors), ``border`` pixels from every edge: the
    place where a method's differences are easiest to see. Every panel of a figure is then
    cropped at this same place."""
    err = (luminance(sr) - luminance(hr[: sr.shape[0], : sr.shape[1]])) ** 2
    h, w = err.shape
    side = int(min(side, h - 2 * border, w - 2 * border))
    if side <= 0:
        return 0, 0
    ii = np.pad(err.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = ii[side:, side:] - ii[:-side, side:] - ii[side:, :-side] + ii[:-side, :-side]
    sums = sums[border: h - side + 1 - border, border: w - side + 1 - border]
    y, x = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return int(y) + border, int(x) + border


def detail_crop(img: np.ndarray, side: int) -> tuple[int, int]:
    """Top-left corner ``(y, x)`` of the ``side x side`` window of ``img`` with the most detail
    (largest sum of squared luminance gradients): where an enlargement has something to show
    (Figure 9's photographs, which have no ground truth to compare with)."""
    y = luminance(img)
    grad = np.zeros_like(y)
    grad[:-1, :] += np.diff(y, axis=0) ** 2
    grad[:, :-1] += np.diff(y, axis=1) ** 2
    return _window_argmax(grad, side)


def _window_argmax(energy: np.ndarray, side: int) -> tuple[int, int]:
    h, w = energy.shape
    side = int(min(side, h, w))
    ii = np.pad(energy.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = ii[side:, side:] - ii[:-side, side:] - ii[side:, :-side] + ii[:-side, :-side]
    y, x = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return int(y), int(x)


def save_figure(fig, name: str, folder: Path | str = "book/notebooks/figures", check: str | None = None) -> Path:
    """Save a matplotlib figure as ``<folder>/<name>.png`` (150 dpi) and return the path.

    The figure is first checked for text a reader could not read at the book's column width
    (:func:`~.figure_checks.check_figure`; ``check`` is its mode, default ``SRLIB_FIGURE_CHECK``)."""
    check_figure(fig, name, mode=check)
    out = resolve(folder)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    fig.savefig(path, dpi=150, bbox_inches="tight")
    return path
