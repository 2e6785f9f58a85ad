"""The ``profile`` command: Table VI's measurements (:mod:`srlib.profiling`) on this device."""
from __future__ import annotations

import argparse
import os
import sys

import torch

from ..device import describe_device, resolve_device
from ..efficiency import attach_paper_columns, format_table, profile_table
from ..profiling import resolve_model_name

__all__ = ["add_cli_command", "run_profile_command"]


def _check_profile_args(args: argparse.Namespace) -> None:
    """Every option checked before the first model is built (one clear error, nothing half-done)."""
    from ..errors import InvalidValueError, UnknownNameError, check_writable
    from ..models import list_models

    known = set(list_models())
    unknown = [m for m in args.models if m.lower() != "all" and resolve_model_name(m) not in known]
    if unknown:
        raise UnknownNameError(f"unknown model(s) {', '.join(map(repr, unknown))} for --models; known: all, "
                               f"{', '.join(sorted(known))} (or the paper's names, e.g. D-DBPN)")
    for flag, value, low in (("--size", args.size, 1), ("--repeats", args.repeats, 1), ("--warmup", args.warmup, 0),
                             ("--threads", args.threads, 1)):
        if value is not None and value < low:
            raise InvalidValueError(f"{flag} must be an integer >= {low}, got {value}")
    bad_scales = [s for s in args.scales if s not in (2, 3, 4, 8)]
    if bad_scales:
        raise InvalidValueError(f"--scales must be among 2, 3, 4, 8; got {' '.join(map(str, bad_scales))}")
    if args.max_seconds is not None and not args.max_seconds > 0:
        raise InvalidValueError(f"--max-seconds must be > 0, got {args.max_seconds}")
    if args.device == "cuda" and not torch.cuda.is_available():
        raise InvalidValueError("--device cuda, but CUDA is not available here; use --device cpu or auto")
    if args.output:
        check_writable(os.path.dirname(os.path.abspath(args.output)))


def run_profile_command(args: argparse.Namespace) -> int:
    """Handler of ``profile``: print the table to stdout; the device goes to stderr for csv/json
    (stdout stays machine-readable; it is also the ``device_name`` column) and is the first line,
    '# device: ...', of the 'table' format. Returns 0 (out-of-memory rows are results, not errors).
    """
    _check_profile_args(args)
    if args.threads:
        torch.set_num_threads(args.threads)
    dev = resolve_device(args.device)
    df = profile_table(args.models, args.scales, size=args.size, device=dev, repeats=args.repeats,
                       warmup=args.warmup, bf16=args.bf16, channels_last=args.channels_last,
                       max_seconds=args.max_seconds, memory=args.memory, progress=not args.quiet)
    if args.paper:
        df = attach_paper_columns(df)
    device_line = f"device: {describe_device(dev)}"
    settings = (f"LR {args.size}x{args.size}, batch 1, {'bf16' if args.bf16 else 'fp32'}"
                f"{', channels_last' if args.channels_last else ''}, median of <= {args.repeats} timed runs "
                f"after <= {args.warmup} warm-up + 1 memory pass"
                f"{f', <= {args.max_seconds:g} s per phase' if args.max_seconds else ''}")
    text = format_table(df, args.format)
    if args.format == "table":
        text = f"# {device_line}\n# {settings}\n{text}"
    else:
        print(device_line, file=sys.stderr)
    print(text)
    if args.output:
        from ..errors import output_error
        try:
            with open(args.output, "w") as f:
                f.write(text + "\n")
        except OSError as err:
            raise output_error(args.output, err) from err
    return 0


def add_cli_command(subparsers) -> argparse.ArgumentParser:
    """Add the ``profile`` sub-command (Table VI: parameters, memory, latency) to ``subparsers``."""
    p = subparsers.add_parser(
        "profile", help="parameters, peak memory and latency of the models (Table VI)",
        description="Measure #params, peak forward memory and median latency of each model at each scale "
                    "for a size x size LR input (pre-upsampling models get the HR-size input). The table "
                    "goes to stdout; with csv/json the device line goes to stderr.")
    p.add_argument("--models", nargs="+", default=["all"],
                   help="'all' (Table VI methods + EDSR) or model names (e.g. srcnn dbpn csrcnn)")
    p.add_argument("--scales", nargs="+", type=int, default=[2, 4, 8])
    p.add_argument("--size", type=int, default=48, help="LR input side (default 48)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--repeats", type=int, default=10, help="timed forward passes (default 10)")
    p.add_argument("--warmup", type=int, default=2, help="untimed warm-up passes before the memory pass")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="cap (seconds) on each model's warm-up and on its timed passes (>= 1 timed pass)")
    p.add_argument("--bf16", action="store_true", help="bfloat16 weights and input")
    p.add_argument("--channels-last", action="store_true", help="NHWC memory format")
    p.add_argument("--memory", default="auto", choices=["auto", "rss", "tensors"],
                   help="CPU memory method (CUDA uses the allocator's peak)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--paper", action="store_true", help="add the paper's Table VI columns")
    p.add_argument("--format", default="table", choices=["csv", "json", "table"])
    p.add_argument("--output", "-o", default=None, help="also write the printed table to this file")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_profile_command)
    return p
