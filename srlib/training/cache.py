"""The offline training cache: every training image scaled by each augmentation factor and its
MATLAB-bicubic pyramid, written once under ``<cache_dir>/<set>-<key>/`` (:func:`cache_key`: the
files' bytes, the factors and the producing code), with checksums; used by
:class:`srlib.training.data.TrainingSet`, whose module docstring describes the design."""
from __future__ import annotations

import hashlib
import inspect
import json
import os
import shutil
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Sequence

import numpy as np
from tqdm.auto import tqdm

from .. import matlab
from ..data import load_image
from ..errors import output_error
from ..matlab import imresize, modcrop

__all__ = ["CACHE_FORMAT", "PYRAMID", "STALE_TMP_SECONDS", "cache_dir", "cache_key", "producer_fingerprint",
           "remove_stale_tmp"]

CACHE_FORMAT = 1
#: Downscale factors stored for every augmented image (1 = the augmented HR itself).
PYRAMID = (1, 2, 4, 8)
_MOD = PYRAMID[-1]


def cache_dir(path: str | Path | None = None) -> Path:
    """``path``, else ``$SRLIB_CACHE_DIR``, else ``./.cache/srlib``."""
    if path:
        return Path(path)
    return Path(os.environ.get("SRLIB_CACHE_DIR") or ".cache/srlib")


def producer_fingerprint() -> str:
    """Hash of the code that makes the cached arrays (MATLAB imresize and this module's producers)."""
    h = hashlib.sha256()
    h.update(f"format={CACHE_FORMAT}".encode())
    h.update(inspect.getsource(matlab).encode())
    for fn in _PRODUCERS:
        h.update(inspect.getsource(fn).encode())
    return h.hexdigest()


def cache_key(paths: Sequence[Path], aug_scales: Sequence[float]) -> tuple[str, dict]:
    """``(hex key, description)`` of the cache entry for these files and factors."""
    files = []
    for p in paths:
        data = Path(p).read_bytes()
        files.append([Path(p).name, len(data), hashlib.sha256(data).hexdigest()])
    desc = {"format": CACHE_FORMAT, "producer": producer_fingerprint(), "aug_scales": [float(s) for s in aug_scales],
            "pyramid": list(PYRAMID), "modcrop": _MOD, "files": files}
    key = hashlib.sha256(json.dumps(desc, sort_keys=True).encode()).hexdigest()
    return key, desc


def _to_rgb(img: np.ndarray) -> np.ndarray:
    if img.shape[2] == 1:
        return np.repeat(img, 3, axis=2)
    return img


def _augmented_pyramids(path: str, aug_scales: Sequence[float]) -> list[tuple[str, dict[int, np.ndarray]]]:
    """For one source image: for each factor, ``{1: HR, 2: HR/2, 4: HR/4, 8: HR/8}`` (uint8 MATLAB bicubic,
    HR cropped to a multiple of 8). Factors that leave less than 8 pixels are skipped."""
    src = _to_rgb(load_image(path))
    out = []
    for s in aug_scales:
        img = src if s == 1.0 else imresize(src, float(s))
        if min(img.shape[:2]) < _MOD:
            continue
        hr = np.ascontiguousarray(modcrop(img, _MOD))
        pyr = {1: hr}
        for d in PYRAMID[1:]:
            pyr[d] = imresize(hr, 1.0 / d)
        out.append((f"{Path(path).name}@{s:g}", pyr))
    return out


_PRODUCERS = (_to_rgb, _augmented_pyramids)  # the code whose source is part of the cache key


#: A half-built cache folder untouched for this long was left by a killed build: removed.
STALE_TMP_SECONDS = 6 * 3600


def _builder_gone(tmp: Path) -> bool:
    """A ``<target>.tmp-<pid>-<hex>`` folder whose building process (on this machine) has ended."""
    parts = tmp.name.rsplit(".tmp-", 1)[-1].split("-")
    if len(parts) != 2 or not parts[0].isdigit():
        return False  # an older name without the builder's pid: only its age tells
    try:
        os.kill(int(parts[0]), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def remove_stale_tmp(target: Path, max_age_s: float = STALE_TMP_SECONDS) -> list[Path]:
    """Delete ``<target>.tmp-*`` folders (builds of ``target`` that were killed): those whose
    builder process has ended, and any whose newest change is older than ``max_age_s`` (a build
    still running keeps writing into its folder, so it is left alone). Returns the folders removed."""
    removed = []
    now = time.time()
    for tmp in target.parent.glob(f"{target.name}.tmp-*"):
        try:
            newest = max([tmp.stat().st_mtime, *(f.stat().st_mtime for f in tmp.iterdir())])
        except OSError:
            continue
        if _builder_gone(tmp) or now - newest > max_age_s:
            shutil.rmtree(tmp, ignore_errors=True)
            removed.append(tmp)
    return removed


def _build_entry(label: str, paths: Sequence[Path], aug_scales: Sequence[float], target: Path, desc: dict,
                 workers: int, progress: bool) -> None:
    if target.parent.is_dir():
        remove_stale_tmp(target)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        tmp.mkdir(parents=True)
    except OSError as err:
        raise output_error(target.parent, err, "write the training cache into") from err
    try:
        jobs = [str(p) for p in paths]
        bar = tqdm(total=len(jobs), desc=f"caching {label} (MATLAB bicubic x{len(aug_scales)} scales)",
                   disable=not progress, leave=False)
        results: list[tuple[str, dict[int, np.ndarray]]] = []
        if workers > 1:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                for res in pool.map(_augmented_pyramids, jobs, [tuple(aug_scales)] * len(jobs), chunksize=4):
                    results += res
                    bar.update()
        else:
            for job in jobs:
                results += _augmented_pyramids(job, aug_scales)
                bar.update()
        bar.close()
        shapes = np.array([pyr[1].shape for _, pyr in results], dtype=np.int64).reshape(-1, 3)
        try:
            np.save(tmp / "shapes.npy", shapes)
            for d in PYRAMID:
                flat = np.concatenate([pyr[d].ravel() for _, pyr in results]) if results else np.zeros(0, np.uint8)
                np.save(tmp / f"pyr{d}.npy", flat)
            (tmp / "meta.json").write_text(json.dumps({**desc, "label": label,
                                                       "sources": [name for name, _ in results],
                                                       "checksums": _checksums(tmp)}, indent=1))
        except OSError as err:
            raise output_error(target.parent, err, "write the training cache into") from err
        try:
            os.replace(tmp, target)  # atomic publish; fails if another process published first
        except OSError:
            if not (target / "meta.json").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _array_files() -> list[str]:
    return ["shapes.npy"] + [f"pyr{d}.npy" for d in PYRAMID]


def _checksums(folder: Path) -> dict[str, str]:
    """sha256 of each array file of a cache entry."""
    out = {}
    for name in _array_files():
        h = hashlib.sha256()
        with open(folder / name, "rb") as fh:
            while chunk := fh.read(1 << 22):
                h.update(chunk)
        out[name] = h.hexdigest()
    return out


def _discard(folder: Path) -> None:
    """Remove a cache entry: first renamed aside (atomic), then deleted."""
    aside = folder.with_name(f"{folder.name}.damaged-{uuid.uuid4().hex[:8]}")
    try:
        os.replace(folder, aside)
    except OSError as err:
        raise output_error(folder, err, "remove the damaged training cache") from err
    shutil.rmtree(aside, ignore_errors=True)
