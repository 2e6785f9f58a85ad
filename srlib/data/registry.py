"""Where each dataset lives under the data root, how many files it must have, where to get it.

The data root is ``$SRLIB_DATA_DIR`` or, when unset, ``./data``. Nothing is downloaded here
(``python -m srlib data fetch`` does that): a missing or incomplete dataset raises
:class:`DatasetNotFoundError`, whose message names the dataset, the folder searched, the expected
layout and where to obtain the files.

A folder must hold exactly the dataset's images: extra images would be averaged into the scores,
so a folder with too many is refused like one with too few, and the message names the files
missing from and unexpected in the manifest's list (:mod:`srlib.data.manifest`). A copy whose
file names are all different (renamed, or synthetic test data) is accepted when the count is
right; one where only some names differ (a file swapped for a stranger) is refused.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import SrlibError, UnknownNameError
from .manifest import expected_names

__all__ = ["DatasetSpec", "DatasetNotFoundError", "DATASETS", "data_root", "dataset_spec", "dataset_paths",
           "available_datasets", "BENCHMARKS", "TRAINING_SETS", "IMAGE_SUFFIXES"]

#: Suffixes of the image files a dataset or training folder may hold (case-insensitive).
IMAGE_SUFFIXES = (".png", ".bmp", ".jpg", ".jpeg", ".tif", ".tiff")


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset: its name, folder (relative to the data root), expected image count and source."""

    name: str
    kind: str  # 'benchmark' (HR test images) or 'train'
    folder: str
    count: int
    suffixes: tuple[str, ...]
    source: str

    def layout(self) -> str:
        exts = "/".join(s.lstrip(".") for s in self.suffixes)
        return f"<data root>/{self.folder}/*.{{{exts}}}  ({self.count} files)"


DATASETS: dict[str, DatasetSpec] = {
    spec.name.lower(): spec
    for spec in [
        DatasetSpec("Set5", "benchmark", "benchmark/Set5/HR", 5, (".png",),
                    "Bevilacqua et al. (BMVC 2012); the EDSR/BasicSR 'benchmark' HR copy, e.g. the "
                    "testsets/Set5/HR folder of the SwinIR or PAN GitHub repositories"),
        DatasetSpec("Set14", "benchmark", "benchmark/Set14/HR", 14, (".png",),
                    "Zeyde et al. (2010); the EDSR/BasicSR 'benchmark' HR copy (uncropped; bridge.png is grey)"),
        DatasetSpec("B100", "benchmark", "benchmark/B100/HR", 100, (".png",),
                    "the 100 BSDS300 test images (Martin et al., ICCV 2001), named by BSDS id; e.g. the "
                    "SelfExSR repository (jbhuang0604/SelfExSR, data/BSD100)"),
        DatasetSpec("Urban100", "benchmark", "benchmark/Urban100/HR", 100, (".png",),
                    "Huang et al. (CVPR 2015), the authors' SelfExSR repository (data/Urban100, image_SRF_4 "
                    "*_HR.png, not the half-size SRF_2 copies), named img001.png ... img100.png"),
        DatasetSpec("Manga109", "benchmark", "benchmark/Manga109/HR", 109, (".png",),
                    "Matsui et al. (2017), http://www.manga109.org (academic use only; RGB PNG copies are in "
                    "majedelhelou/denoising_datasets, CManga109/)"),
        DatasetSpec("T91", "train", "train/T91", 91, (".bmp", ".png"),
                    "Yang et al. (TIP 2010) 91 training images, e.g. jiny2001/dcscn-super-resolution data/yang91"),
        DatasetSpec("BSD200", "train", "train/BSD200", 200, (".png", ".jpg"),
                    "the 200 BSDS300 training images (the '291' set of VDSR/LapSRN with T91), e.g. "
                    "jiny2001/dcscn-super-resolution data/bsd200"),
        DatasetSpec("DIV2K", "train", "train/DIV2K/DIV2K_train_HR", 800, (".png",),
                    "Agustsson & Timofte (CVPRW 2017), https://data.vision.ee.ethz.ch/cvl/DIV2K/ "
                    "(DIV2K_train_HR.zip, 800 PNG)"),
    ]
}
BENCHMARKS = tuple(s.name for s in DATASETS.values() if s.kind == "benchmark")
TRAINING_SETS = tuple(s.name for s in DATASETS.values() if s.kind == "train")


