"""FSRCNN (Dong et al., ECCV 2016): d=56, s=12, m=4."""
from __future__ import annotations

import torch
import torch.nn as nn

from .registry import register_model


class FSRCNN(nn.Module):
    """FSRCNN: C. Dong, C. C. Loy, X. Tang, "Accelerating the super-resolution convolutional
    neural network", ECCV 2016.

    Feature extraction Conv(5, d) -> shrinking Conv(1, s) -> m x mapping Conv(3, s) ->
    expanding Conv(1, d) -> deconvolution Deconv(9, 1) with stride ``scale``; a per-channel PReLU
    follows every convolution except the deconvolution. Defaults are the paper's FSRCNN
    (d=56, s=12, m=4).

    Input: the LR image itself (``pre_upsample = False``), ``(N, in_channels, H, W)``;
    ``in_channels = 1`` is the Y channel (the paper's setting). Output:
    ``(N, in_channels, H*scale, W*scale)`` (padding 4, output_padding ``scale - 1``).

    Parameters: the FSRCNN paper counts convolution *weights* only (biases and PReLU slopes
    ignored): 25*d + d*s + 9*m*s^2 + s*d + 81*d = 12,464 for the Y channel, at every scale; that
    is the "12K" of Table VI of the CSRCNN paper. Counting everything (weights, biases, PReLU
    slopes) gives 12,809 at x2, x4 and x8.

    A plain ``nn.Module`` with a standard ``forward``: trainable by the training engine.
    """

    pre_upsample = False

    def __init__(self, scale: int = 4, in_channels: int = 1, d: int = 56, s: int = 12, m: int = 4):
        super().__init__()
        self.scale = scale
        self.in_channels = in_channels
        self.extract = nn.Sequential(nn.Conv2d(in_channels, d, 5, padding=2), nn.PReLU(d))
        layers: list[nn.Module] = [nn.Conv2d(d, s, 1), nn.PReLU(s)]
        for _ in range(m):
            layers += [nn.Conv2d(s, s, 3, padding=1), nn.PReLU(s)]
        layers += [nn.Conv2d(s, d, 1), nn.PReLU(d)]
        self.mapping = nn.Sequential(*layers)
        self.deconv = nn.ConvTranspose2d(d, in_channels, 9, stride=scale, padding=4,
                                         output_padding=scale - 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The paper's initialisation: He et al.'s PReLU-aware normal init (slope 0.25) for the
        convolutions, N(0, 0.001^2) for the deconvolution, zero biases."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, a=0.25, mode="fan_in", nonlinearity="leaky_relu")
                nn.init.zeros_(module.bias)
        nn.init.normal_(self.deconv.weight, 0.0, 0.001)
        nn.init.zeros_(self.deconv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.deconv(self.mapping(self.extract(x)))


@register_model("fsrcnn")
def fsrcnn(scale: int = 4, in_channels: int = 1, **kwargs) -> FSRCNN:
    """FSRCNN(56, 12, 4) on the LR image (Y channel by default)."""
    return FSRCNN(scale=scale, in_channels=in_channels, **kwargs)
