"""EDSR (Lim et al., CVPR Workshops 2017), the large single-scale model."""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from .registry import register_model

#: DIV2K RGB mean (in [0, 1]) subtracted at the input and added back at the output.
DIV2K_MEAN = (0.4488, 0.4371, 0.4040)


class ResBlock(nn.Module):
    """Conv3x3 - ReLU - Conv3x3, no batch normalisation, residual scaled by ``res_scale``."""

    def __init__(self, features: int, res_scale: float):
        super().__init__()
        self.res_scale = res_scale
        self.body = nn.Sequential(nn.Conv2d(features, features, 3, padding=1), nn.ReLU(inplace=True),
                                  nn.Conv2d(features, features, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.res_scale * self.body(x)


class EDSR(nn.Module):
    """EDSR: B. Lim, S. Son, H. Kim, S. Nah, K. M. Lee, "Enhanced deep residual networks for
    single image super-resolution", CVPR Workshops 2017 (the large baseline, not the 16-block
    "EDSR baseline").

    Mean shift, Conv3x3(in -> 256), 32 residual blocks (256 channels, residual scaling 0.1),
    Conv3x3 + long skip, a scale-specific sub-pixel upsampler (per x2: Conv3x3(256 -> 1024) +
    PixelShuffle(2); x3: Conv3x3(256 -> 2304) + PixelShuffle(3)), Conv3x3(256 -> in), mean shift
    back. The mean shifts are fixed buffers, not parameters.

    Input: the LR image (``pre_upsample = False``), ``(N, in_channels, H, W)``, RGB in [0, 1] by
    default. Output: ``(N, in_channels, H*scale, W*scale)``; ``scale`` is a power of two or 3.

    Parameters (weights + biases, RGB): 40,729,603 (x2), 43,089,923 (x4), 45,450,243 (x8); the
    EDSR paper reports 43M for its x4 model (x2 model: 40.7M); the x8 model has one more
    upsampling stage.
    """

    pre_upsample = False

    def __init__(self, scale: int = 4, in_channels: int = 3, features: int = 256, blocks: int = 32,
                 res_scale: float = 0.1):
        super().__init__()
        self.scale = scale
        self.in_channels = in_channels
        mean = torch.tensor(DIV2K_MEAN if in_channels == 3 else (0.5,) * in_channels)
        self.register_buffer("mean", mean.view(1, in_channels, 1, 1), persistent=False)
        self.head = nn.Conv2d(in_channels, features, 3, padding=1)
        self.body = nn.Sequential(*(ResBlock(features, res_scale) for _ in range(blocks)),
                                  nn.Conv2d(features, features, 3, padding=1))
        up: list[nn.Module] = []
        if scale == 3:
            up += [nn.Conv2d(features, 9 * features, 3, padding=1), nn.PixelShuffle(3)]
        else:
            levels = int(math.log2(scale)) if scale >= 2 else -1
            if levels < 1 or 2 ** levels != scale:
                raise ValueError(f"EDSR needs scale 3 or a power of two, got {scale}")
            for _ in range(levels):
                up += [nn.Conv2d(features, 4 * features, 3, padding=1), nn.PixelShuffle(2)]
        self.upsample = nn.Sequential(*up)
        self.tail = nn.Conv2d(features, in_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.head(x - self.mean)
        feat = feat + self.body(feat)
        return self.tail(self.upsample(feat)) + self.mean


@register_model("edsr")
def edsr(scale: int = 4, in_channels: int = 3, **kwargs) -> EDSR:
    """EDSR (32 resblocks, 256 channels, residual scaling 0.1) with an x-specific upsampler."""
    return EDSR(scale=scale, in_channels=in_channels, **kwargs)
