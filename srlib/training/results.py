"""What a training stage produces besides its weights: :class:`TrainResult`, the divergence
error, and the CSV training log (:data:`LOG_COLUMNS`, :class:`CsvLog`)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import torch.nn as nn

from ..files import atomic_write

__all__ = ["LOG_COLUMNS", "TrainingDivergedError", "TrainResult", "CsvLog"]

#: Columns of a run's ``log.csv``. ``wall_time``: seconds since the run started (all pieces);
#: ``cpu_time``: CPU seconds of this process spent in training steps (all threads, all pieces;
#: validation excluded), the compute measure of the campaign's compute-fidelity curve.
LOG_COLUMNS = ["step", "epoch", "loss", "lr", "psnr", "ssim", "wall_time", "cpu_time", "loss_kind", "alpha",
               "patches_per_s"]


class TrainingDivergedError(RuntimeError):
    """The loss (or the weights) became NaN or infinite; the last good checkpoint is kept."""


@dataclass
class TrainResult:
    out_dir: Path
    step: int
    status: str  # 'completed' or 'killed' (stop_at, tests only)
    final_weights: Path | None = None
    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # val set -> {"psnr", "ssim"}
    wall_time: float = 0.0
    train_seconds: float = 0.0
    model: nn.Module | None = field(default=None, repr=False)
    step_seconds: list[float] = field(default_factory=list, repr=False)  # this session's steps

    @property
    def psnr(self) -> float | None:
        return next(iter(self.scores.values()))["psnr"] if self.scores else None


class CsvLog:
    """``log.csv``: rewritten up to ``resume_step`` (or header only), then appended row by row."""

    def __init__(self, path: Path, columns: list[str], resume_step: int | None):
        self.path, self.columns = path, columns
        rows: list[dict] = []
        if resume_step is not None and path.is_file():
            with open(path, newline="") as fh:
                rows = [r for r in csv.DictReader(fh) if r.get("step") and int(r["step"]) <= resume_step]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write(path, buf.getvalue().encode())

    def write(self, row: dict) -> None:
        with open(self.path, "a", newline="") as fh:
            csv.DictWriter(fh, fieldnames=self.columns, extrasaction="ignore").writerow(row)
