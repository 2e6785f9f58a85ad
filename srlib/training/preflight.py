"""What a training run needs, checked before its first step, so it fails at once and not at the end.

:func:`check_run` raises (with the library's error types, see :mod:`srlib.errors`) when

* a validation set is unknown, a training set, or missing / incomplete under the data root;
* a training set or folder cannot be found (or is a benchmark: that would leak the test set);
* the ``init`` checkpoint of a new stage is missing, truncated or not an srlib checkpoint;
* the run folder cannot be written (checked with a probe file; the cache is built, or refused
  with the folder named, before the first step anyway).

It also removes the temporary files a killed writer left in the run folder (the caller holds the
run's lock, so no live writer owns them).

A run that would fail validation after an hour of training now fails in a second.
"""
from __future__ import annotations

from pathlib import Path

from ..data import dataset_paths, dataset_spec
from ..errors import InvalidValueError, check_writable
from ..runfolder import RunFolder, read_metadata
from . import checkpoint as ck
from .config import TrainConfig
from .data import resolve_train_sets

__all__ = ["check_run"]


def check_run(config: TrainConfig, out: Path, *, resume: bool, writer: bool = True, locked: bool = False,
              have_data: bool = False) -> None:
    """Check everything ``config`` will need when training into ``out`` (see the module docstring).

    ``writer``: this process writes the run (rank 0), so the folders must be writable.
    ``locked``: the caller holds the run's lock, so stray temporary files may be removed.
    ``have_data``: the caller passes the training images itself (``train(..., data=...)``), so
    ``config.train_sets`` are not looked up.
    """
    root = config.data_root or None
    if config.val_every != -1:
        for name in config.val_sets:
            spec = dataset_spec(name)  # UnknownNameError naming the known sets
            if spec.kind != "benchmark":
                raise InvalidValueError(f"val_sets: {spec.name} is a training set; validate on a benchmark "
                                        "(Set5, Set14, B100, Urban100, Manga109)")
            dataset_paths(spec.name, root)  # DatasetNotFoundError: missing / incomplete
    if not have_data:
        resolve_train_sets(config.train_sets, root)
    if config.init and not (resume and RunFolder(out).latest_checkpoint() is not None):
        init = Path(config.init)
        read_metadata(RunFolder(init).final_weights if init.is_dir() else init)  # FileNotFound / format error
    if writer:
        check_writable(out, "write the run into")
    if writer and locked:
        ck.remove_stray_temporaries(out)  # left by a killed writer; no live writer owns them
