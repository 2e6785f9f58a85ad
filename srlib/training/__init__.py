"""Training engine: configuration and presets, the training data pipeline, checkpoints, the
curriculum loop and the ``train`` command. See ``docs/training.md``.

>>> from srlib.training import preset, train
>>> cfg = preset("quick", scale=2)                      # doctest: +SKIP
>>> result = train(cfg, "runs/x2")                      # doctest: +SKIP
"""
from __future__ import annotations

from .checkpoint import CheckpointMismatchError
from .config import PRESETS, RUNTIME_FIELDS, TrainConfig, config_diff, preset
from .data import PatchBatches, TrainingSet
from .engine import TrainingDivergedError, TrainResult, fade_alpha_at, loss_kind_at, lr_at, train, train_curriculum

__all__ = ["TrainConfig", "PRESETS", "RUNTIME_FIELDS", "preset", "config_diff", "TrainingSet", "PatchBatches",
           "train", "train_curriculum", "TrainResult", "TrainingDivergedError", "CheckpointMismatchError",
           "lr_at", "loss_kind_at", "fade_alpha_at"]
