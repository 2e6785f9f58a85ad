"""What the book adds to the trainings of :mod:`srlib.training.runs`: the training options a
notebook's parameters give (:func:`run_options`) and cached benchmark scores of several runs
(:func:`evaluate_runs`)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd

from ..repository import resolve
from ..runfolder import weights_fingerprint
from .grid import EVAL_COLUMNS, evaluate_grid

__all__ = ["run_options", "evaluate_runs"]


def run_options(runs_dir: Path | str = "runs", device: str = "auto", data_dir: Path | str = "") -> dict[str, Any]:
    """The keyword arguments every training of a notebook shares (for :func:`curriculum_run`):
    where runs live, the device, no progress bars in the book, and the data root when a notebook's
    ``data_dir`` parameter sets one."""
    return dict(runs_dir=runs_dir, device=device, progress=False, **({"data_root": str(data_dir)} if data_dir else {}))


def evaluate_runs(runs: Iterable[tuple[str, int, Any]], *, datasets: Sequence[str], root: Path | str | None = None,
                  cache_dir: Path | str | None = "runs/cache/eval", device: str = "auto") -> pd.DataFrame:
    """:func:`evaluate_grid` of several trained runs: ``runs`` yields ``(method name, scale,
    run)`` (a :class:`RunRecord`); each is evaluated at its scale on ``datasets``, cached under
    ``cache_dir`` by the sha256 of its weights. One frame, one row per run x dataset."""
    frames = [evaluate_grid(run.upscaler(scale, device), method=method, datasets=datasets, scales=[scale], root=root,
                            cache_dir=resolve(cache_dir) if cache_dir else None,
                            cache_key=weights_fingerprint(run.weights))
              for method, scale, run in runs]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=EVAL_COLUMNS)
