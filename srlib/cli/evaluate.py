"""The ``evaluate`` command: PSNR / SSIM of bicubic or a trained network on a benchmark, by the
paper's protocol (:mod:`srlib.evaluation`)."""
from __future__ import annotations

import argparse
import csv
import io
import json

__all__ = ["add_cli_command"]


def _format_result(result: dict, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(result, indent=2)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["method", "dataset", "scale", "image", "psnr", "ssim"])
        for row in result["per_image"]:
            writer.writerow([result["method"], result["dataset"], result["scale"], row["name"],
                             f"{row['psnr']:.4f}", f"{row['ssim']:.5f}"])
        writer.writerow([result["method"], result["dataset"], result["scale"], "MEAN",
                         f"{result['psnr']:.4f}", f"{result['ssim']:.5f}"])
        return buf.getvalue().rstrip("\n")
    lines = [f"{result['method']} on {result['dataset']} x{result['scale']} "
             f"({result['images']} images, SSIM window: {result['ssim_window']})"]
    lines += [f"  {row['name']:<12} {row['psnr']:8.3f} dB  {row['ssim']:.4f}" for row in result["per_image"]]
    lines.append(f"  {'mean':<12} {result['psnr']:8.3f} dB  {result['ssim']:.4f}")
    return "\n".join(lines)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from ..evaluation import bicubic_upscaler, evaluate

    if args.method == "bicubic":
        upscaler, name = bicubic_upscaler, "bicubic"
    else:
        from .. import published
        from ..inference import load_upscaler  # the trained-model path (training engine)

        weights, chosen = published.resolve_weights(args.method, args.scale)
        published.announce(chosen, "evaluate")
        upscaler, name = load_upscaler(weights, scale=args.scale, device=args.device)
    result = evaluate(upscaler, args.dataset, args.scale, method=name, root=args.data_dir,
                      ssim_window=args.ssim_window, progress=not args.quiet, limit=args.limit)
    print(_format_result(result.to_dict(), args.format))
    return 0


def add_cli_command(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate", help="PSNR/SSIM on a benchmark with the paper's protocol",
        description="Evaluate 'bicubic', a trained checkpoint or published weights on a benchmark (Y channel, scale pixels "
                    "shaved, MATLAB bicubic LR, MATLAB SSIM).")
    p.add_argument("method", nargs="?", default=None,
                   help="'bicubic', a trained checkpoint (.safetensors) or a published result's name (`srlib "
                        "weights`); default: the best published weights for --scale")
    p.add_argument("--dataset", required=True, help="Set5, Set14, B100, Urban100 or Manga109")
    p.add_argument("--scale", type=int, required=True, choices=[2, 3, 4, 8])
    p.add_argument("--format", choices=["json", "table", "csv"], default="table")
    p.add_argument("--ssim-window", choices=["matlab", "valid"], default="matlab",
                   help="'matlab' (the paper's, default) or 'valid' (BasicSR)")
    p.add_argument("--data-dir", default=None, help="data root (default: $SRLIB_DATA_DIR or ./data)")
    p.add_argument("--device", default="auto", help="for checkpoints: auto, cpu or cuda")
    p.add_argument("--limit", type=int, default=None, help="only the first N images")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_evaluate)
