"""The ``upscale`` command: one image through a trained network (:mod:`srlib.inference`)."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..errors import InvalidValueError, OutputExistsError, check_writable
from ..inference import checkpoint_upscaler, load_checkpoint

__all__ = ["add_cli_command", "check_output_path"]

_OUTPUT_SUFFIXES = (".png", ".bmp", ".tif", ".tiff", ".jpg", ".jpeg", ".webp")


def check_output_path(out: Path, inputs: tuple[Path, ...] = (), force: bool = False) -> None:
    """Refuse to write ``out`` over one of ``inputs`` (ever) or over an existing file (unless
    ``force``), or into a folder that cannot be written; checked before any work is done."""
    for src in inputs:
        if out.exists() and src.exists() and os.path.samefile(out, src):
            raise OutputExistsError(f"refusing to overwrite the input {src} with the output; give another -o")
    if out.is_dir():
        raise OutputExistsError(f"the output {out} is a folder; give a file name, e.g. {out / 'out.png'}")
    if out.exists() and not force:
        raise OutputExistsError(f"{out} exists; pass --force to replace it, or give another -o")
    check_writable(out.parent)


def _cmd_upscale(args: argparse.Namespace) -> int:
    from .. import published
    from ..data import load_image, save_image

    if args.scale is not None and args.scale < 1:
        raise InvalidValueError(f"--scale must be a factor the model produces (2, 4 or 8), got {args.scale}")
    if args.tile is not None and args.tile < 0:
        raise InvalidValueError(f"--tile must be >= 0 (0 = no tiling), got {args.tile}")
    if args.overlap < 0:
        raise InvalidValueError(f"--overlap must be >= 0, got {args.overlap}")
    src = Path(args.input)
    if args.output and Path(args.output).suffix.lower() not in _OUTPUT_SUFFIXES:
        raise InvalidValueError(f"-o {args.output}: the output type comes from its suffix; use one of "
                                f"{', '.join(_OUTPUT_SUFFIXES)}")
    img = load_image(src, keep_alpha=True, upright=True)  # a photo's EXIF orientation: the output is upright
    weights, chosen = published.resolve_weights(args.weights, args.scale)
    if not args.quiet:
        published.announce(chosen, "upscale")
    loaded = load_checkpoint(weights, device=args.device)
    upscaler, name, scale = checkpoint_upscaler(loaded, args.scale, args.device, args.tile, args.overlap,
                                          progress=not args.quiet)
    out = Path(args.output) if args.output else src.with_name(f"{src.stem}_x{scale}.png")
    check_output_path(out, (src, loaded.path), force=args.force)
    sr = upscaler(img, scale)
    save_image(out, sr)
    if not args.quiet:
        print(f"{args.input} {img.shape[1]}x{img.shape[0]} -> {out} {sr.shape[1]}x{sr.shape[0]} ({name})")
    return 0


def add_cli_command(subparsers) -> None:
    p = subparsers.add_parser(
        "upscale", help="upscale an image with a trained checkpoint",
        description="Super-resolve one image with a trained model (tiled, written into a uint8 output: memory is "
                    "the output's 3 bytes per pixel plus one tile's feature maps; never over the input). "
                    "Grey images go through the colour model and its channels are averaged; an alpha "
                    "channel is upscaled with MATLAB bicubic.")
    p.add_argument("input", help="input image (PNG, BMP, JPEG, ...; grey, RGB, grey+alpha or RGBA)")
    p.add_argument("--weights", default=None, help="checkpoint (.safetensors), run directory or a published "
                   "result's name (`srlib weights`); default: the best published weights for --scale")
    p.add_argument("--scale", type=int, default=None, help="2, 4 or 8 (default: the model's scale)")
    p.add_argument("-o", "--output", default=None, help="output PNG (default: <input>_x<scale>.png); never the input")
    p.add_argument("--force", action="store_true", help="replace an existing output file")
    p.add_argument("--tile", type=int, default=None, help="LR tile side (default: automatic; 0 = no tiling)")
    p.add_argument("--overlap", type=int, default=24, help="LR context pixels around each tile (default 24)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_upscale)
