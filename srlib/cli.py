"""Command line: ``python -m srlib <command> ...`` (also installed as ``srlib``).

Each command lives next to the code it drives; a module listed in ``_COMMAND_MODULES`` provides
``add_cli_command(subparsers)``, which adds its sub-parser and sets ``func(args) -> exit code``.

Errors: every failure ends in one line on stderr (``srlib <command>: error: ...``) and exit code 1
(3 for a diverged training, 130 for Ctrl-C); ``--debug`` or ``SRLIB_DEBUG=1`` shows the traceback.
Output piped into ``head`` that closes early is not an error.
"""
from __future__ import annotations

import argparse
import csv
import importlib
import io
import errno
import json
import os
import sys
import traceback

from . import __version__

# Modules that contribute sub-commands (imported lazily so `--help` stays fast).
_COMMAND_MODULES = ["srlib.cli", "srlib.profiling", "srlib.training.cli", "srlib.inference",
                    "srlib.data.fetch", "srlib.campaign", "srlib.ablations", "srlib.league", "srlib.published"]


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
    from .evaluation import bicubic_upscaler, evaluate

    if args.method == "bicubic":
        upscaler, name = bicubic_upscaler, "bicubic"
    else:
        from . import published
        from .inference import load_upscaler  # the trained-model path (training engine)

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="srlib", description="CSRCNN paper companion toolkit")
    parser.add_argument("--version", action="version", version=f"srlib {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error (or SRLIB_DEBUG=1)")
    subparsers = parser.add_subparsers(dest="command", metavar="command")
    for name in _COMMAND_MODULES:
        module = sys.modules[__name__] if name == __name__ else importlib.import_module(name)
        module.add_cli_command(subparsers)
    for sub in subparsers.choices.values():  # `srlib upscale ... --debug` works too
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def error_message(err: BaseException) -> str:
    """One line for a failure: the library's own errors as they are, OS errors with their advice."""
    from .errors import SrlibError, one_line, output_error

    if isinstance(err, SrlibError):
        return one_line(str(err))
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM,
                                                   errno.EROFS) and err.filename:
        return one_line(str(output_error(err.filename, err)))
    if isinstance(err, (FileNotFoundError, ValueError, KeyError, OSError)):
        text = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
        return one_line(str(text))
    return one_line(f"unexpected {type(err).__name__}: {err} (a bug? run with --debug for the traceback)")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    debug = bool(getattr(args, "debug", False)) or os.environ.get("SRLIB_DEBUG", "") not in ("", "0")
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # The reader (e.g. `head`) closed the pipe: not an error; silence the flush at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc()
        hint = getattr(args, "interrupt_hint", None)
        print(f"srlib {args.command}: interrupted{'; ' + hint if hint else ''}", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - the one place that turns errors into a message
        if debug:
            traceback.print_exc()
        print(f"srlib {args.command}: error: {error_message(err)}", file=sys.stderr)
        return 1
