"""What a built model's layers say about it: its parameter count (the one definition the profiling
tables, the parameter-count comparisons and the book use) and the image channels it takes."""
from __future__ import annotations

import torch.nn as nn

__all__ = ["count_parameters", "model_input_channels"]


def count_parameters(model: nn.Module, weights_only: bool = False, trainable_only: bool = False) -> int:
    """Number of parameters of ``model`` (shared parameters counted once).

    ``weights_only=True`` counts only multi-dimensional parameters (convolution / linear
    kernels), ignoring biases, PReLU slopes and scalar weights -- the convention of papers that
    count "weights" (FSRCNN's 12,464). ``trainable_only=True`` skips parameters that do not
    require gradients (frozen ones); every model of :mod:`srlib.models` trains all of its.
    """
    return sum(p.numel() for p in model.parameters()
               if (not weights_only or p.dim() > 1) and (not trainable_only or p.requires_grad))


def model_input_channels(model: nn.Module, default: int | None = None) -> int:
    """Image channels a model expects (3 for RGB models, 1 for Y-channel ones).

    A wrapper with a ``.model`` (e.g. :class:`srlib.inference.FadeBlend`) is looked through; then
    ``model.config.in_channels``, ``model.in_channels`` or the first (transposed) convolution's
    input channels. A model with none of these gives ``default``, or a ``ValueError`` when
    ``default`` is ``None``.
    """
    model = getattr(model, "model", model)
    for owner in (getattr(model, "config", None), model):
        value = getattr(owner, "in_channels", None)
        if isinstance(value, int):
            return value
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            return module.in_channels
    if default is not None:
        return default
    raise ValueError(f"cannot infer the input channels of {type(model).__name__}; pass in_channels")
