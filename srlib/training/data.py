"""Training data: the "291" set (or DIV2K, or your own folder), offline scale augmentation,
a MATLAB-bicubic pyramid cached on disk, and a stream of random patch batches.

Design (the reasons are in ``docs/training.md``):

* **Offline, once, cached.** Every source image is scaled by each ``aug_scales`` factor with
  MATLAB ``imresize`` (uint8 path), cropped to a multiple of 8 and downscaled by 2, 4 and 8,
  again with the MATLAB-exact uint8 bicubic. So the LR inputs of every stage (and the
  intermediate targets of equation 8) are made exactly as the benchmark LR images are made at
  test time (``srlib.data.make_lr``), bit for bit. The arrays are written to
  ``<cache_dir>/<set>-<key>/``; the key hashes the source files' bytes, the factors and the
  source of the code that produced them (``srlib.matlab`` and :mod:`srlib.training.cache`), so any change there
  builds a new cache. They are read back into memory (or memory-mapped) as uint8.
* **Checked.** ``meta.json`` records the sha256 of every array file; an entry whose files do not
  match (overwritten, truncated) or whose ``meta.json`` is unreadable is rebuilt, with a message
  on stderr. An entry from before the checksums is checked for consistency and adopted.
* **Online.** A batch is a function of ``(seed, rank, step)`` only (a counter-based random
  stream): random image (weighted by its number of patch positions), random aligned crop of LR
  and targets, random rot90 and flips. So a resumed run sees exactly the batches it would have
  seen, DataLoader workers can produce batches in any process, and DDP ranks get distinct ones.
"""
from __future__ import annotations

import json
import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch

from ..colour import rgb_to_y_tensor
from ..data import available_datasets, dataset_paths, dataset_spec
from ..data.registry import IMAGE_SUFFIXES
from ..errors import CorruptFileError, one_line, output_error
from ..matlab import imresize, modcrop
from .cache import (PYRAMID, _MOD, _array_files, _build_entry, _checksums, _discard, _to_rgb, cache_dir,
                    cache_key)

__all__ = ["TrainingSet", "PatchBatches", "resolve_train_sets", "to_float"]

def resolve_train_sets(names: Sequence[str], root: str | Path | None = None) -> list[tuple[str, list[Path]]]:
    """``[(label, image paths)]`` for registered sets, folders, or ``'auto'`` (DIV2K if present, else
    T91 + BSD200). Raises ``DatasetNotFoundError`` / ``FileNotFoundError`` with the folder searched."""
    out: list[tuple[str, list[Path]]] = []
    for name in names:
        if name.lower() == "auto":
            chosen = ["DIV2K"] if available_datasets(root).get("DIV2K") else ["T91", "BSD200"]
            out += resolve_train_sets(chosen, root)
            continue
        try:
            spec = dataset_spec(name)
        except KeyError:
            folder = Path(name).expanduser()
            if not folder.is_dir():
                raise FileNotFoundError(
                    f"training set {name!r} is neither a registered dataset (T91, BSD200, DIV2K) nor a folder")
            files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not files:
                raise FileNotFoundError(f"training folder {folder} has no images ({', '.join(IMAGE_SUFFIXES)})")
            out.append((folder.name or "images", files))
            continue
        if spec.kind != "train":
            raise ValueError(f"{spec.name} is a benchmark; training on it would leak the test set")
        out.append((spec.name, dataset_paths(spec.name, root)))
    return out


@dataclass
class _Image:
    name: str
    levels: dict[int, np.ndarray]  # downscale factor -> H/d x W/d x 3 uint8

    @property
    def shape(self) -> tuple[int, int]:
        return self.levels[1].shape[:2]


