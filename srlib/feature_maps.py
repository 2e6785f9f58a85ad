"""Channel-averaged feature maps of a trained CSRCNN (Figure 6)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .inference import load_checkpoint

__all__ = ["average_feature_maps"]


def average_feature_maps(weights: Path | str, image: np.ndarray, device: str = "cpu") -> dict[str, np.ndarray]:
    """Channel-averaged feature maps of every stage of a trained CSRCNN for one LR image.

    Args:
        weights: a CSRCNN checkpoint written by the training engine.
        image: the LR input, uint8 ``H x W x 3``.

    Returns:
        ``{'level1/u': H x W, 'level1/up': 2H x 2W, 'level1/hr': ..., 'level2/u': ...}`` (float
        arrays, the mean over the N channels of :meth:`CSRCNN.feature_maps`), in network order.
    """
    loaded = load_checkpoint(weights, device=device)
    net = getattr(loaded.model, "model", loaded.model)
    if not hasattr(net, "feature_maps"):
        raise TypeError(f"{weights} is a {loaded.name} checkpoint; feature maps need a CSRCNN")
    x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float()[None] / 255.0
    with torch.inference_mode():
        maps = net.feature_maps(x.to(next(net.parameters()).device))
    return {k: v[0].float().mean(dim=0).cpu().numpy() for k, v in maps.items()}
