"""The cost of a training step in floating-point operations: the measure of the campaign, the
ablation sets and the league (their records' ``train_flops``)."""
from __future__ import annotations

import torch

from ..models import build_model
from ..models.parameters import model_input_channels
from ..profiling import count_macs
from .config import TrainConfig

__all__ = ["training_flops_per_step"]


def training_flops_per_step(config: TrainConfig) -> float:
    """Estimated floating-point operations of one training step of ``config``'s model: forward
    multiply-accumulates of the convolutions on one batch of LR patches (counted by
    :func:`srlib.profiling.count_macs`), x2 FLOPs per MAC, x3 for forward + backward (the
    backward pass computes two products per forward one). Biases and activations are ignored."""
    name, kwargs = config.model_spec()
    net = build_model(name, **kwargs).eval()
    side = config.patch_size * config.scale if getattr(net, "pre_upsample", False) else config.patch_size
    x = torch.zeros(1, model_input_channels(net), side, side)  # a pre-upsampling network works at HR size
    with torch.no_grad(), count_macs(net) as macs:
        net(x)
    return 6.0 * macs[0] * config.batch_size
