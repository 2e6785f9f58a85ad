"""CSRCNN: the cascaded super-resolution CNN (paper Section III-A, Fig. 3).

The network is a head conv followed by one *level* per x2 step. A level is a densely connected
group of U blocks in the level's LR space (with a fusion and a residual connection), a x2
transposed convolution, a group of HR blocks (refined blocks or U blocks) and a tail conv that
produces the level's image. The next level starts from the HR feature map of the previous one.

* The blocks -- the BP-U block (Fig. 4), the traditional U block of the ablation and the refined
  block -- live in :mod:`srlib.models.blocks`.
* The configuration (:class:`CSRCNNConfig`), Table IV's notation and the ablation variants of
  Tables II and III live in :mod:`srlib.models.csrcnn_config` (their names are re-exported here).
* Choices the paper leaves open are config fields; their defaults and reasons are in
  ``book/architecture.md``.
"""
from __future__ import annotations

import re
from typing import Mapping

import torch
import torch.nn as nn
import torch.nn.functional as F

from .blocks import U_BLOCKS, RefinedBlock, conv3x3, init_weights, make_activation
from .csrcnn_config import (  # the configuration's names, re-exported (see __all__)
    ASYMMETRIC_BLOCKS,
    CONFIG_FIELDS,
    FUSIONS,
    HR_BLOCKS,
    IMAGE_SKIPS,
    SCALES,
    VARIANTS,
    CSRCNNConfig,
    LevelSpec,
    csrcnn_kwargs,
    parse_notation,
    symmetric_blocks,
    variant_config,
)
from .registry import register_model

__all__ = ["Level", "CSRCNN", "build_csrcnn", "build_csrcnn_tu", "build_csrcnn_symmetric",
           # re-exported from srlib.models.csrcnn_config
           "SCALES", "ASYMMETRIC_BLOCKS", "HR_BLOCKS", "FUSIONS", "IMAGE_SKIPS", "LevelSpec", "parse_notation",
           "CSRCNNConfig", "CONFIG_FIELDS", "VARIANTS", "symmetric_blocks", "csrcnn_kwargs", "variant_config"]


