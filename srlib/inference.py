"""Using a trained model: load a checkpoint, upscale images of any size (tiled), and the
``upscale`` command.

* A checkpoint (``.safetensors`` written by :mod:`srlib.training`) carries the model's registry
  name and keyword arguments in its header, so the model is rebuilt without the training code.
* Tiled inference: the LR image is cut into ``tile x tile`` cores, each run with ``overlap``
  extra LR pixels of context on every side, and the output keeps only each core. Tile origins
  are multiples of ``align`` (8) so the stride-2 layers of the U blocks see the same sampling
  grid as on the whole image; with an overlap at least the receptive field the result equals
  untiled inference (up to float rounding).
* Images: RGB through the model; grey (1 channel) replicated to RGB and the output channels
  averaged; an alpha channel is upscaled apart with MATLAB bicubic. A 1-channel (Y) model, e.g.
  the Y-channel FSRCNN, gets Y of YCbCr and Cb/Cr are upscaled with MATLAB bicubic.
  Outputs are clamped to [0, 1] and rounded to uint8 with :func:`srlib.matlab.quantize`.
* Geometric self-ensemble (test-time augmentation, ``self_ensemble=True``): the network is run on
  the 8 dihedral transforms of the LR input (:func:`dihedral`: quarter turns and flips), each
  output is transformed back and the 8 float outputs are averaged before clamping and rounding
  (:func:`dihedral_ensemble`), as EDSR's "+" rows. It costs 8 forward passes.

This module imports models, data, matlab and the run-folder reader (:mod:`srlib.runfolder`) only
(never the training code). ``decode_metadata`` and ``read_safetensors`` are re-exported from there,
``resolve_device`` from :mod:`srlib.device`, ``rgb_to_ycbcr`` / ``ycbcr_to_rgb`` from :mod:`srlib.colour`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from .colour import rgb_to_ycbcr, ycbcr_to_rgb
from .device import resolve_device
from .errors import CheckpointFormatError, InvalidValueError
from .matlab import imresize, imresize_torch, quantize
from .models.parameters import model_input_channels
from .runfolder import CHECKPOINT_ADVICE, RunFolder, decode_metadata, read_safetensors

__all__ = ["LoadedModel", "decode_metadata", "read_safetensors", "load_checkpoint", "load_upscaler", "model_upscaler", "upscale_image", "run_tiled", "run_tiled_uint8",
           "FadeBlend", "resolve_device", "rgb_to_ycbcr", "ycbcr_to_rgb", "checkpoint_upscaler", "DIHEDRAL",
           "dihedral", "dihedral_ensemble"]

#: The 8 transforms of :func:`dihedral`: 0-3 quarter turns, 4-7 the same followed by a left-right flip.
DIHEDRAL = tuple(range(8))


class FadeBlend(nn.Module):
    """The one wrapper between a network and LR images, in training and in inference.

    ``forward`` takes LR images and returns the model's list of images (a single-output model
    gives a list of one). A pre-upsampling network (``pre_upsample = True``: SRCNN, VDSR, DRCN,
    DRRN) first gets its input upsampled to HR size by MATLAB's bicubic (float, no rounding: as
    those papers prepared their inputs). When ``fade`` is on, the last image is
    ``alpha * new + (1 - alpha) * up2(previous)``, with ``up2`` the bicubic x2 upsampling.
    ``alpha`` is a buffer (set with :meth:`set_alpha`), so a compiled model does not recompile
    when it changes. ``pyramid``: a model with ``forward_pyramid`` (LapSRN) returns the image of
    every level, for its multi-level loss in training.
    """

    def __init__(self, model: nn.Module, fade: bool = False, alpha: float = 1.0, pyramid: bool = False):
        super().__init__()
        self.model = model
        self.fade = bool(fade)
        self.pyramid = bool(pyramid)
        self.register_buffer("alpha", torch.tensor(float(alpha)), persistent=False)

    def set_alpha(self, value: float) -> None:
        self.alpha.fill_(float(value))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        if getattr(self.model, "pre_upsample", False):
            x = imresize_torch(x, scale=float(self.model.scale))
        out = self.model.forward_pyramid(x) if self.pyramid else self.model(x)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        if self.fade and len(outs) >= 2:
            prev = F.interpolate(outs[-2], scale_factor=2, mode="bicubic", align_corners=False)
            a = self.alpha.to(outs[-1].dtype)
            outs[-1] = a * outs[-1] + (1 - a) * prev
        return outs


@dataclass
class LoadedModel:
    """A model rebuilt from a checkpoint."""

    model: nn.Module  # a FadeBlend around the network (fade off unless the checkpoint is mid-fade)
    name: str  # registry name
    kwargs: dict
    scale: int
    metadata: dict
    path: Path

    @property
    def scales(self) -> tuple[int, ...]:
        """The factors this model can produce: every level of a cascade (x2, x4, ...), else its scale."""
        if self.name == "csrcnn":
            return tuple(2**i for i in range(1, self.scale.bit_length()))
        return (self.scale,)

    @property
    def trained_scales(self) -> tuple[int, ...]:
        """The factors whose output was trained, which are the ones worth using: the checkpoint's
        own scale, and every level up to it only when its training config says each level had a loss
        (``loss_levels='all'``). With the paper's ``'final'`` loss a stage's earlier levels are
        intermediate features that later training moved away from images (an x4 stage's x2 level
        scores below bicubic), so they are not offered."""
        config = self.metadata.get("train_config")
        if isinstance(config, dict) and config.get("loss_levels") == "all":
            return tuple(s for s in self.scales if s <= self.scale)
        return (self.scale,)

    def check_scale(self, scale: int) -> int:
        """``scale`` if this checkpoint's output at ``scale`` was trained (:attr:`trained_scales`);
        else :class:`~srlib.errors.InvalidValueError` naming the network, its scale and ``scale``."""
        if scale not in self.trained_scales:
            own = ", ".join(f"x{s}" for s in self.trained_scales)
            why = ("its earlier levels are intermediate (trained with loss_levels='final')" if scale in self.scales
                   else "it has no such output")
            raise InvalidValueError(f"{self.path} holds a {self.name} x{self.scale} network trained for {own}; it "
                                    f"cannot give x{scale} ({why}): use --scale {self.scale}, or weights trained "
                                    f"at x{scale}")
        return scale


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> LoadedModel:
    """Rebuild the model of a ``.safetensors`` checkpoint written by the training engine.

    Accepts a weights file, or a run directory (its ``final.safetensors``, else its newest
    step checkpoint).
    """
    from .models import build_model

    path = Path(path)
    if path.is_dir():
        path = RunFolder(path).weights()
    state, meta = read_safetensors(path)
    if "model" not in meta or not isinstance(meta.get("model_kwargs"), dict):
        raise CheckpointFormatError(path, "srlib checkpoint", "its header has no srlib model description "
                                    "(a safetensors file from another program?)", CHECKPOINT_ADVICE)
    name, kwargs = str(meta["model"]), dict(meta["model_kwargs"])
    try:
        model = build_model(name, **kwargs)
    except (KeyError, TypeError, ValueError) as err:
        reason = err.args[0] if isinstance(err, KeyError) and err.args else err
        raise CheckpointFormatError(path, "srlib checkpoint", f"its header describes a model this srlib cannot "
                                    f"build: {reason}", "use the srlib version that wrote it, or retrain") from err
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        first = str(err).strip().splitlines()
        raise CheckpointFormatError(path, "srlib checkpoint", "its tensors do not match the model its header "
                                    f"describes ({' '.join(first[1:3]).strip() or first[0]})",
                                    CHECKPOINT_ADVICE) from err
    try:
        alpha = float(meta.get("fade_alpha", 1.0))
    except (TypeError, ValueError) as err:
        raise CheckpointFormatError(path, "srlib checkpoint", f"fade_alpha {meta.get('fade_alpha')!r} is not a "
                                    "number", CHECKPOINT_ADVICE) from err
    wrapped = FadeBlend(model, fade=alpha < 1.0, alpha=alpha)
    wrapped.eval().to(resolve_device(device))
    scale = int(meta.get("scale", kwargs.get("scale", 0)))
    return LoadedModel(wrapped, name, kwargs, scale, meta, path)


def _output_index(loaded_scales: tuple[int, ...], scale: int) -> int:
    if scale not in loaded_scales:
        raise ValueError(f"this model produces x{', x'.join(map(str, loaded_scales))}; x{scale} was asked for")
    return loaded_scales.index(scale)


def dihedral(x, k: int, inverse: bool = False):
    """The ``k``-th (0-7) dihedral transform of an image: ``k % 4`` counter-clockwise quarter turns,
    then a left-right flip when ``k >= 4``; ``inverse``: the transform that undoes it. ``x``: a
    torch tensor ``(..., H, W)`` or a numpy array ``H x W (x C)``."""
    if k not in DIHEDRAL:
        raise ValueError(f"a dihedral transform is numbered 0-7, got {k!r}")
    if torch.is_tensor(x):
        dims, rot, flip = (-2, -1), torch.rot90, lambda a: torch.flip(a, (-1,))
    else:
        dims, rot, flip = (0, 1), np.rot90, lambda a: np.flip(a, 1)
    if not inverse:
        y = rot(x, k % 4, dims)
        return flip(y) if k >= 4 else y
    return rot(flip(x) if k >= 4 else x, -(k % 4), dims)


def dihedral_ensemble(fn: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[torch.Tensor], torch.Tensor]:
    """``fn`` (``(N, C, h, w) -> (N, C', h*s, w*s)``) as a geometric self-ensemble: the mean of
    ``dihedral(fn(dihedral(x, k)), k, inverse=True)`` over the 8 transforms (float, before any
    clamping or rounding)."""

    def ensemble(x: torch.Tensor) -> torch.Tensor:
        total = None
        for k in DIHEDRAL:
            y = dihedral(fn(dihedral(x, k).contiguous()), k, inverse=True)
            total = y.clone() if total is None else total.add_(y)
        return total / len(DIHEDRAL)

    return ensemble


def run_tiled(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, scale: int, tile: int = 0,
              overlap: int = 24, align: int = 8, progress: bool = False) -> torch.Tensor:
    """Apply ``fn`` (``(1, C, h, w) -> (1, C', h*scale, w*scale)``) to ``x`` tile by tile.

    ``tile``: LR side of each core (0 or >= the image: one pass); rounded down to a multiple of
    ``align`` (and at least ``align``); ``overlap``: LR context added on every side, rounded up to
    a multiple of ``align``.
    """
    _, _, h, w = x.shape
    if tile <= 0 or (h <= tile and w <= tile):
        return fn(x)
    out = None
    for window, core, inside in tqdm(_tiles(h, w, scale, tile, overlap, align), total=_tile_count(h, w, tile, align),
                                     desc="tiles", disable=not progress, leave=False):
        piece = fn(x[(..., *window)])
        if out is None:
            out = piece.new_zeros((x.shape[0], piece.shape[1], h * scale, w * scale))
        out[(..., *core)] = piece[(..., *inside)]
    return out


def _tiles(h: int, w: int, scale: int, tile: int, overlap: int, align: int) -> Iterator[tuple[tuple[slice, slice], ...]]:
    """The tiles of an ``h x w`` LR image for :func:`run_tiled`: per core of side ``tile`` (rounded
    down to a multiple of ``align``), ``(window, core, inside)``: the LR rows / columns the network
    sees (the core plus ``overlap``, rounded up to a multiple of ``align``, on every side inside the
    image), the output rows / columns the core fills, and where they lie in the window's output.
    A generator (nothing is held per tile): tqdm gets the count from :func:`_tile_count`."""
    tile = max(align, tile // align * align)
    overlap = int(math.ceil(overlap / align) * align)
    for y0 in range(0, h, tile):
        for x0 in range(0, w, tile):
            y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
            ys, xs = max(0, y0 - overlap), max(0, x0 - overlap)
            ye, xe = min(h, y1 + overlap), min(w, x1 + overlap)
            yield ((slice(ys, ye), slice(xs, xe)),
                   (slice(y0 * scale, y1 * scale), slice(x0 * scale, x1 * scale)),
                   (slice((y0 - ys) * scale, (y1 - ys) * scale), slice((x0 - xs) * scale, (x1 - xs) * scale)))


def _tile_count(h: int, w: int, tile: int, align: int) -> int:
    tile = max(align, tile // align * align)
    return math.ceil(h / tile) * math.ceil(w / tile)


def run_tiled_uint8(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, scale: int,
                    to_uint8: Callable[[torch.Tensor], np.ndarray], out_channels: int, tile: int = 0,
                    overlap: int = 24, align: int = 8, progress: bool = False) -> np.ndarray:
    """Like :func:`run_tiled`, but each core goes through ``to_uint8`` (a ``(1, C', h, w)`` float
    tensor -> ``h x w x out_channels`` uint8 array, elementwise per pixel) as soon as it is made,
    into one preallocated ``H*scale x W*scale x out_channels`` uint8 array. So the whole output is
    held once, in uint8 (1 byte per value instead of 4 + 8), and the float work is per tile; the
    result equals converting the untiled output when ``to_uint8`` works pixel by pixel.
    """
    _, _, h, w = x.shape
    out = np.empty((h * scale, w * scale, out_channels), dtype=np.uint8)
    if tile <= 0 or (h <= tile and w <= tile):
        out[...] = to_uint8(fn(x))
        return out
    for window, core, inside in tqdm(_tiles(h, w, scale, tile, overlap, align), total=_tile_count(h, w, tile, align),
                                     desc="tiles", disable=not progress, leave=False):
        piece = fn(x[(..., *window)])
        part = piece[(..., *inside)]
        out[core] = to_uint8(part)
        del piece, part
    return out


def auto_tile(scale: int, channels: int = 64, budget_bytes: float = 2**30) -> int:
    """An LR tile side whose feature maps at the output size stay within ``budget_bytes``
    (about 6 live float32 maps of ``channels`` at ``(tile * scale)^2``)."""
    side = math.sqrt(budget_bytes / (4 * max(channels, 1) * 6)) / scale
    return max(32, int(side) // 8 * 8)


def model_upscaler(model: nn.Module, model_scales: tuple[int, ...], *, device: str | torch.device | None = None,
                   tile: int | None = None, overlap: int = 24, amp: bool = False, channels_last: bool = False,
                   progress: bool = False, self_ensemble: bool = False) -> Callable[[np.ndarray, int], np.ndarray]:
    """An upscaler ``(lr uint8 H x W x C, scale) -> sr uint8`` from a model returning a list of
    images (one per factor in ``model_scales``; e.g. a :class:`FadeBlend`). ``self_ensemble``:
    each tile (the whole image untiled) through the 8-transform ensemble (:func:`dihedral_ensemble`)."""
    dev = next(model.parameters()).device if device is None else torch.device(device)
    in_ch = model_input_channels(model, default=3)
    width = getattr(getattr(getattr(model, "model", model), "config", None), "channels", 64)

    def upscaler(lr: np.ndarray, scale: int) -> np.ndarray:
        index = _output_index(model_scales, scale)
        t = tile if tile is not None else auto_tile(scale, width)

        def plain(x: torch.Tensor) -> torch.Tensor:
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp and dev.type == "cuda"):
                return model(x)[index].float()

        fn = dihedral_ensemble(plain) if self_ensemble else plain

        def run(planes: np.ndarray) -> np.ndarray:  # H x W x C float in [0, 1] -> float output
            x = torch.from_numpy(np.ascontiguousarray(planes.transpose(2, 0, 1))).float()[None].to(dev)
            with torch.inference_mode():
                y = run_tiled(fn, x, scale, tile=t, overlap=overlap, progress=progress)
            return y[0].clamp(0, 1).permute(1, 2, 0).cpu().double().numpy()

        def run_uint8(planes: np.ndarray, grey: bool) -> np.ndarray:  # H x W x 3 uint8 -> uint8 (1 or 3)
            x = torch.from_numpy(np.ascontiguousarray(planes.transpose(2, 0, 1))).float().div_(255.0)[None].to(dev)

            def to_uint8(y: torch.Tensor) -> np.ndarray:  # exactly the float path's steps, per tile
                tile_out = y[0].clamp(0, 1).permute(1, 2, 0).cpu().double().numpy()
                return quantize(tile_out.mean(axis=2, keepdims=True)) if grey else quantize(tile_out)

            with torch.inference_mode():
                return run_tiled_uint8(fn, x, scale, to_uint8, 1 if grey else 3, tile=t, overlap=overlap,
                                       progress=progress)

        return upscale_image(lr, scale, run, in_ch, run_uint8=run_uint8)

    return upscaler


def upscale_image(img: np.ndarray, scale: int, run: Callable[[np.ndarray], np.ndarray], in_channels: int = 3,
                  run_uint8: Callable[[np.ndarray, bool], np.ndarray] | None = None) -> np.ndarray:
    """Upscale a uint8 ``H x W x C`` image (C = 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA) with ``run``
    (``H x W x in_channels`` float [0, 1] -> float [0, 1] at ``scale``); returns uint8 with C channels.

    ``run_uint8`` (RGB models): ``(H x W x 3 uint8, grey) -> uint8 output`` (grey: the channel mean,
    1 channel), the same result without a float copy of the whole output (see :func:`run_tiled_uint8`)."""
    img = np.asarray(img)
    if img.ndim == 2:
        img = img[..., None]
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] not in (1, 2, 3, 4):
        raise ValueError(f"expected a uint8 H x W x C image with C in 1..4, got {img.dtype} {img.shape}")
    c = img.shape[2]
    colour, alpha = (img[..., :-1], img[..., -1:]) if c in (2, 4) else (img, None)
    grey = colour.shape[2] == 1
    if in_channels == 3 and run_uint8 is not None:
        sr = run_uint8(np.repeat(colour, 3, axis=2) if grey else colour, grey)
    elif in_channels == 3:
        planes = np.repeat(colour, 3, axis=2) if grey else colour
        out = run(planes.astype(np.float64) / 255.0)
        sr = quantize(out.mean(axis=2, keepdims=True)) if grey else quantize(out)
    elif in_channels == 1:
        if grey:
            sr = quantize(run(colour.astype(np.float64) / 255.0))
        else:
            ycc = rgb_to_ycbcr(colour)
            y = run(ycc[..., :1] / 255.0)[..., 0] * 255.0
            cbcr = imresize(ycc[..., 1:], float(scale))
            sr = quantize(np.clip(ycbcr_to_rgb(np.dstack([y, cbcr])), 0.0, 1.0))
    else:
        raise ValueError(f"models with {in_channels} input channels are not supported")
    if alpha is not None:
        sr = np.dstack([sr, imresize(alpha, float(scale))])
    return sr


def load_upscaler(path: str | Path, scale: int | None = None, device: str = "auto", tile: int | None = None,
                  overlap: int = 24, progress: bool = False, self_ensemble: bool = False
                  ) -> tuple[Callable[[np.ndarray, int], np.ndarray], str]:
    """``(upscaler, method name)`` for a trained checkpoint (used by ``srlib evaluate``).

    ``scale`` defaults to the model's scale; another one is refused unless that level of the
    cascade was trained (:attr:`LoadedModel.trained_scales`). ``self_ensemble``: the x8 geometric
    self-ensemble (:func:`dihedral_ensemble`; the method name ends in ``+x8``).
    """
    loaded = load_checkpoint(path, device=device)
    upscaler, name, _ = checkpoint_upscaler(loaded, scale, device, tile, overlap, progress, self_ensemble)
    return upscaler, name


def checkpoint_upscaler(loaded: LoadedModel, scale: int | None, device: str, tile: int | None, overlap: int,
                  progress: bool, self_ensemble: bool = False) -> tuple[Callable[[np.ndarray, int], np.ndarray], str, int]:
    scale = loaded.check_scale(loaded.scale if not scale else int(scale))
    dev = resolve_device(device)
    upscaler = model_upscaler(loaded.model, loaded.scales, device=dev, tile=tile, overlap=overlap,
                              amp=False, progress=progress, self_ensemble=self_ensemble)  # float32 (bf16 would cost accuracy)
    parent = loaded.path.parent
    run_name = parent.parent.name if parent.name == "checkpoints" else parent.name
    return upscaler, f"{loaded.name}:{run_name}/{loaded.path.stem}" + ("+x8" if self_ensemble else ""), scale
