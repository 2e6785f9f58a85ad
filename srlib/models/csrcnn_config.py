"""CSRCNN's configuration: every architectural choice (:class:`CSRCNNConfig`), Table IV's notation
(:func:`parse_notation`), the ablation variants of Tables II and III (:data:`VARIANTS`,
:func:`variant_config`) and the one function that turns (scale, variant, notation, U blocks, ...)
into a stage's configuration (:func:`csrcnn_kwargs`, used by the training config).

The network these configure is :mod:`srlib.models.csrcnn`.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any, Sequence

from .blocks import ACTIVATIONS, INITS, U_BLOCKS

__all__ = ["SCALES", "ASYMMETRIC_BLOCKS", "HR_BLOCKS", "FUSIONS", "IMAGE_SKIPS", "LevelSpec", "parse_notation",
           "CSRCNNConfig", "CONFIG_FIELDS", "VARIANTS", "symmetric_blocks", "csrcnn_kwargs", "variant_config"]

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


#: The field names of :class:`CSRCNNConfig` (the keyword arguments ``build_model('csrcnn')`` takes).
CONFIG_FIELDS = frozenset(f.name for f in fields(CSRCNNConfig))


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
    unknown = sorted(set(overrides) - CONFIG_FIELDS)
    if unknown:
        raise TypeError(f"variant_config() got unknown CSRCNNConfig field(s) {unknown}")
    fixed = [k for k in (*_VARIANT_FIXED, "scale") if k in overrides]
    if fixed and name.lower() in VARIANTS:
        raise ValueError(
            f"variant {name!r} fixes {fixed}; build a CSRCNNConfig directly to change them"
        )
    return CSRCNNConfig(**csrcnn_kwargs(scale, variant=name, **overrides))
