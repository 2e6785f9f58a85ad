"""CSRCNN: the cascaded super-resolution CNN, its configuration, Table IV's notation and the
ablation variants of Tables II and III.

The network (paper Section III-A, Fig. 3) is a head conv followed by one *level* per x2 step.
A level is a densely connected group of U blocks in the level's LR space (with a fusion and a
residual connection), a x2 transposed convolution, a group of HR blocks (refined blocks or U
blocks) and a tail conv that produces the level's image. The next level starts from the HR
feature map of the previous one. Choices the paper leaves open are config fields; their
defaults and reasons are in ``book/architecture.md``.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .blocks import ACTIVATIONS, INITS, U_BLOCKS, RefinedBlock, conv3x3, init_weights, make_activation
from .registry import register_model

SCALES = (2, 4, 8)
#: The paper's asymmetric full model: 6, 4 and 2 BP-U blocks in levels 1, 2 and 3 (Sec. IV-B).
ASYMMETRIC_BLOCKS = (6, 4, 2)
HR_BLOCKS = ("R", "U")
FUSIONS = ("conv1x1", "last")
IMAGE_SKIPS = ("none", "bicubic")


# --------------------------------------------------------------------------------------------
# Table IV notation
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LevelSpec:
    """One level in Table IV's notation ``U{u_blocks}T{hr_block}{hr_blocks}``.

    Attributes:
        u_blocks: number of U blocks in the level's LR space (``U_n``).
        hr_block: ``'R'`` (refined blocks) or ``'U'`` (U blocks) after the transposed conv ``T``.
        hr_blocks: how many of them (0 allowed).
    """

    u_blocks: int
    hr_block: str
    hr_blocks: int

    @property
    def notation(self) -> str:
        return f"U{self.u_blocks}T{self.hr_block}{self.hr_blocks}"


_LEVEL_RE = re.compile(r"U(\d+)T([RU])(\d+)")


def parse_notation(notation: str) -> list[LevelSpec]:
    """Parse Table IV's notation into one :class:`LevelSpec` per level.

    Accepts ``"U4TR1 U4TR1"``, ``"U4TR1U4TR1"`` and the paper's LaTeX form
    ``"$U_4TR_1 U_4TR_1$"`` (``$``, ``_``, ``{`` and ``}`` are ignored, case-insensitive).

    Raises:
        ValueError: on an empty or malformed string, ``U0`` or more than 3 levels.
    """
    if not isinstance(notation, str):
        raise ValueError(f"notation must be a string, got {type(notation).__name__}")
    text = re.sub(r"[$_{}]", "", notation).upper()
    tokens = text.split()
    if not tokens:
        raise ValueError(f"empty notation {notation!r}; expected e.g. 'U4TR1 U4TR1'")
    specs: list[LevelSpec] = []
    for token in tokens:
        pos = 0
        while pos < len(token):
            m = _LEVEL_RE.match(token, pos)
            if m is None:
                raise ValueError(
                    f"malformed notation {notation!r}: cannot parse {token[pos:]!r}; each level "
                    "must read U<n>T<R|U><m>, e.g. 'U4TR1 U4TR1'"
                )
            u, kind, m_blocks = int(m.group(1)), m.group(2), int(m.group(3))
            if u < 1:
                raise ValueError(f"notation {notation!r}: a level needs at least one U block (got U{u})")
            specs.append(LevelSpec(u, kind, m_blocks))
            pos = m.end()
    if len(specs) > len(SCALES):
        raise ValueError(
            f"notation {notation!r} has {len(specs)} levels; at most {len(SCALES)} (x{SCALES[-1]})"
        )
    return specs


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------
def _check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; expected one of {tuple(choices)}")


def _check_int(name: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


@dataclass(frozen=True)
class CSRCNNConfig:
    """Every architectural choice of :class:`CSRCNN`.

    Attributes:
        scale: 2, 4 or 8; the model has ``log2(scale)`` levels.
        blocks_per_level: U blocks per level; ``None`` -> the paper's asymmetric (6, 4, 2)
            truncated to the number of levels. Normalised to a tuple.
        hr_blocks: HR blocks per level, an int for every level or a per-level tuple (0 allowed).
            Normalised to a per-level tuple.
        hr_block: ``'R'`` refined blocks (paper default) or ``'U'`` U blocks in HR space.
        u_block: ``'bpu'`` (BP-U block) or ``'tu'`` (traditional U block of the ablation).
        channels: N, feature maps of every layer (paper: 64).
        in_channels / out_channels: image channels (RGB: 3).
        activation: ``'relu'`` (paper), ``'prelu'`` or ``'lrelu'`` (slope 0.2).
        upsample_kernel: kernel of the x2 transposed conv of each level (even, >= 2); stride 2,
            padding ``(k - 2) // 2``, so the output is exactly twice the input.
        fusion: ``'last'`` (default): the last U block's output, whose 1x1 regulating conv already
            reads every earlier output of the dense group (the paper's parameter counts point to
            this); ``'conv1x1'``: an extra 1x1 conv + act over the concatenation of the level input
            and all U-block outputs (RDN-style local feature fusion).
        image_skip: ``'none'`` (paper: images from features only) or ``'bicubic'`` (add the
            bicubic upsampling of the LR input to every level's image).
        init: ``'he'`` (paper: He et al.) or ``'pytorch'`` (framework defaults).
    """

    scale: int
    blocks_per_level: tuple[int, ...] | None = None
    hr_blocks: int | tuple[int, ...] = 1
    hr_block: str = "R"
    u_block: str = "bpu"
    channels: int = 64
    in_channels: int = 3
    out_channels: int = 3
    activation: str = "relu"
    upsample_kernel: int = 4
    fusion: str = "last"
    image_skip: str = "none"
    init: str = "he"

    def __post_init__(self) -> None:
        if isinstance(self.scale, bool) or self.scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {self.scale!r}")
        levels = self.levels
        bpl = ASYMMETRIC_BLOCKS[:levels] if self.blocks_per_level is None else self.blocks_per_level
        if isinstance(bpl, int) or not isinstance(bpl, (tuple, list)):
            raise ValueError(f"blocks_per_level must be a tuple of {levels} ints, got {bpl!r}")
        bpl = tuple(bpl)
        if len(bpl) != levels:
            raise ValueError(
                f"blocks_per_level {bpl} has {len(bpl)} entries but scale {self.scale} has {levels} levels"
            )
        for b in bpl:
            _check_int("every entry of blocks_per_level", b, 1)
        hrb = self.hr_blocks
        if isinstance(hrb, int) and not isinstance(hrb, bool):
            hrb = (hrb,) * levels
        if not isinstance(hrb, (tuple, list)):
            raise ValueError(f"hr_blocks must be an int or a tuple of {levels} ints, got {hrb!r}")
        hrb = tuple(hrb)
        if len(hrb) != levels:
            raise ValueError(f"hr_blocks {hrb} has {len(hrb)} entries but scale {self.scale} has {levels} levels")
        for b in hrb:
            _check_int("every entry of hr_blocks", b, 0)
        object.__setattr__(self, "blocks_per_level", bpl)
        object.__setattr__(self, "hr_blocks", hrb)
        _check_choice("hr_block", self.hr_block, HR_BLOCKS)
        _check_choice("u_block", self.u_block, tuple(U_BLOCKS))
        _check_choice("activation", self.activation, ACTIVATIONS)
        _check_choice("fusion", self.fusion, FUSIONS)
        _check_choice("image_skip", self.image_skip, IMAGE_SKIPS)
        _check_choice("init", self.init, INITS)
        for name in ("channels", "in_channels", "out_channels"):
            _check_int(name, getattr(self, name), 1)
        _check_int("upsample_kernel", self.upsample_kernel, 2)
        if self.upsample_kernel % 2:
            raise ValueError(
                f"upsample_kernel must be even (divisible by the stride 2) so that the transposed "
                f"conv doubles the size exactly; got {self.upsample_kernel}"
            )
        if self.image_skip == "bicubic" and self.in_channels != self.out_channels:
            raise ValueError("image_skip='bicubic' needs in_channels == out_channels")

    @property
    def levels(self) -> int:
        """Number of x2 levels, ``log2(scale)``."""
        return self.scale.bit_length() - 1

    def level_specs(self) -> list[LevelSpec]:
        """Per-level :class:`LevelSpec` (U blocks, HR block type, HR blocks)."""
        return [LevelSpec(u, self.hr_block, r) for u, r in zip(self.blocks_per_level, self.hr_blocks)]

    @property
    def notation(self) -> str:
        """Table IV notation of this configuration, e.g. ``'U6TR1 U4TR1'``."""
        return " ".join(s.notation for s in self.level_specs())

    def to_dict(self) -> dict:
        """Plain dict (JSON-friendly after tuple -> list); ``CSRCNNConfig(**d)`` rebuilds it."""
        return asdict(self)

    @classmethod
    def from_notation(cls, notation: str, **overrides) -> "CSRCNNConfig":
        """Config from Table IV notation, e.g. ``from_notation("U2TU1 U2TU1", channels=16)``.

        ``scale = 2 ** levels``. ``overrides`` set the other fields; they may repeat but not
        contradict ``scale``, ``blocks_per_level``, ``hr_blocks`` and ``hr_block``.
        """
        specs = parse_notation(notation)
        derived = {"scale": 2 ** len(specs), **_notation_fields(notation, len(specs))}
        for key, value in overrides.items():
            if key in derived:
                given = tuple(value) if isinstance(value, list) else value
                if key == "hr_blocks" and isinstance(given, int):
                    given = (given,) * len(specs)
                if given != derived[key] and not (key == "hr_block" and not any(derived["hr_blocks"])):
                    raise ValueError(
                        f"override {key}={value!r} contradicts notation {notation!r} ({key}={derived[key]!r})"
                    )
        merged = {**overrides, **derived}
        if "hr_block" in overrides and not any(derived["hr_blocks"]):
            merged["hr_block"] = overrides["hr_block"]  # irrelevant without HR blocks
        return cls(**merged)


# --------------------------------------------------------------------------------------------
# Ablation variants (Tables II and III)
# --------------------------------------------------------------------------------------------
VARIANTS = {
    "full": "BP-U blocks, asymmetric (6, 4, 2); trained with curriculum (Table II 'Full').",
    "model1": "BP-U blocks, symmetric: the full model's U-block total split evenly over the levels "
    "(x4: (5, 5), x8: (4, 4, 4)) (Table II 'Model1').",
    "model2": "The full model's architecture; Table II's Model2 differs only by being trained end to "
    "end without curriculum learning (a training option, not an architecture).",
    "model3": "Traditional U (T-U) blocks, asymmetric (6, 4, 2) (Table II 'Model3').",
    "tu": "T-U block full model, compared with BP-U in Table III (same architecture as 'model3').",
}
_VARIANT_FIXED = ("u_block", "blocks_per_level")


def _levels_of(scale: int) -> int:
    if isinstance(scale, bool) or scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    return scale.bit_length() - 1


def symmetric_blocks(scale: int, blocks: Sequence[int] = ASYMMETRIC_BLOCKS) -> tuple[int, ...]:
    """Model1's split: the U-block total of ``blocks`` over the levels of ``scale`` (default: the
    paper's asymmetric model), split evenly, e.g. x4 -> (5, 5), x8 -> (4, 4, 4)."""
    levels = _levels_of(scale)
    base = tuple(blocks)[:levels]
    if len(base) < levels:
        raise ValueError(f"blocks {tuple(blocks)} have fewer than the {levels} levels of scale {scale}")
    total = sum(base)
    if total % levels:
        raise ValueError(f"model1 splits the {total} U blocks of {base} evenly over {levels} levels: not "
                         "divisible; set blocks_per_level explicitly")
    return (total // levels,) * levels


def _notation_fields(notation: str, levels: int) -> dict[str, Any]:
    """``blocks_per_level``, ``hr_blocks`` and ``hr_block`` of the first ``levels`` levels of a
    Table IV notation. A notation that mixes HR block types is refused (one ``hr_block`` per model)."""
    specs = parse_notation(notation)
    kinds = {s.hr_block for s in specs if s.hr_blocks > 0}
    if len(kinds) > 1:
        raise ValueError(f"notation {notation!r} mixes HR block types {sorted(kinds)}; not supported")
    if len(specs) < levels:
        raise ValueError(f"notation {notation!r} has {len(specs)} levels; scale {2 ** levels} needs {levels}")
    specs = specs[:levels]
    return {"blocks_per_level": tuple(s.u_blocks for s in specs), "hr_blocks": tuple(s.hr_blocks for s in specs),
            "hr_block": kinds.pop() if kinds else "R"}


def csrcnn_kwargs(scale: int, *, variant: str = "full", notation: str = "", blocks: Sequence[int] = (),
                  hr_blocks: int | Sequence[int] = 1, final_scale: int = 0, **fields) -> dict[str, Any]:
    """Keyword arguments of :class:`CSRCNNConfig` (= ``build_model('csrcnn', ...)``) of the stage at
    ``scale`` of a cascade trained up to ``final_scale`` (0: ``scale``): the one place where the
    paper's variants, Table IV notation and U-block splits become a configuration.

    Args:
        variant: a key of :data:`VARIANTS`; gives ``u_block`` (``'tu'`` for model3 / tu) and, for
            ``'model1'``, the even split of ``blocks`` over the levels of ``final_scale``.
        notation: Table IV notation; when given it sets the U blocks, HR block type and HR blocks
            of each level (the stage uses its first ``log2(scale)`` levels) and ``blocks`` /
            ``hr_blocks`` / model1's split are not used.
        blocks: U blocks of levels 1, 2, 3 of the whole cascade (``()``: :data:`ASYMMETRIC_BLOCKS`).
        hr_blocks: HR blocks of every level (an int) or per level.
        fields: the other :class:`CSRCNNConfig` fields (channels, activation, ...), passed through.

    Returns:
        ``{"scale", **fields, "u_block", "blocks_per_level", "hr_blocks"}`` (plus ``"hr_block"``
        from a notation), per-level values as lists of the stage's levels.

    Raises:
        ValueError: an unknown variant, a notation with too few levels or mixed HR block types,
            ``blocks`` with too few levels or a model1 total that does not split evenly.
    """
    key = variant.lower()
    if key not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {tuple(VARIANTS)}")
    levels = _levels_of(scale)
    kwargs: dict[str, Any] = {"scale": scale, **fields, "u_block": "tu" if key in ("model3", "tu") else "bpu"}
    if notation:
        arch = _notation_fields(notation, levels)
        kwargs.update(blocks_per_level=list(arch["blocks_per_level"]), hr_blocks=list(arch["hr_blocks"]),
                      hr_block=arch["hr_block"])
        return kwargs
    base = tuple(blocks) or ASYMMETRIC_BLOCKS
    if key == "model1":
        base = symmetric_blocks(final_scale or scale, base)
    if len(base) < levels:
        raise ValueError(f"blocks_per_level {base} has fewer than the {levels} levels of scale {scale}")
    per_level = [hr_blocks] * levels if isinstance(hr_blocks, int) else list(hr_blocks)
    kwargs.update(blocks_per_level=list(base[:levels]), hr_blocks=per_level)
    return kwargs


def variant_config(name: str, scale: int, **overrides) -> CSRCNNConfig:
    """Configuration of an ablation variant (see :data:`VARIANTS`) at ``scale``.

    ``overrides`` set any field except the two that define the variants
    (``u_block``, ``blocks_per_level``) and ``scale``.

    Note:
        'model2' returns the full architecture: Table II's Model2 is the full model trained
        without curriculum learning, which is a property of training, not of the network.
    """
    unknown = sorted(set(overrides) - _CONFIG_FIELDS)
    if unknown:
        raise TypeError(f"variant_config() got unknown CSRCNNConfig field(s) {unknown}")
    fixed = [k for k in (*_VARIANT_FIXED, "scale") if k in overrides]
    if fixed and name.lower() in VARIANTS:
        raise ValueError(
            f"variant {name!r} fixes {fixed}; build a CSRCNNConfig directly to change them"
        )
    return CSRCNNConfig(**csrcnn_kwargs(scale, variant=name, **overrides))


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
_CONFIG_FIELDS = {f.name for f in fields(CSRCNNConfig)}


@register_model("csrcnn")
def build_csrcnn(
    scale: int | None = None, notation: str | None = None, variant: str | None = None, **kwargs
) -> CSRCNN:
    """CSRCNN from config fields (``build_model('csrcnn', scale=8)`` is the paper's full
    model), from Table IV notation (``notation='U4TR1 U4TR1'``) or an ablation variant
    (``variant='model3', scale=4``)."""
    unknown = set(kwargs) - _CONFIG_FIELDS
    if unknown:
        raise ValueError(f"unknown CSRCNN option(s) {sorted(unknown)}; valid: {sorted(_CONFIG_FIELDS)}")
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
