"""The per-step schedules of a stage that are not the loss: the learning rate and the fade-in
weight of a new level (the L1 / L2 choice is :func:`srlib.training.loss.loss_kind_at`).

Steps are 0-based; ``config.steps`` is the stage's length.
"""
from __future__ import annotations

import math

from .config import TrainConfig

__all__ = ["lr_at", "fade_alpha_at"]


def lr_at(config: TrainConfig, step: int) -> float:
    """Learning rate of step ``step`` (0-based): linear warm-up, then ``'constant'``, ``'step'``
    (x ``lr_gamma`` at each milestone fraction of the steps) or ``'cosine'`` (down to ``lr_min``)."""
    base = config.lr
    if config.warmup_steps and step < config.warmup_steps:
        return base * (step + 1) / config.warmup_steps
    if config.lr_schedule == "constant":
        return base
    if config.lr_schedule == "step":
        passed = sum(step >= int(round(m * config.steps)) for m in config.lr_milestones)
        return base * config.lr_gamma ** passed
    span = max(1, config.steps - config.warmup_steps)
    t = min(1.0, max(0.0, (step - config.warmup_steps) / span))
    return config.lr_min + 0.5 * (base - config.lr_min) * (1 + math.cos(math.pi * t))


def fade_alpha_at(config: TrainConfig, step: int, fading: bool) -> float:
    """Weight in [0, 1] of the new level at step ``step`` (1 when not fading): a linear ramp
    over the first ``fade_fraction`` of the steps."""
    if not fading:
        return 1.0
    ramp = int(round(config.fade_fraction * config.steps))
    return 1.0 if ramp <= 0 else min(1.0, step / ramp)
