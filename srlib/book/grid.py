"""PSNR / SSIM of one upscaler on datasets x scales with the paper's protocol, cached on disk.

A dataset absent from the data root gives a row whose ``status`` says so (a table shows that
instead of a number), never an exception. A cached score is keyed by the upscaler's identity,
the protocol code (:func:`code_fingerprint`) and the dataset files (:func:`dataset_fingerprint`).
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from ..data import DatasetNotFoundError, dataset_paths
from ..evaluation import evaluate
from ..published import EVAL_COLUMNS
from ..repository import slug

__all__ = ["MISSING", "EVAL_COLUMNS", "evaluate_grid", "code_fingerprint", "dataset_fingerprint"]

#: What a table shows instead of a number for a dataset that is not under the data root.
MISSING = "not available"

#: The srlib package folder: :func:`code_fingerprint` hashes files relative to it.
_SRLIB = Path(__file__).resolve().parents[1]


def code_fingerprint(modules: Sequence[str] = ("matlab.py", "metrics.py", "evaluation.py", "data/io.py",
                                                 "data/__init__.py")) -> str:
    """sha256 (16 hex digits) of the srlib source files that define the evaluation protocol
    (paths relative to the ``srlib`` package). A cached score is reused only while these files
    are unchanged."""
    h = hashlib.sha256()
    for name in modules:
        path = _SRLIB / name
        h.update(name.encode())
        h.update(path.read_bytes() if path.is_file() else b"<absent>")
    return h.hexdigest()[:16]


def dataset_fingerprint(dataset: str, root: Path | str | None = None) -> str:
    """Fingerprint (16 hex digits) of a dataset's files: names, sizes and modification times."""
    h = hashlib.sha256()
    for p in dataset_paths(dataset, root):
        st = p.stat()
        h.update(f"{p.name}\0{st.st_size}\0{int(st.st_mtime)}\n".encode())
    return h.hexdigest()[:16]


def evaluate_grid(upscaler: Callable[[np.ndarray, int], np.ndarray] | Callable[[int], Callable],
                  *, method: str, datasets: Iterable[str], scales: Iterable[int],
                  root: Path | str | None = None, cache_dir: Path | str | None = None,
                  cache_key: str | None = None, limit: int | None = None, ssim_window: str = "matlab",
                  per_scale: bool = False, progress: bool = False) -> pd.DataFrame:
    """Evaluate an upscaler on every ``dataset`` x ``scale`` with the paper's protocol.

    Args:
        upscaler: ``(lr uint8, scale) -> sr uint8`` (see :mod:`srlib.evaluation`); with
            ``per_scale=True``, a function ``scale -> upscaler`` (one trained model per scale).
        method: the name shown in tables.
        datasets / scales: what to evaluate. A dataset that is not complete under the data root
            gives a row with ``status = MISSING``-message and NaN scores.
        root: data root (default ``$SRLIB_DATA_DIR`` or ``./data``).
        cache_dir: where to keep one JSON result per cell; ``None``: no cache.
        cache_key: identity of the upscaler (e.g. ``'bicubic'`` or a checkpoint's sha256);
            required with ``cache_dir``. The key is combined with the protocol code's and the
            dataset files' fingerprints, ``limit`` and ``ssim_window``.
        limit: only the first ``limit`` images of each dataset (marked in ``status``).

    Returns:
        One row per cell: ``method, scale, dataset, psnr, ssim, images, seconds, status, cached``;
        ``status`` is ``'ok'``, ``'first N images'`` or the reason the dataset is missing.
    """
    if cache_dir is not None and not cache_key:
        raise ValueError("cache_dir needs a cache_key that identifies the upscaler")
    rows = []
    protocol = code_fingerprint() if cache_dir is not None else ""
    for scale in scales:
        for dataset in datasets:
            row = {"method": method, "scale": int(scale), "dataset": dataset, "psnr": math.nan,
                   "ssim": math.nan, "images": 0, "seconds": 0.0, "status": "ok", "cached": False}
            try:
                n_files = len(dataset_paths(dataset, root))
            except DatasetNotFoundError as exc:
                row["status"] = f"{MISSING}: {exc.spec.name} is not under the data root"
                rows.append(row)
                continue
            cache_file = None
            if cache_dir is not None:
                key = json.dumps([cache_key, protocol, dataset_fingerprint(dataset, root), int(scale), limit,
                                  ssim_window])
                digest = hashlib.sha256(key.encode()).hexdigest()[:20]
                cache_file = Path(cache_dir) / f"{slug(method)}-{dataset}-x{scale}-{digest}.json"
                if cache_file.is_file():
                    rows.append({**json.loads(cache_file.read_text()), "method": method, "cached": True})
                    continue
            fn = upscaler(int(scale)) if per_scale else upscaler
            result = evaluate(fn, dataset, int(scale), method=method, root=root, ssim_window=ssim_window,
                              progress=progress, limit=limit)
            row.update(psnr=result.psnr, ssim=result.ssim, images=len(result.images), seconds=result.seconds)
            if limit is not None and len(result.images) < n_files:
                row["status"] = f"first {len(result.images)} of {n_files} images"
            if cache_file is not None:
                cache_file.parent.mkdir(parents=True, exist_ok=True)
                tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")  # two notebooks may write one cell at once
                tmp.write_text(json.dumps({k: v for k, v in row.items() if k != "cached"}))
                os.replace(tmp, cache_file)
            rows.append(row)
    return pd.DataFrame(rows, columns=EVAL_COLUMNS)
