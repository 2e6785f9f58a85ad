"""The training loss of the paper (Sec. III-C, equations (6)-(8)) and its L1 / L2 schedule.

* Equation (6), :func:`mse_loss`: the mean squared error (L2) between an output image and its
  target, averaged over the batch and the pixels.
* Equation (7), :func:`mae_loss`: the mean absolute error (L1), likewise.
* Equation (8), :func:`cascade_loss`: the cascade's loss, ``f`` (L1 or L2) summed over the levels
  ``s`` whose outputs are supervised, each against its own target (the HR patch bicubic-downscaled
  to that level's size). With ``loss_levels='final'`` only the last level is supervised (the
  text); with ``'all'`` every level is (the equation).
* :func:`loss_kind_at`: which ``f`` a step uses. "We first train the network with L1 loss and then
  fine-tune it by alternately using L2 and L1 losses": ``l1_then_alternate`` (L1 for the first
  ``l1_fraction`` of the steps, then segments of ``alternate_every`` steps, L2 first).

Images are float tensors ``(B, C, h_s, w_s)`` on the [0, 1] scale; outputs may be bfloat16 (AMP)
and are compared in float32. The losses return a 0-dimensional float32 tensor.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch

from .config import TrainConfig

__all__ = ["mse_loss", "mae_loss", "PIXEL_LOSSES", "cascade_loss", "loss_kind_at"]


def mse_loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Equation (6): mean squared error (L2) of ``output`` against ``target`` (same shape)."""
    return (output.float() - target).pow(2).mean()


def mae_loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Equation (7): mean absolute error (L1) of ``output`` against ``target`` (same shape)."""
    return (output.float() - target).abs().mean()


#: ``f`` of equation (8) by the name the schedule uses.
PIXEL_LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {"l1": mae_loss, "l2": mse_loss}


def cascade_loss(outputs: Sequence[torch.Tensor], targets: Sequence[torch.Tensor], kind: str) -> torch.Tensor:
    """Equation (8): ``sum_s f(output_s, target_s)`` over the supervised levels, ``f`` = ``kind``.

    Args:
        outputs: the network's images of every level, smallest first (x2, x4, ...).
        targets: one target per supervised level, smallest first; they pair with the *last*
            ``len(targets)`` outputs (one target: the final output only).
        kind: ``'l1'`` (equation 7) or ``'l2'`` (equation 6).
    """
    f = PIXEL_LOSSES[kind]
    loss = targets[0].new_zeros(())
    for output, target in zip(list(outputs)[-len(targets):], targets):
        loss = loss + f(output, target)
    return loss


def loss_kind_at(config: TrainConfig, step: int) -> str:
    """``'l1'`` or ``'l2'`` for step ``step`` (0-based) of ``config``'s loss schedule."""
    if config.loss_schedule != "l1_then_alternate":
        return config.loss_schedule
    start = int(round(config.l1_fraction * config.steps))
    if step < start:
        return "l1"
    return "l2" if ((step - start) // config.alternate_every) % 2 == 0 else "l1"
