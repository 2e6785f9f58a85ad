"""DRCN (Kim et al., CVPR 2016): deeply-recursive convolutional network."""
from __future__ import annotations

import torch
import torch.nn as nn

from .registry import register_model


class DRCN(nn.Module):
    """DRCN: J. Kim, J. K. Lee, K. M. Lee, "Deeply-recursive convolutional network for image
    super-resolution", CVPR 2016.

    * embedding net: Conv3x3(in_channels -> 256) + ReLU, Conv3x3(256 -> 256) + ReLU;
    * inference net: ONE Conv3x3(256 -> 256) + ReLU applied ``recursions`` (16) times with shared
      weights, giving H_1 .. H_16;
    * reconstruction net (shared by all recursions): Conv3x3(256 -> 256) + ReLU,
      Conv3x3(256 -> in_channels);
    * recursive supervision + skip: each recursion gives a prediction
      ``y_d = recon(H_d) + x``; the output is ``sum_d w_d * y_d`` with 16 learned weights
      (initialised to 1/16).

    Input: the LR image bicubic-upsampled to HR size by the caller (``pre_upsample = True``),
    ``(N, in_channels, H*scale, W*scale)``; ``in_channels`` is the number of image channels.
    Output: the HR image, same shape. :meth:`forward_all` also returns the 16 intermediate
    predictions (for the recursive-supervision loss); after ``forward`` they are not kept.
    ``scale`` does not change the network.

    Parameters (weights + biases + the 16 ensemble weights): 1,784,339 at x2, x4 and x8 with the
    default ``in_channels=3``; this is the "1784K" of Table VI of the CSRCNN paper, which
    implies RGB input/output. The DRCN paper's Y-channel network has 1,775,121.
    """

    pre_upsample = True

    def __init__(self, scale: int = 4, in_channels: int = 3, features: int = 256,
                 recursions: int = 16):
        super().__init__()
        self.scale = scale
        self.in_channels = in_channels
        self.recursions = recursions
        self.embed = nn.Sequential(
            nn.Conv2d(in_channels, features, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(features, features, 3, padding=1), nn.ReLU(inplace=True),
        )
        self.inference = nn.Conv2d(features, features, 3, padding=1)
        self.reconstruct = nn.Sequential(
            nn.Conv2d(features, features, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(features, in_channels, 3, padding=1),
        )
        self.relu = nn.ReLU(inplace=True)
        self.ensemble_weights = nn.Parameter(torch.full((recursions,), 1.0 / recursions))

    def _predictions(self, x: torch.Tensor):
        h = self.embed(x)
        for d in range(self.recursions):
            h = self.relu(self.inference(h))
            yield d, self.reconstruct(h) + x

    def forward_all(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """``(output, [y_1, ..., y_D])``: the weighted output and every intermediate prediction."""
        preds = [y for _, y in self._predictions(x)]
        out = sum(w * y for w, y in zip(self.ensemble_weights, preds))
        return out, preds

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Accumulate the weighted sum on the fly so that only one prediction is alive at a time.
        out = None
        for d, y in self._predictions(x):
            term = self.ensemble_weights[d] * y
            out = term if out is None else out + term
        return out


@register_model("drcn")
def drcn(scale: int = 4, in_channels: int = 3, **kwargs) -> DRCN:
    """DRCN with 16 recursions of a 256-channel conv; input is bicubic-upsampled to HR size."""
    return DRCN(scale=scale, in_channels=in_channels, **kwargs)
