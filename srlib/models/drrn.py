"""DRRN (Tai et al., CVPR 2017): deep recursive residual network, B1U25."""
from __future__ import annotations

import torch
import torch.nn as nn

from .registry import register_model


class DRRN(nn.Module):
    """DRRN: Y. Tai, J. Yang, X. Liu, "Image super-resolution via deep recursive residual
    network", CVPR 2017.

    ``blocks`` (B) recursive blocks; each starts with its own Conv3x3 (ReLU pre-activation
    except on the image) to 128 channels, giving H_0, followed by ``units`` (U) residual units
    that all share one pair of pre-activation convolutions:
    ``H_u = conv_b(relu(conv_a(relu(H_{u-1})))) + H_0``. A final ReLU + Conv3x3 back to image
    channels predicts the residual, added to the input (global residual learning). No batch
    normalisation. Defaults: the paper's DRRN_B1U25 (52 conv layers deep).

    Input: the LR image bicubic-upsampled to HR size by the caller (``pre_upsample = True``),
    ``(N, in_channels, H*scale, W*scale)``; ``in_channels`` is the number of image channels.
    Output: the HR image, same shape. ``scale`` does not change the network.

    Parameters (weights + biases): 302,211 at x2, x4 and x8 with the default ``in_channels=3``;
    this is the "302K" of Table VI of the CSRCNN paper, which implies RGB input/output (the DRRN
    paper's Y-channel network has 297,601, its "297K").
    """

    pre_upsample = True

    def __init__(self, scale: int = 4, in_channels: int = 3, features: int = 128,
                 blocks: int = 1, units: int = 25):
        super().__init__()
        self.scale = scale
        self.in_channels = in_channels
        self.units = units
        self.entry = nn.ModuleList(
            nn.Conv2d(in_channels if b == 0 else features, features, 3, padding=1) for b in range(blocks)
        )
        self.unit_a = nn.ModuleList(nn.Conv2d(features, features, 3, padding=1) for _ in range(blocks))
        self.unit_b = nn.ModuleList(nn.Conv2d(features, features, 3, padding=1) for _ in range(blocks))
        self.exit = nn.Conv2d(features, in_channels, 3, padding=1)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for b, entry in enumerate(self.entry):
            h0 = entry(h if b == 0 else self.relu(h))
            h = h0
            for _ in range(self.units):
                h = self.unit_b[b](self.relu(self.unit_a[b](self.relu(h)))) + h0
        return x + self.exit(self.relu(h))


@register_model("drrn")
def drrn(scale: int = 4, in_channels: int = 3, **kwargs) -> DRRN:
    """DRRN B1U25 with 128 channels; input is bicubic-upsampled to HR size."""
    return DRRN(scale=scale, in_channels=in_channels, **kwargs)
