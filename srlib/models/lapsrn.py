"""LapSRN (Lai et al., CVPR 2017): Laplacian pyramid super-resolution network."""
from __future__ import annotations

import torch
import torch.nn as nn

from .registry import register_model


def _bilinear_kernel(channels: int, size: int) -> torch.Tensor:
    """A (channels, channels, size, size) transposed-conv weight doing per-channel bilinear upsampling."""
    factor = (size + 1) // 2
    center = factor - 1 if size % 2 == 1 else factor - 0.5
    og = torch.arange(size, dtype=torch.float64)
    filt1d = 1 - (og - center).abs() / factor
    filt = (filt1d[:, None] * filt1d[None, :]).float()
    weight = torch.zeros(channels, channels, size, size)
    for c in range(channels):
        weight[c, c] = filt
    return weight


class LapSRN(nn.Module):
    """LapSRN: W.-S. Lai, J.-B. Huang, N. Ahuja, M.-H. Yang, "Deep Laplacian pyramid networks
    for fast and accurate super-resolution", CVPR 2017.

    One pyramid level per x2 (``log2(scale)`` levels, no weight sharing between levels). An input
    Conv3x3(in_channels -> 64) + LeakyReLU(0.2) on the LR image, then at every level:

    * feature branch: ``depth`` (10) x [Conv3x3(64 -> 64) + LeakyReLU] and a 4x4 stride-2
      transposed convolution (64 -> 64) + LeakyReLU that upsamples the features x2;
    * residual: Conv3x3(64 -> in_channels) on the upsampled features;
    * image branch: a 4x4 stride-2 transposed convolution (in_channels -> in_channels,
      bilinear initialisation) upsamples the previous level's image; the level's output is
      that image plus the residual.

    Input: the LR image (``pre_upsample = False``), ``(N, in_channels, H, W)``. Output: the last
    level's image ``(N, in_channels, H*scale, W*scale)``; :meth:`forward_pyramid` returns every
    level (x2, x4, ...) for the multi-level loss.

    Parameters: Table VI of the CSRCNN paper gives 437K / 874K / 1310K at x2 / x4 / x8, i.e.
    ~436.7K per level and almost nothing else; that is matched by RGB (``in_channels=3``) without
    biases (the layout of the common PyTorch re-implementation), the default here:
    437,776 (x2), 873,824 (x4), 1,309,872 (x8). The LapSRN paper's Y-channel network with
    biases (``in_channels=1, bias=True``) has 436,114 / 871,588 / 1,307,062.
    """

    pre_upsample = False

    def __init__(self, scale: int = 4, in_channels: int = 3, features: int = 64, depth: int = 10,
                 bias: bool = False):
        super().__init__()
        levels = scale.bit_length() - 1
        if scale < 2 or 2 ** levels != scale:
            raise ValueError(f"LapSRN needs a power-of-two scale, got {scale}")
        self.scale = scale
        self.in_channels = in_channels
        self.levels = levels

        def act() -> nn.Module:
            return nn.LeakyReLU(0.2, inplace=True)

        self.entry = nn.Sequential(nn.Conv2d(in_channels, features, 3, padding=1, bias=bias), act())
        self.features = nn.ModuleList()
        self.residuals = nn.ModuleList()
        self.image_up = nn.ModuleList()
        for _ in range(levels):
            branch: list[nn.Module] = []
            for _ in range(depth):
                branch += [nn.Conv2d(features, features, 3, padding=1, bias=bias), act()]
            branch += [nn.ConvTranspose2d(features, features, 4, stride=2, padding=1, bias=bias), act()]
            self.features.append(nn.Sequential(*branch))
            self.residuals.append(nn.Conv2d(features, in_channels, 3, padding=1, bias=bias))
            self.image_up.append(nn.ConvTranspose2d(in_channels, in_channels, 4, stride=2, padding=1,
                                                    bias=bias))
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(module.weight, a=0.2)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
        with torch.no_grad():
            for up in self.image_up:
                up.weight.copy_(_bilinear_kernel(in_channels, 4))

    def forward_pyramid(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The image of every level: ``[x2, x4, ..., x scale]``."""
        feats = self.entry(x)
        image = x
        outputs = []
        for branch, residual, up in zip(self.features, self.residuals, self.image_up):
            feats = branch(feats)
            image = up(image) + residual(feats)
            outputs.append(image)
        return outputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_pyramid(x)[-1]


@register_model("lapsrn")
def lapsrn(scale: int = 4, in_channels: int = 3, **kwargs) -> LapSRN:
    """LapSRN with one 10-conv level per x2 on the LR image."""
    return LapSRN(scale=scale, in_channels=in_channels, **kwargs)
