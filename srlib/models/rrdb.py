"""RRDB network: the ESRGAN generator (Wang et al., ECCV Workshops 2018)."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .registry import register_model


class ResidualDenseBlock(nn.Module):
    """Five densely connected 3x3 convolutions (growth ``growth``), LeakyReLU(0.2), residual scaling ``beta``."""

    def __init__(self, features: int = 64, growth: int = 32, beta: float = 0.2):
        super().__init__()
        self.beta = beta
        self.convs = nn.ModuleList(
            nn.Conv2d(features + i * growth, growth if i < 4 else features, 3, padding=1) for i in range(5)
        )
        self.act = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [x]
        for i, conv in enumerate(self.convs):
            out = conv(torch.cat(feats, 1))
            if i < 4:
                feats.append(self.act(out))
        return x + self.beta * out


class RRDB(nn.Module):
    """Residual-in-residual dense block: three RDBs and an outer residual scaled by ``beta``."""

    def __init__(self, features: int = 64, growth: int = 32, beta: float = 0.2):
        super().__init__()
        self.beta = beta
        self.blocks = nn.Sequential(*(ResidualDenseBlock(features, growth, beta) for _ in range(3)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.beta * self.blocks(x)


class RRDBNet(nn.Module):
    """RRDB network: X. Wang, K. Yu, S. Wu, J. Gu, Y. Liu, C. Dong, Y. Qiao, C. C. Loy,
    "ESRGAN: Enhanced super-resolution generative adversarial networks", ECCV Workshops 2018
    (the generator, which trained with L1 alone is the PSNR-oriented "RRDB" model).

    Conv3x3(in -> 64), 23 RRDBs (each three 5-conv residual dense blocks, growth 32, residual
    scaling 0.2), Conv3x3 + long skip; then per x2 a nearest-neighbour x2 upsample +
    Conv3x3(64 -> 64) + LeakyReLU(0.2); finally Conv3x3 + LeakyReLU and Conv3x3(64 -> in).

    Input: the LR image (``pre_upsample = False``), ``(N, in_channels, H, W)``, RGB by default.
    Output: ``(N, in_channels, H*scale, W*scale)``; ``scale`` must be a power of two.

    Parameters (weights + biases, RGB): 16,661,059 (x2), 16,697,987 (x4), 16,734,915 (x8):
    one architecture plus one 36,928-parameter upsampling conv per x2, exactly the 16661K /
    16698K / 16735K of Table VI of the CSRCNN paper (RGB, as ESRGAN).
    """

    pre_upsample = False

    def __init__(self, scale: int = 4, in_channels: int = 3, features: int = 64, blocks: int = 23,
                 growth: int = 32):
        super().__init__()
        levels = scale.bit_length() - 1
        if scale < 2 or 2 ** levels != scale:
            raise ValueError(f"RRDBNet needs a power-of-two scale, got {scale}")
        self.scale = scale
        self.in_channels = in_channels
        self.conv_first = nn.Conv2d(in_channels, features, 3, padding=1)
        self.body = nn.Sequential(*(RRDB(features, growth) for _ in range(blocks)))
        self.conv_body = nn.Conv2d(features, features, 3, padding=1)
        self.upconvs = nn.ModuleList(nn.Conv2d(features, features, 3, padding=1) for _ in range(levels))
        self.conv_hr = nn.Conv2d(features, features, 3, padding=1)
        self.conv_last = nn.Conv2d(features, in_channels, 3, padding=1)
        self.act = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.conv_first(x)
        feat = feat + self.conv_body(self.body(feat))
        for conv in self.upconvs:
            feat = self.act(conv(F.interpolate(feat, scale_factor=2, mode="nearest")))
        return self.conv_last(self.act(self.conv_hr(feat)))


@register_model("rrdb")
def rrdb(scale: int = 4, in_channels: int = 3, **kwargs) -> RRDBNet:
    """ESRGAN's RRDB generator (23 RRDBs, 64 channels, growth 32) on the LR image."""
    return RRDBNet(scale=scale, in_channels=in_channels, **kwargs)
