"""Building blocks of CSRCNN: activations, the BP-U block, the traditional U block (T-U),
the residual block and the refined block.

All blocks work on NCHW float feature maps and preserve the spatial size of their input for
*any* height and width (odd sizes and 1x1 included). Every choice the paper leaves open is
stated, with its reason, in ``book/architecture.md``.
"""
from __future__ import annotations

import torch
import torch.nn as nn

ACTIVATIONS = ("relu", "prelu", "lrelu")
INITS = ("he", "pytorch")


def make_activation(name: str) -> nn.Module:
    """Return a fresh activation module.

    Args:
        name: ``'relu'``, ``'prelu'`` (one learnable slope, initialised to 0.25, as in DBPN)
            or ``'lrelu'`` (fixed negative slope 0.2).
    """
    if name == "relu":
        return nn.ReLU(inplace=False)
    if name == "prelu":
        return nn.PReLU(num_parameters=1, init=0.25)
    if name == "lrelu":
        return nn.LeakyReLU(0.2, inplace=False)
    raise ValueError(f"unknown activation {name!r}; expected one of {ACTIVATIONS}")


def init_weights(module: nn.Module, init: str = "he") -> None:
    """Initialise every conv / transposed-conv weight of ``module`` in place.

    Args:
        module: any module; its sub-modules are visited recursively.
        init: ``'he'``: ``kaiming_normal_`` (fan-in, ReLU gain) for the weights and zero biases;
            ``'pytorch'``: keep PyTorch's default initialisation (no-op).
    """
    if init == "pytorch":
        return
    if init != "he":
        raise ValueError(f"unknown init {init!r}; expected one of {INITS}")
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding 1 (stride 2 maps a size ``h`` to ``ceil(h / 2)``)."""
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)


def deconv3x3_s2(in_channels: int, out_channels: int) -> nn.ConvTranspose2d:
    """3x3 transposed convolution, stride 2, padding 1.

    Its output size is ``2h - 1`` or ``2h`` (chosen by ``output_size=`` at call time), which
    inverts ``conv3x3(stride=2)`` exactly for every input size.
    """
    return nn.ConvTranspose2d(in_channels, out_channels, 3, stride=2, padding=1)


class BPUBlock(nn.Module):
    """Back-projection U-net block, eqs (1)-(5) of the paper, activations DBPN-style.

    ::

        F0 = act(conv1x1(x))                         # regulate M -> N channels
        F1 = act(conv3x3_s2(F0))                     # eq (1), 1/2 size
        F2 = act(conv3x3_s2(F1))                     # eq (2), 1/4 size
        F3 = cat([act(conv3x3(F2)), F2])             # eq (3), 2N channels
        F4 = act(deconv3x3_s2(F3)) - F1              # eq (4), back-projection error, 1/2 size
        F5 = act(deconv3x3_s2(F4)) + F0              # eq (5), input size

    Args:
        in_channels: M, channels of the input (``j * N`` for the j-th block of a dense group).
        channels: N, channels of every later layer and of the output.
        activation: see :func:`make_activation`.

    Shapes:
        input ``(B, M, H, W)`` -> output ``(B, N, H, W)`` for any ``H, W >= 1``.
        Values are unbounded features (no range constraint).
    """

    def __init__(self, in_channels: int, channels: int, activation: str = "relu") -> None:
        super().__init__()
        n = channels
        self.regulate = nn.Conv2d(in_channels, n, 1)  # W0 (1x1)
        self.down1 = conv3x3(n, n, stride=2)  # W1
        self.down2 = conv3x3(n, n, stride=2)  # W2
        self.conv = conv3x3(n, n)  # W3
        self.up1 = deconv3x3_s2(2 * n, n)  # W4
        self.up2 = deconv3x3_s2(n, n)  # W5
        self.acts = nn.ModuleList(make_activation(activation) for _ in range(6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.acts
        f0 = a[0](self.regulate(x))
        f1 = a[1](self.down1(f0))
        f2 = a[2](self.down2(f1))
        f3 = torch.cat([a[3](self.conv(f2)), f2], dim=1)
        f4 = a[4](self.up1(f3, output_size=f1.shape[-2:])) - f1
        return a[5](self.up2(f4, output_size=f0.shape[-2:])) + f0


class TUBlock(nn.Module):
    """Traditional U block (T-U) of the ablation: the BP-U block without the concatenation of
    eq (3) and the subtraction of eq (4); the outer summation with ``F0`` stays as its skip.

    ::

        F0 = act(conv1x1(x)); F1 = act(conv3x3_s2(F0)); F2 = act(conv3x3_s2(F1))
        F3 = act(conv3x3(F2)); F4 = act(deconv3x3_s2(F3)); F5 = act(deconv3x3_s2(F4)) + F0

    Args and shapes: as :class:`BPUBlock` (``(B, M, H, W) -> (B, N, H, W)``); the first
    transposed conv maps N -> N channels instead of 2N -> N.
    """

    def __init__(self, in_channels: int, channels: int, activation: str = "relu") -> None:
        super().__init__()
        n = channels
        self.regulate = nn.Conv2d(in_channels, n, 1)
        self.down1 = conv3x3(n, n, stride=2)
        self.down2 = conv3x3(n, n, stride=2)
        self.conv = conv3x3(n, n)
        self.up1 = deconv3x3_s2(n, n)
        self.up2 = deconv3x3_s2(n, n)
        self.acts = nn.ModuleList(make_activation(activation) for _ in range(6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.acts
        f0 = a[0](self.regulate(x))
        f1 = a[1](self.down1(f0))
        f2 = a[2](self.down2(f1))
        f3 = a[3](self.conv(f2))
        f4 = a[4](self.up1(f3, output_size=f1.shape[-2:]))
        return a[5](self.up2(f4, output_size=f0.shape[-2:])) + f0


U_BLOCKS = {"bpu": BPUBlock, "tu": TUBlock}


class ResidualBlock(nn.Module):
    """SRResNet residual block without batch norm: ``x + conv(act(conv(x)))``.

    Shapes: ``(B, N, H, W) -> (B, N, H, W)``.
    """

    def __init__(self, channels: int, activation: str = "relu") -> None:
        super().__init__()
        self.conv1 = conv3x3(channels, channels)
        self.act = make_activation(activation)
        self.conv2 = conv3x3(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(self.act(self.conv1(x)))


class RefinedBlock(nn.Module):
    """Refined block: 4 residual blocks, then 4 x (conv3x3 + act), with a residual connection
    around the whole block (residual learning in HR space). 12 convolutions in all.

    Args:
        channels: N.
        activation: see :func:`make_activation`.
        residual_blocks: number of residual blocks (paper: 4).
        convs: number of trailing conv + act layers (paper: 4).

    Shapes: ``(B, N, H, W) -> (B, N, H, W)``.
    """

    def __init__(
        self, channels: int, activation: str = "relu", residual_blocks: int = 4, convs: int = 4
    ) -> None:
        super().__init__()
        self.res = nn.Sequential(*(ResidualBlock(channels, activation) for _ in range(residual_blocks)))
        layers: list[nn.Module] = []
        for _ in range(convs):
            layers += [conv3x3(channels, channels), make_activation(activation)]
        self.convs = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.convs(self.res(x))
