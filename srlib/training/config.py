"""The training configuration: one flat dataclass whose fields are the notebooks' papermill
parameters, and :func:`preset`, which builds it from a named preset of :mod:`srlib.profiles`
(``smoke``, ``quick``, ``reference``, ``paper``, ``campaign``).

Every field is a JSON scalar, a tuple of scalars or (``model_options``) a flat dict, so a
config survives ``to_dict`` -> JSON -> ``from_dict`` unchanged and can be passed as papermill
``-p`` parameters. Choices the paper does not state (its SGD learning rate and schedule, the
fade-in ramp, the L1/L2 switch points) are fields; their defaults and the reason for each are
in the field comments below and in ``docs/training.md``.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ..models.csrcnn_config import VARIANTS as _CSRCNN_VARIANTS
from ..models.csrcnn_config import csrcnn_kwargs
from ..profiles import PRESETS

__all__ = ["TrainConfig", "PRESETS", "preset", "RUNTIME_FIELDS", "config_diff", "VARIANTS"]

#: The ablation variants of Tables II / III (owned by :mod:`srlib.models.csrcnn_config`).
VARIANTS = tuple(_CSRCNN_VARIANTS)

_CHOICES = {
    "variant": VARIANTS,
    "curriculum": ("progressive", "none"),
    "blend": ("fade", "stack"),
    "loss_levels": ("final", "all"),
    "loss_schedule": ("l1", "l2", "l1_then_alternate"),
    "optimizer": ("adam", "sgd"),
    "lr_schedule": ("step", "cosine", "constant"),
    "device": ("auto", "cpu", "cuda"),
    "amp": ("auto", "bf16", "none"),
    "channels_last": ("auto", "on", "off"),
    "image_skip": ("none", "bicubic"),
    "weight_init": ("he", "pytorch"),
}

#: Fields that say *how* a run is executed, not *what* it computes: they may differ when a run
#: is resumed (e.g. on another machine) without the checkpoint being refused.
RUNTIME_FIELDS = frozenset({
    "profile", "data_root", "cache_dir", "workers", "preload", "device", "amp", "channels_last",
    "compile", "threads", "val_every", "val_sets", "val_limit", "log_every", "ckpt_every",
    "keep_checkpoints", "init", "progress",
})


@dataclass
class TrainConfig:
    """Everything one training run (one curriculum stage) depends on.

    Model
        model: registered model name (``'csrcnn'``; ``'fsrcnn'`` etc. for baselines).
        variant: CSRCNN ablation variant: ``'full'`` / ``'model2'`` (BP-U, asymmetric; model2 is
            trained end to end), ``'model1'`` (BP-U, U blocks split evenly over the levels of
            ``final_scale``), ``'model3'`` / ``'tu'`` (traditional U blocks).
        notation: Table IV notation (e.g. ``'U4TR1 U4TR1 U4TR1'``); when set it gives the U
            blocks, HR block type and count per level (a stage uses its first levels).
        channels: feature maps N (paper 64).
        blocks_per_level: U blocks of levels 1, 2, 3 for the whole cascade; a stage uses the
            first ``log2(scale)`` entries. ``()`` = the paper's (6, 4, 2).
        hr_blocks: refined blocks per level (paper 1).
        activation: ``'relu'`` (paper), ``'prelu'``, ``'lrelu'``.
        image_skip: ``'none'`` (paper: images from features only) or ``'bicubic'`` (each level's
            image adds the bicubic upsampling of the LR input; a measured deviation, see docs).
        weight_init: ``'he'`` (paper: He et al.) or ``'pytorch'`` (the framework's defaults; trains
            much faster at small budgets, see docs/training.md).
        model_options: further keyword arguments of ``build_model`` (e.g. ``{"in_channels": 1}``
            for a Y-channel FSRCNN, ``{"fusion": "last"}``).

    Task and curriculum
        scale: this stage's factor (2, 4 or 8; other models: any factor they support).
        final_scale: the last scale of the curriculum this stage belongs to (0 = ``scale``);
            only used by ``model1`` to split its U blocks evenly.
        curriculum: ``'progressive'``: a stage above x2 starts from the previous stage's
            checkpoint (``init``); ``'none'``: trained end to end from scratch (Table II Model2).
        blend: how a new level enters: ``'fade'`` (its image is blended with the bicubic x2
            upsampling of the previous level's image, weight ramping 0 -> 1, ProSR style) or
            ``'stack'`` (used at full weight from the first step).
        fade_fraction: length of the fade-in ramp as a fraction of ``steps``.
        init: checkpoint of the previous stage (``.safetensors``) or ``''``.
        init_widen: ``init`` may be a *narrower* checkpoint of this stage (fewer ``channels``,
            same scale and blocks): it is copied in with a function-preserving widening
            (:mod:`srlib.models.widen`), the new channels start from this model's own init.

    Loss
        loss_levels: ``'final'`` (the text: loss at the end of the network only) or ``'all'``
            (equation 8: summed over the levels, each against its own bicubic-downscaled HR).
        loss_schedule: ``'l1'``, ``'l2'`` or ``'l1_then_alternate'`` (Sec. III-C: L1 first,
            then fine-tuning alternating L2 and L1).
        l1_fraction: share of the steps in the pure-L1 phase of ``l1_then_alternate``.
        alternate_every: steps per L2 / L1 segment in the fine-tuning phase (L2 first).

    Optimisation
        optimizer: ``'sgd'`` (paper: momentum 0.9, weight decay 1e-4) or ``'adam'``.
        lr, momentum, weight_decay, adam_betas: the optimiser's settings.
        lr_schedule: ``'step'`` (multiply by ``lr_gamma`` at each of ``lr_milestones``, given as
            fractions of ``steps``), ``'cosine'`` (down to ``lr_min``) or ``'constant'``.
        warmup_steps: linear warm-up from 0.
        grad_clip: clip the global gradient norm to this value (0 = off).

    Data
        train_sets: registered training sets (``'T91'``, ``'BSD200'``, ``'DIV2K'``), folders of
            images, or ``'auto'`` (DIV2K when present, else T91 + BSD200).
        aug_scales: offline scale augmentation factors (1.0 = the originals).
        patch_size: LR patch side; HR patches are ``patch_size * scale``.
        batch_size: patches per optimiser step, over all DDP processes together.
        augment: random 90-degree rotations and horizontal / vertical flips.
        data_root, cache_dir: ``''`` = ``$SRLIB_DATA_DIR`` (or ./data) and ``$SRLIB_CACHE_DIR``
            (or ./.cache/srlib).
        workers: DataLoader worker processes producing batches (0 = in the training process);
            the same number builds the offline cache in parallel.
        preload: read the cached arrays into memory (else memory-mapped).

    Schedule, logging, checkpoints
        steps: optimiser steps of this stage.
        seed: seeds the weights and the data stream; a CPU run is repeatable bit for bit.
        val_every: validate every N steps (0 = only at the end; -1 = never).
        val_sets: benchmarks for validation (the first is the log's ``psnr`` / ``ssim``).
        val_limit: first N images of each validation set (0 = all).
        log_every: a CSV row every N steps. ckpt_every: a checkpoint every N steps.
        keep_checkpoints: how many step checkpoints to keep (the newest).

    Device
        device: ``'auto'`` (CUDA when present), ``'cpu'``, ``'cuda'``.
        amp: ``'auto'`` (bf16 autocast on CUDA, off on CPU), ``'bf16'``, ``'none'``.
        channels_last: ``'auto'`` (on for CUDA, and on CPU for >= 32 channels), ``'on'``, ``'off'``.
        compile: wrap the model in ``torch.compile``.
        threads: ``torch.set_num_threads`` (0 = leave as is).
        progress: tqdm progress bars.
    """

    # identity
    profile: str = "custom"
    seed: int = 0
    # model
    model: str = "csrcnn"
    variant: str = "full"
    notation: str = ""
    channels: int = 64
    blocks_per_level: tuple[int, ...] = ()
    hr_blocks: int = 1
    activation: str = "relu"
    image_skip: str = "none"
    weight_init: str = "he"
    model_options: dict = field(default_factory=dict)
    # task and curriculum
    scale: int = 2
    final_scale: int = 0
    curriculum: str = "progressive"
    blend: str = "fade"
    fade_fraction: float = 0.1
    init: str = ""
    init_widen: bool = False
    # loss
    loss_levels: str = "final"
    loss_schedule: str = "l1_then_alternate"
    l1_fraction: float = 0.8
    alternate_every: int = 1000
    # optimisation
    optimizer: str = "adam"
    lr: float = 2e-4
    momentum: float = 0.9
    weight_decay: float = 0.0
    adam_betas: tuple[float, ...] = (0.9, 0.999)
    lr_schedule: str = "step"
    lr_milestones: tuple[float, ...] = (0.5, 0.75)
    lr_gamma: float = 0.5
    lr_min: float = 0.0
    warmup_steps: int = 0
    grad_clip: float = 0.0
    # data
    train_sets: tuple[str, ...] = ("T91", "BSD200")
    aug_scales: tuple[float, ...] = (1.0, 0.9, 0.8, 0.7, 0.5)
    patch_size: int = 32
    batch_size: int = 32
    augment: bool = True
    data_root: str = ""
    cache_dir: str = ""
    workers: int = 0
    preload: bool = True
    # schedule, logging, checkpoints
    steps: int = 10000
    val_every: int = 1000
    val_sets: tuple[str, ...] = ("Set5", "Set14")
    val_limit: int = 0
    log_every: int = 50
    ckpt_every: int = 500
    keep_checkpoints: int = 3
    # device
    device: str = "auto"
    amp: str = "auto"
    channels_last: str = "auto"
    compile: bool = False
    threads: int = 0
    progress: bool = True

    def __post_init__(self) -> None:
        # Normalise JSON lists (and single strings) to tuples.
        for name in ("blocks_per_level", "adam_betas", "lr_milestones", "train_sets", "aug_scales", "val_sets"):
            value = getattr(self, name)
            if isinstance(value, str):
                value = tuple(v for v in value.replace(",", " ").split() if v)
            value = tuple(value)
            if name == "blocks_per_level":
                value = tuple(int(v) for v in value)
            elif name in ("adam_betas", "lr_milestones", "aug_scales"):
                value = tuple(float(v) for v in value)
            else:
                value = tuple(str(v) for v in value)
            setattr(self, name, value)
        self.model_options = dict(self.model_options or {})
        self.validate()

    # ------------------------------------------------------------------ checks
    def validate(self) -> None:
        """Raise ``ValueError`` naming the field for any invalid value."""
        for name, choices in _CHOICES.items():
            if getattr(self, name) not in choices:
                raise ValueError(f"{name}={getattr(self, name)!r} is not one of {choices}")
        positive = ("channels", "scale", "patch_size", "batch_size", "steps", "log_every", "ckpt_every",
                    "alternate_every", "keep_checkpoints")
        for name in positive:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        for name in ("hr_blocks", "workers", "warmup_steps", "threads", "val_limit", "final_scale"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
        if not isinstance(self.val_every, int) or self.val_every < -1:
            raise ValueError(f"val_every must be an integer >= -1, got {self.val_every!r}")
        if self.lr <= 0 or not math.isfinite(self.lr):
            raise ValueError(f"lr must be positive, got {self.lr!r}")
        for name in ("fade_fraction", "l1_fraction"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value!r}")
        if self.fade_fraction >= 1.0 and self.blend == "fade":
            raise ValueError("fade_fraction must be < 1 so that the new level ends at full weight")
        if any(not 0.0 < m < 1.0 for m in self.lr_milestones):
            raise ValueError(f"lr_milestones are fractions of the steps in (0, 1), got {self.lr_milestones}")
        if not self.aug_scales or any(not 0.0 < s <= 1.0 for s in self.aug_scales):
            raise ValueError(f"aug_scales must be factors in (0, 1], got {self.aug_scales}")
        if not self.train_sets:
            raise ValueError("train_sets is empty")
        if any(b < 1 for b in self.blocks_per_level):
            raise ValueError(f"blocks_per_level entries must be >= 1, got {self.blocks_per_level}")
        if len(self.adam_betas) != 2:
            raise ValueError(f"adam_betas needs two values, got {self.adam_betas}")
        if self.model == "csrcnn":
            if self.scale not in (2, 4, 8):
                raise ValueError(f"scale must be 2, 4 or 8 for CSRCNN, got {self.scale}")
            if self.final_scale and (self.final_scale not in (2, 4, 8) or self.final_scale < self.scale):
                raise ValueError(f"final_scale must be 0 or one of 2, 4, 8 and >= scale, got {self.final_scale}")
            if self.variant == "model2" and self.curriculum != "none":
                raise ValueError("variant 'model2' is the full model trained end to end: set curriculum='none'")
            if self.blocks_per_level and len(self.blocks_per_level) < self.levels_final:
                raise ValueError(
                    f"blocks_per_level {self.blocks_per_level} has fewer than the {self.levels_final} levels "
                    f"of scale {self.final_scale or self.scale}")
        for name in ("lr", "momentum", "weight_decay", "lr_gamma", "lr_min", "grad_clip"):
            if not isinstance(getattr(self, name), (int, float)) or isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be a number, got {getattr(self, name)!r}")

    @property
    def levels(self) -> int:
        """x2 levels of this stage (``log2(scale)``)."""
        return max(1, self.scale.bit_length() - 1)

    @property
    def levels_final(self) -> int:
        return max(1, (self.final_scale or self.scale).bit_length() - 1)

    # ------------------------------------------------------------------ (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        """Plain dict of every field (tuples as lists): JSON- and papermill-friendly."""
        out = asdict(self)
        for k, v in out.items():
            if isinstance(v, tuple):
                out[k] = list(v)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        """Inverse of :meth:`to_dict`; unknown keys are an error naming them."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown training config field(s) {unknown}; valid fields: {sorted(names)}")
        return cls(**data)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "TrainConfig":
        return cls.from_dict(json.loads(text))

    @classmethod
    def load(cls, path: str | Path) -> "TrainConfig":
        """Read a config JSON file (a run's ``config.json`` works too)."""
        from ..errors import CorruptFileError

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"config file not found: {path}")
        advice = "restore the file, or start from a preset with --profile"
        try:
            data = json.loads(path.read_text())
        except (ValueError, UnicodeDecodeError) as err:
            raise CorruptFileError(path, "training config (JSON)", str(err), advice) from err
        if not isinstance(data, dict):
            raise CorruptFileError(path, "training config (JSON)", f"a JSON object was expected, not a "
                                   f"{type(data).__name__}", advice)
        if "train_config" in data and isinstance(data["train_config"], dict):
            data = data["train_config"]
        return cls.from_dict(data)

    def replace(self, **changes) -> "TrainConfig":
        """A copy with ``changes`` applied (and validated)."""
        names = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"unknown training config field(s) {unknown}")
        return replace(self, **changes)

    # ------------------------------------------------------------------ the model this config builds
    def model_spec(self, scale: int | None = None) -> tuple[str, dict[str, Any]]:
        """``(name, kwargs)`` for :func:`srlib.models.build_model` at ``scale`` (default: this stage).

        A CSRCNN's architecture comes from :func:`srlib.models.csrcnn_config.csrcnn_kwargs` (variant,
        notation, U-block split); ``model_options`` are applied on top."""
        scale = self.scale if scale is None else scale
        if self.model != "csrcnn":
            return self.model, {"scale": scale, **self.model_options}
        kwargs = csrcnn_kwargs(scale, variant=self.variant, notation=self.notation, blocks=self.blocks_per_level,
                               hr_blocks=self.hr_blocks, final_scale=self.final_scale, channels=self.channels,
                               activation=self.activation, image_skip=self.image_skip, init=self.weight_init)
        kwargs.update(self.model_options)
        return "csrcnn", kwargs


