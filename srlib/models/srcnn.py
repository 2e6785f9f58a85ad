"""SRCNN (Dong et al.), the 9-5-5 variant with 64/32 filters."""
from __future__ import annotations

import torch
import torch.nn as nn

from .registry import register_model


class SRCNN(nn.Module):
    """SRCNN: C. Dong, C. C. Loy, K. He, X. Tang, "Image super-resolution using deep
    convolutional networks", IEEE TPAMI 2016 (first version ECCV 2014).

    Three convolutions: 9x9 patch extraction (64 filters), 5x5 non-linear mapping (32
    filters), 5x5 reconstruction, ReLU after the first two (the paper's best "9-5-5" setting).

    Input: the LR image bicubic-upsampled to HR size by the caller (``pre_upsample = True``),
    ``(N, in_channels, H*scale, W*scale)``; ``in_channels = 1`` is the Y channel of YCbCr (the
    paper's setting), 3 would be RGB. Output: the HR image, same shape as the input. The original
    used 'valid' convolutions (output shrinks by 12 pixels); here every convolution is
    zero-padded ('same') so the output is at HR size, which changes no parameter count.
    ``scale`` is accepted for a uniform constructor but does not change the network.

    Parameters (weights + biases): 57,281 at x2, x4 and x8 with ``in_channels=1``; this is the
    convention of Table VI of the CSRCNN paper (57K at every scale). With RGB it would be 69,251.
    """

    pre_upsample = True

    def __init__(self, scale: int = 4, in_channels: int = 1, n1: int = 64, n2: int = 32,
                 f1: int = 9, f2: int = 5, f3: int = 5):
        super().__init__()
        self.scale = scale
        self.in_channels = in_channels
        self.conv1 = nn.Conv2d(in_channels, n1, f1, padding=f1 // 2)
        self.conv2 = nn.Conv2d(n1, n2, f2, padding=f2 // 2)
        self.conv3 = nn.Conv2d(n2, in_channels, f3, padding=f3 // 2)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        return self.conv3(x)


@register_model("srcnn")
def srcnn(scale: int = 4, in_channels: int = 1, **kwargs) -> SRCNN:
    """SRCNN 9-5-5 (Y channel by default); input is bicubic-upsampled to HR size."""
    return SRCNN(scale=scale, in_channels=in_channels, **kwargs)
