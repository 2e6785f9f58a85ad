"""Function-preserving widening: start a wider network from a trained narrower one.

A CSRCNN of width ``N`` (every layer ``N`` feature maps, a dense group's inputs ``j * N``) is
copied into one of width ``N' > N`` so that the wider network computes *exactly* the same image:

* every channel dimension of a weight is either an image dimension (3, or 1 for a Y model: the
  same in both networks) or ``g`` groups of ``N`` channels (a concatenation of ``g`` feature
  maps). Old channel ``c`` of group ``g`` goes to position ``g * N' + c``: the old channels are
  the first ``N`` of each group and the concatenations line up;
* the weights from old inputs to old outputs are copied; the weights from the new inputs to
  the old outputs are **zero**, so the old channels never see the new ones and the output is
  unchanged; the new outputs keep the wider model's own initialisation, so they compute
  something and their (zero) outgoing weights receive gradients from the first step.

This is Net2Net's "wider" idea (Chen et al., 2016) in its zero-init form. It is how the CPU
campaign buys capacity without repeating a stage from scratch (``TrainConfig.init_widen``).
"""
from __future__ import annotations

from typing import Mapping

import torch
import torch.nn as nn

__all__ = ["widen_state_dict", "channel_map"]

#: Channel dimensions (output, input) of a weight, by module type; a transposed convolution
#: stores its weight as ``(in, out, k, k)``.
_CHANNEL_DIMS = {nn.Conv2d: (0, 1), nn.ConvTranspose2d: (1, 0)}


def channel_map(old_size: int, old_width: int, new_width: int) -> torch.Tensor:
    """Positions in the wider tensor of the ``old_size`` channels of the narrower one.

    ``old_size`` is an image dimension (kept as is) unless it is a multiple of ``old_width``.
    """
    if old_size % old_width:
        return torch.arange(old_size)
    idx = torch.arange(old_size)
    return (idx // old_width) * new_width + idx % old_width


def widen_state_dict(old: Mapping[str, torch.Tensor], model: nn.Module, old_width: int,
                     new_width: int) -> dict[str, torch.Tensor]:
    """A state dict for ``model`` (width ``new_width``) that computes what ``old`` computes.

    Args:
        old: the narrower model's state dict (same keys, width ``old_width``).
        model: the wider model, freshly initialised (its values fill the new channels).
        old_width, new_width: ``N`` and ``N'``, with ``0 < N < N'``.

    Raises:
        ValueError: widths not increasing, keys that differ, or a tensor whose shape is not
            the narrower form of the wider one's.
    """
    if not 0 < old_width < new_width:
        raise ValueError(f"widening needs 0 < old width < new width, got {old_width} -> {new_width}")
    own = model.state_dict()
    if set(old) != set(own):
        extra, missing = sorted(set(old) - set(own)), sorted(set(own) - set(old))
        raise ValueError(f"checkpoint and model differ in keys: extra {extra[:3]}, missing {missing[:3]}")
    dims = {}
    for name, module in model.named_modules():
        for cls, (out_dim, in_dim) in _CHANNEL_DIMS.items():
            if isinstance(module, cls):
                dims[f"{name}.weight"] = (out_dim, in_dim)
                dims[f"{name}.bias"] = (0, None)
    result = {}
    for key, target in own.items():
        source = old[key].to(target.dtype)
        if source.shape == target.shape and key not in dims:
            result[key] = source.clone()  # no channel dimension (e.g. a PReLU slope)
            continue
        if key not in dims:
            raise ValueError(f"{key}: cannot widen a {tuple(source.shape)} tensor that is not a convolution's")
        out_dim, in_dim = dims[key]
        out_map = channel_map(source.shape[out_dim], old_width, new_width)
        new = target.detach().clone()
        if in_dim is None:  # a bias
            new[out_map] = source
        else:
            in_map = channel_map(source.shape[in_dim], old_width, new_width)
            moved = new.movedim((out_dim, in_dim), (0, 1))  # a view: writes reach ``new``
            if moved.shape[0] <= int(out_map.max()) or moved.shape[1] <= int(in_map.max()):
                raise ValueError(f"{key}: checkpoint {tuple(source.shape)} does not fit model {tuple(target.shape)}")
            moved[out_map] = 0.0  # the old outputs read no new input ...
            moved[out_map[:, None], in_map[None, :]] = source.movedim((out_dim, in_dim), (0, 1))  # ... and the old ones as before
        if new.shape != target.shape:
            raise ValueError(f"{key}: shape changed while widening")
        result[key] = new
    return result