class TrainingSet:
    """Augmented training images with their MATLAB-bicubic pyramids, in memory.

    Build it with :meth:`from_config` (cached on disk) or :meth:`from_arrays` (in memory, for
    tests and benchmarks).
    """

    def __init__(self, images: list[_Image], description: dict | None = None):
        if not images:
            raise ValueError("the training set is empty")
        self.images = images
        self.description = description or {}

    def __len__(self) -> int:
        return len(self.images)

    # -------------------------------------------------------------------- construction
    @classmethod
    def from_arrays(cls, arrays: Iterable[np.ndarray], aug_scales: Sequence[float] = (1.0,)) -> "TrainingSet":
        """From uint8 ``H x W x C`` arrays (no cache)."""
        images = []
        for i, arr in enumerate(arrays):
            src = _to_rgb(np.asarray(arr, dtype=np.uint8))
            for s in aug_scales:
                img = src if s == 1.0 else imresize(src, float(s))
                if min(img.shape[:2]) < _MOD:
                    continue
                hr = np.ascontiguousarray(modcrop(img, _MOD))
                images.append(_Image(f"array{i}@{s:g}", {1: hr, **{d: imresize(hr, 1.0 / d) for d in PYRAMID[1:]}}))
        return cls(images, {"sets": ["arrays"], "aug_scales": list(aug_scales)})

    @classmethod
    def from_sets(cls, names: Sequence[str], aug_scales: Sequence[float], *, root: str | Path | None = None,
                  cache: str | Path | None = None, workers: int = 0, preload: bool = True,
                  progress: bool = True) -> "TrainingSet":
        """Load (building once if needed) the cached augmented pyramids of the named sets / folders."""
        base = cache_dir(cache)
        images: list[_Image] = []
        entries = []
        for label, paths in resolve_train_sets(names, root):
            key, desc = cache_key(paths, aug_scales)
            safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in label)
            target = base / f"{safe}-{key[:16]}"
            if not (target / "meta.json").is_file():
                if target.exists():  # a folder without meta.json is not an entry: an interrupted copy
                    _discard(target)
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                except OSError as err:
                    raise output_error(target.parent, err, "write the training cache into") from err
                _build_entry(label, paths, aug_scales, target, desc, workers, progress)
            try:
                images += cls._load_entry(target, preload)
            except CorruptFileError as err:
                print(f"srlib: {one_line(str(err))}; rebuilding it", file=sys.stderr, flush=True)
                _discard(target)
                _build_entry(label, paths, aug_scales, target, desc, workers, progress)
                images += cls._load_entry(target, preload)
            entries.append({"set": label, "images": len(paths), "cache": str(target), "key": key})
        return cls(images, {"sets": entries, "aug_scales": list(aug_scales)})

    @classmethod
    def from_config(cls, config, progress: bool | None = None) -> "TrainingSet":
        return cls.from_sets(config.train_sets, config.aug_scales, root=config.data_root or None,
                             cache=config.cache_dir or None, workers=config.workers, preload=config.preload,
                             progress=config.progress if progress is None else progress)

    @staticmethod
    def _load_entry(folder: Path, preload: bool) -> list[_Image]:
        """The images of a cache entry; raises CorruptFileError when it is damaged (checksums,
        unreadable files, sizes that do not add up)."""
        def damaged(reason: str) -> CorruptFileError:
            return CorruptFileError(folder, "training cache entry", reason, "it is rebuilt from the images")

        try:
            meta = json.loads((folder / "meta.json").read_text())
        except (OSError, ValueError) as err:
            raise damaged(f"meta.json: {err}") from err
        if not isinstance(meta, dict) or not isinstance(meta.get("sources"), list):
            raise damaged("meta.json has no list of sources")
        expected = meta.get("checksums")
        if expected is not None:
            try:
                found = _checksums(folder)
            except OSError as err:
                raise damaged(str(err)) from err
            bad = [name for name in _array_files() if found.get(name) != expected.get(name)]
            if bad:
                raise damaged(f"sha256 of {', '.join(bad)} differs from meta.json")
        try:
            shapes = np.load(folder / "shapes.npy")
            flats = {d: np.load(folder / f"pyr{d}.npy", mmap_mode=None if preload else "r") for d in PYRAMID}
        except (OSError, ValueError, EOFError) as err:
            raise damaged(f"{type(err).__name__}: {err}") from err
        if shapes.ndim != 2 or shapes.shape != (len(meta["sources"]), 3):
            raise damaged(f"shapes.npy is {shapes.shape}, expected ({len(meta['sources'])}, 3)")
        for d in PYRAMID:
            need = int(sum((h // d) * (w // d) * c for h, w, c in shapes.tolist()))
            if flats[d].size != need or flats[d].dtype != np.uint8:
                raise damaged(f"pyr{d}.npy holds {flats[d].size} {flats[d].dtype} values, expected {need} uint8")
        if expected is None:  # an entry from before the checksums: consistent, so adopt it
            try:
                meta["checksums"] = _checksums(folder)
                tmp = folder / f".meta.json.{uuid.uuid4().hex[:8]}"
                tmp.write_text(json.dumps(meta, indent=1))
                os.replace(tmp, folder / "meta.json")
            except OSError:
                pass  # a read-only cache is still usable
        offsets = {d: 0 for d in PYRAMID}
        images = []
        for name, (h, w, c) in zip(meta["sources"], shapes.tolist()):
            levels = {}
            for d in PYRAMID:
                hd, wd = h // d, w // d
                n = hd * wd * c
                levels[d] = flats[d][offsets[d]:offsets[d] + n].reshape(hd, wd, c)
                offsets[d] += n
            images.append(_Image(name, levels))
        return images

    # -------------------------------------------------------------------- sampling
    def eligible(self, scale: int, patch: int) -> tuple[np.ndarray, np.ndarray]:
        """Indices of images with room for an LR patch at ``scale`` and their sampling weights
        (number of patch positions: uniform over all patches of the set)."""
        idx, weights = [], []
        for i, im in enumerate(self.images):
            h, w = im.levels[scale].shape[:2]
            if h >= patch and w >= patch:
                idx.append(i)
                weights.append((h - patch + 1) * (w - patch + 1))
        if not idx:
            raise ValueError(f"no training image is large enough for {patch}x{patch} LR patches at x{scale}")
        weights = np.asarray(weights, dtype=np.float64)
        return np.asarray(idx), weights / weights.sum()

    def patches_per_epoch(self, scale: int, patch: int) -> int:
        """Non-overlapping LR patches in the (augmented) set: the length of one epoch."""
        total = 0
        for im in self.images:
            h, w = im.levels[scale].shape[:2]
            total += (h // patch) * (w // patch)
        return max(total, 1)


class PatchBatches(torch.utils.data.Dataset):
    """Map-style dataset whose item ``step`` is the whole batch of that step.

    Item: ``{"lr": uint8 (B, 3, p, p), "targets": [uint8 (B, 3, p*f, p*f) for f in factors]}``,
    where ``factors`` are the target upscaling factors (e.g. ``(2, 4)`` for both levels of a x4
    stage or ``(4,)`` for its final output only).
    """

    def __init__(self, data: TrainingSet, scale: int, patch: int, batch: int, seed: int, rank: int = 0,
                 augment: bool = True, factors: Sequence[int] | None = None, length: int = 2**62):
        if scale not in PYRAMID[1:]:
            raise ValueError(f"training pyramids hold x2, x4 and x8 downscales; got scale {scale}")
        self.data, self.scale, self.patch, self.batch = data, scale, patch, batch
        self.seed, self.rank, self.augment, self.length = seed, rank, augment, length
        self.factors = tuple(factors) if factors else (scale,)
        for f in self.factors:
            if scale % f or f < 1:
                raise ValueError(f"target factor {f} does not divide the scale {scale}")
        self.indices, self.weights = data.eligible(scale, patch)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, step: int) -> dict:
        rng = np.random.default_rng([int(self.seed), 0x5EED, int(self.rank), int(step)])
        chosen = rng.choice(self.indices, size=self.batch, p=self.weights)
        p, s = self.patch, self.scale
        lrs, tgts = [], [[] for _ in self.factors]
        for i in chosen:
            im = self.data.images[int(i)]
            h, w = im.levels[s].shape[:2]
            y, x = int(rng.integers(0, h - p + 1)), int(rng.integers(0, w - p + 1))
            k, flip_h, flip_v = int(rng.integers(0, 4)), bool(rng.random() < 0.5), bool(rng.random() < 0.5)
            crops = [im.levels[s][y:y + p, x:x + p]]
            for f in self.factors:
                d = s // f
                crops.append(im.levels[d][y * f:(y + p) * f, x * f:(x + p) * f])
            if self.augment:
                crops = [_augment(c, k, flip_h, flip_v) for c in crops]
            lrs.append(crops[0])
            for j, c in enumerate(crops[1:]):
                tgts[j].append(c)
        to_t = lambda arrs: torch.from_numpy(np.ascontiguousarray(np.stack(arrs).transpose(0, 3, 1, 2)))  # noqa: E731
        return {"lr": to_t(lrs), "targets": [to_t(t) for t in tgts]}


def _augment(img: np.ndarray, k: int, flip_h: bool, flip_v: bool) -> np.ndarray:
    if k:
        img = np.rot90(img, k, axes=(0, 1))
    if flip_h:
        img = img[:, ::-1]
    if flip_v:
        img = img[::-1]
    return img


def to_float(batch: torch.Tensor, device: torch.device, in_channels: int, channels_last: bool) -> torch.Tensor:
    """uint8 ``(B, 3, h, w)`` patches -> float [0, 1] on ``device`` (Y only for a 1-channel model)."""
    x = batch.to(device, non_blocking=True).float().div_(255.0)
    if in_channels == 1 and x.shape[1] == 3:
        x = rgb_to_y_tensor(x)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x
