"""VDSR (Kim et al., CVPR 2016): 20 layers, 64 channels, global residual learning."""
from __future__ import annotations

import torch
import torch.nn as nn

from .registry import register_model


class VDSR(nn.Module):
    """VDSR: J. Kim, J. K. Lee, K. M. Lee, "Accurate image super-resolution using very deep
    convolutional networks", CVPR 2016.

    ``depth`` (20) 3x3 convolutions with 64 channels and ReLU between them; the network
    predicts the residual, which is added to its input (global residual learning).

    Input: the LR image bicubic-upsampled to HR size by the caller (``pre_upsample = True``),
    ``(N, in_channels, H*scale, W*scale)``; ``in_channels`` is the number of image channels
    (1 = Y as in the VDSR paper, 3 = RGB). Output: the HR image, same shape. ``scale`` does not
    change the network (one VDSR serves all scales).

    Parameters: the default (``in_channels=3, bias=False``) has 667,008 at x2, x4 and x8, the
    "667K" of Table VI of the CSRCNN paper, which implies an RGB network without biases (the
    layout of the common PyTorch re-implementations). The VDSR paper's own Y-channel network with
    biases (``in_channels=1, bias=True``) has 665,921 (RGB with biases: 668,227).
    """

    pre_upsample = True

    def __init__(self, scale: int = 4, in_channels: int = 3, depth: int = 20, features: int = 64,
                 bias: bool = False):
        super().__init__()
        self.scale = scale
        self.in_channels = in_channels
        layers: list[nn.Module] = [nn.Conv2d(in_channels, features, 3, padding=1, bias=bias),
                                   nn.ReLU(inplace=True)]
        for _ in range(depth - 2):
            layers += [nn.Conv2d(features, features, 3, padding=1, bias=bias), nn.ReLU(inplace=True)]
        layers.append(nn.Conv2d(features, in_channels, 3, padding=1, bias=bias))
        self.body = nn.Sequential(*layers)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


@register_model("vdsr")
def vdsr(scale: int = 4, in_channels: int = 3, **kwargs) -> VDSR:
    """VDSR-20; input is bicubic-upsampled to HR size."""
    return VDSR(scale=scale, in_channels=in_channels, **kwargs)