class DatasetNotFoundError(SrlibError, FileNotFoundError):
    """A dataset is missing, incomplete or holds files that are not part of it, under the data root."""

    def __init__(self, spec: DatasetSpec, root: Path, found: int, missing: list[str] | None = None,
                 unexpected: list[str] | None = None):
        self.spec, self.root, self.found = spec, root, found
        self.missing, self.unexpected = list(missing or []), list(unexpected or [])
        folder = root / spec.folder
        if found == 0:
            state = "is missing"
        elif found < spec.count:
            state = f"is incomplete: {found} of {spec.count} images found"
        elif found > spec.count:
            state = f"has {found} images, {spec.count} expected (extra images would be averaged into the scores)"
        else:
            state = "holds images that are not part of it"
        details = "".join(f"  {label}: {_names(names)}\n" for label, names in
                          (("missing", self.missing), ("unexpected", self.unexpected)) if names and found)
        fetchable = expected_names(spec.folder) is not None
        super().__init__(
            f"dataset {spec.name} {state}.\n{details}"
            f"  searched: {folder}\n"
            f"  expected layout: {spec.layout()}\n"
            f"  data root: {root} (set SRLIB_DATA_DIR to change it)\n"
            f"  where to get it: {spec.source}\n"
            + ("  `python -m srlib data fetch` downloads it (sha256-verified); see data/README.md."
               if fetchable else "  It is not downloaded automatically; see data/README.md.")
        )


def _names(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def data_root(root: Path | str | None = None) -> Path:
    """The data root: ``root`` if given, else ``$SRLIB_DATA_DIR``, else ``./data``."""
    if root is not None:
        return Path(root)
    return Path(os.environ.get("SRLIB_DATA_DIR") or "data")


def dataset_spec(name: str) -> DatasetSpec:
    """The :class:`DatasetSpec` of ``name`` (case-insensitive; 'BSD100'/'BSDS100' mean B100)."""
    key = name.lower()
    key = {"bsd100": "b100", "bsds100": "b100"}.get(key, key)
    if key not in DATASETS:
        raise UnknownNameError(f"unknown dataset {name!r}; known: {', '.join(s.name for s in DATASETS.values())}")
    return DATASETS[key]


def dataset_paths(name: str, root: Path | str | None = None) -> list[Path]:
    """Sorted image paths of dataset ``name``; raises :class:`DatasetNotFoundError` unless the
    folder holds exactly the dataset's images (see the module's docstring)."""
    spec = dataset_spec(name)
    base = data_root(root)
    folder = base / spec.folder
    files = sorted(p for p in folder.glob("*") if p.suffix.lower() in spec.suffixes) if folder.is_dir() else []
    expected = expected_names(spec.folder)
    names = {p.name for p in files}
    missing = sorted(expected - names) if expected else []
    unexpected = sorted(names - expected) if expected else []
    renamed_copy = expected is not None and not (names & expected)
    if len(files) != spec.count or ((missing or unexpected) and not renamed_copy):
        raise DatasetNotFoundError(spec, base, len(files), missing, unexpected)
    return files


def available_datasets(root: Path | str | None = None) -> dict[str, bool]:
    """Which registered datasets are complete under the data root."""
    status = {}
    for spec in DATASETS.values():
        try:
            dataset_paths(spec.name, root)
            status[spec.name] = True
        except DatasetNotFoundError:
            status[spec.name] = False
    return status