# --------------------------------------------------------------------------------------------
# Network
# --------------------------------------------------------------------------------------------
class Level(nn.Module):
    """One x2 level: dense U group (+ fusion, + residual) -> x2 transposed conv -> HR blocks
    -> tail conv.

    Shapes:
        input features ``(B, N, H, W)``; :meth:`forward` returns ``(u, up, hr, image)`` with
        ``u: (B, N, H, W)``, ``up`` and ``hr: (B, N, 2H, 2W)``, ``image: (B, C_out, 2H, 2W)``
        (no skip added here; the image is in the range the network learned, nominally [0, 1]).
    """

    def __init__(self, config: CSRCNNConfig, u_blocks: int, hr_blocks: int) -> None:
        super().__init__()
        n, act, ublock = config.channels, config.activation, U_BLOCKS[config.u_block]
        self.ublocks = nn.ModuleList(ublock(j * n, n, act) for j in range(1, u_blocks + 1))
        if config.fusion == "conv1x1":
            self.fusion = nn.Conv2d((u_blocks + 1) * n, n, 1)
            self.fusion_act = make_activation(act)
        else:
            self.fusion = None
        k = config.upsample_kernel
        self.upsample = nn.ConvTranspose2d(n, n, k, stride=2, padding=(k - 2) // 2)
        self.upsample_act = make_activation(act)
        if config.hr_block == "R":
            hr = [RefinedBlock(n, act) for _ in range(hr_blocks)]
        else:
            hr = [ublock(n, n, act) for _ in range(hr_blocks)]
        self.hr = nn.Sequential(*hr)
        self.tail = conv3x3(n, config.out_channels)

    def forward(self, x0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        feats = [x0]
        for block in self.ublocks:
            feats.append(block(torch.cat(feats, dim=1)))
        fused = feats[-1] if self.fusion is None else self.fusion_act(self.fusion(torch.cat(feats, dim=1)))
        u = fused + x0  # residual learning on the LR (U) part
        up = self.upsample_act(self.upsample(u))
        hr = self.hr(up)  # refined blocks carry their own residual connections
        return u, up, hr, self.tail(hr)


class CSRCNN(nn.Module):
    """Cascaded super-resolution CNN.

    Args:
        config: a :class:`CSRCNNConfig`; or pass its fields as keyword arguments.

    Shapes:
        input: LR image ``(B, in_channels, H, W)``, RGB float in [0, 1], any ``H, W >= 1``.
        :meth:`forward` returns one image per level, ``[(B, out_channels, 2H, 2W),
        (B, out_channels, 4H, 4W), ...]`` up to ``scale``; the last is the SR result. Outputs
        are not clamped.

    State-dict keys are ``head.*`` and ``levels.<i>.*``, so a checkpoint of a smaller scale
    loads into a larger one with :meth:`load_previous_stage` (curriculum learning).
    """

    def __init__(self, config: CSRCNNConfig | None = None, **kwargs) -> None:
        super().__init__()
        if config is None:
            config = CSRCNNConfig(**kwargs)
        elif kwargs:
            raise ValueError("pass either a CSRCNNConfig or keyword arguments, not both")
        self.config = config
        self.head = nn.Sequential(
            conv3x3(config.in_channels, config.channels), make_activation(config.activation)
        )
        self.levels = nn.ModuleList(
            Level(config, u, r) for u, r in zip(config.blocks_per_level, config.hr_blocks)
        )
        init_weights(self, config.init)

    def _check_input(self, x: torch.Tensor) -> None:
        if x.dim() != 4 or x.shape[1] != self.config.in_channels:
            raise ValueError(
                f"expected input of shape (B, {self.config.in_channels}, H, W), got {tuple(x.shape)}"
            )

    def _run(self, x: torch.Tensor, maps: dict[str, torch.Tensor] | None) -> list[torch.Tensor]:
        self._check_input(x)
        feat = self.head(x)
        images = []
        for i, level in enumerate(self.levels, start=1):
            u, up, feat, image = level(feat)
            if self.config.image_skip == "bicubic":
                image = image + F.interpolate(x, scale_factor=2**i, mode="bicubic", align_corners=False)
            images.append(image)
            if maps is not None:
                maps[f"level{i}/u"], maps[f"level{i}/up"], maps[f"level{i}/hr"] = u, up, feat
        return images

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Return the images of all levels (x2, x4, ... up to ``scale``), smallest first."""
        return self._run(x, None)

    def feature_maps(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Intermediate feature maps, ordered: for each level ``i`` (1-based)
        ``'level{i}/u'`` (after the U group and its residual, ``(B, N, H_i, W_i)``),
        ``'level{i}/up'`` (after the transposed conv, ``(B, N, 2H_i, 2W_i)``) and
        ``'level{i}/hr'`` (after the HR blocks, same size), where ``H_i = 2**(i-1) * H``.
        """
        maps: dict[str, torch.Tensor] = {}
        self._run(x, maps)
        return maps

    def load_previous_stage(self, state_dict: Mapping[str, torch.Tensor]) -> list[int]:
        """Load a checkpoint of a model with fewer levels (e.g. x2 into x4), curriculum style.

        Every key of ``state_dict`` must exist here with the same shape, and the keys it lacks
        must be whole trailing levels. Returns the 0-based indices of the levels left at their
        initialisation (the new ones).

        Raises:
            ValueError: naming the unexpected keys, shape mismatches, a missing head or
                partially missing levels.
        """
        own = self.state_dict()
        unexpected = [k for k in state_dict if k not in own]
        mismatched = [
            f"{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}"
            for k, v in state_dict.items()
            if k in own and tuple(v.shape) != tuple(own[k].shape)
        ]
        missing = [k for k in own if k not in state_dict]
        problems: list[str] = []
        level_of = re.compile(r"levels\.(\d+)\.")
        missing_levels: set[int] = set()
        for k in missing:
            m = level_of.match(k)
            if m is None:
                problems.append(f"missing key outside the levels: {k}")
            else:
                missing_levels.add(int(m.group(1)))
        for i in sorted(missing_levels):
            present = [k for k in own if k.startswith(f"levels.{i}.") and k in state_dict]
            if present:
                problems.append(
                    f"level {i} is only partly in the checkpoint ({len(present)} keys present, e.g. "
                    f"{present[0]}; missing e.g. {next(k for k in missing if k.startswith(f'levels.{i}.'))})"
                )
        n_levels = len(self.levels)
        if missing_levels and sorted(missing_levels) != list(range(min(missing_levels), n_levels)):
            problems.append(f"missing levels {sorted(missing_levels)} are not the last ones of {n_levels}")
        if missing_levels and min(missing_levels) == 0:
            problems.append("the checkpoint has no level at all")

        def show(items: list[str]) -> str:
            return ", ".join(items[:8]) + (f", ... ({len(items)} in all)" if len(items) > 8 else "")

        if unexpected:
            problems.append(f"unexpected keys (not in this model): {show(unexpected)}")
        if mismatched:
            problems.append(f"shape mismatches: {show(mismatched)}")
        if problems:
            raise ValueError(
                "checkpoint is not a previous stage of this model "
                f"({self.config.notation}, scale {self.config.scale}):\n  - " + "\n  - ".join(problems)
            )
        self.load_state_dict(state_dict, strict=False)
        return sorted(missing_levels)


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------
@register_model("csrcnn")
def build_csrcnn(
    scale: int | None = None, notation: str | None = None, variant: str | None = None, **kwargs
) -> CSRCNN:
    """CSRCNN from config fields (``build_model('csrcnn', scale=8)`` is the paper's full
    model), from Table IV notation (``notation='U4TR1 U4TR1'``) or an ablation variant
    (``variant='model3', scale=4``)."""
    unknown = set(kwargs) - CONFIG_FIELDS
    if unknown:
        raise ValueError(f"unknown CSRCNN option(s) {sorted(unknown)}; valid: {sorted(CONFIG_FIELDS)}")
    if notation is not None and variant is not None:
        raise ValueError("give either notation or variant, not both")
    if notation is not None:
        if scale is not None:
            kwargs["scale"] = scale
        return CSRCNN(CSRCNNConfig.from_notation(notation, **kwargs))
    if scale is None:
        raise ValueError("CSRCNN needs scale (2, 4 or 8) or a Table IV notation")
    if variant is not None:
        return CSRCNN(variant_config(variant, scale, **kwargs))
    return CSRCNN(CSRCNNConfig(scale=scale, **kwargs))


@register_model("csrcnn-tu")
def build_csrcnn_tu(scale: int, **kwargs) -> CSRCNN:
    """The T-U block model of Table III (and Table II's Model3)."""
    return CSRCNN(variant_config("tu", scale, **kwargs))


@register_model("csrcnn-symmetric")
def build_csrcnn_symmetric(scale: int, **kwargs) -> CSRCNN:
    """Table II's Model1: BP-U blocks spread evenly over the levels."""
    return CSRCNN(variant_config("model1", scale, **kwargs))