def config_diff(a: TrainConfig | dict, b: TrainConfig | dict, ignore: frozenset[str] | set[str] = RUNTIME_FIELDS
                ) -> dict[str, tuple[Any, Any]]:
    """Fields whose values differ between two configs (JSON-normalised), ``{name: (a, b)}``."""
    da = a.to_dict() if isinstance(a, TrainConfig) else dict(a)
    db = b.to_dict() if isinstance(b, TrainConfig) else dict(b)
    out = {}
    for key in sorted(set(da) | set(db)):
        if key in ignore:
            continue
        va, vb = da.get(key, "<absent>"), db.get(key, "<absent>")
        if json.dumps(va, sort_keys=True) != json.dumps(vb, sort_keys=True):
            out[key] = (va, vb)
    return out


def preset(name: str, scale: int = 2, **overrides) -> TrainConfig:
    """The named preset (:data:`srlib.profiles.PRESETS`) at ``scale`` with ``overrides`` applied.

    ``smoke``: seconds, for tests. ``quick``: the book's trainings on a 2-core CPU.
    ``reference``: the committed reference results (GPU). ``paper``: the paper's settings.
    ``campaign``: the long single-thread CPU trainings of :mod:`srlib.campaign`.
    """
    key = name.lower()
    if key not in PRESETS:
        raise ValueError(f"unknown profile {name!r}; expected one of {tuple(PRESETS)}")
    values = {**PRESETS[key](scale), "profile": key, "scale": scale}
    names = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise ValueError(f"unknown training config field(s) {unknown}")
    if key == "campaign" and overrides.get("steps"):
        # The campaign ties the loss alternation and the validation interval to 5 % of the stage.
        tied = max(1, int(overrides["steps"]) // 20)
        overrides = {"alternate_every": tied, "val_every": tied, **overrides}
    values.update(overrides)
    return TrainConfig(**values)
