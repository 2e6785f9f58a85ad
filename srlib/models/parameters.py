"""Counting a model's parameters (the one definition the profiling tables, the parameter-count
comparisons and the book use)."""
from __future__ import annotations

import torch.nn as nn

__all__ = ["count_parameters"]


def count_parameters(model: nn.Module, weights_only: bool = False, trainable_only: bool = False) -> int:
    """Number of parameters of ``model`` (shared parameters counted once).

    ``weights_only=True`` counts only multi-dimensional parameters (convolution / linear
    kernels), ignoring biases, PReLU slopes and scalar weights -- the convention of papers that
    count "weights" (FSRCNN's 12,464). ``trainable_only=True`` skips parameters that do not
    require gradients (frozen ones); every model of :mod:`srlib.models` trains all of its.
    """
    return sum(p.numel() for p in model.parameters()
               if (not weights_only or p.dim() > 1) and (not trainable_only or p.requires_grad))
