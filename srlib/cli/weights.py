"""The ``weights`` command: the published weights a user can use (:mod:`srlib.published`)."""
from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path

from ..published import BENCHMARKS, RESULTS_ENV, listing, require_root, results_root

__all__ = ["add_cli_command"]


def _format_listing(rows: list[dict], root: Path) -> str:
    def pflop(value):
        return "not recorded" if value is None else f"{value / 1e15:.2f}"

    header = ["name", "scale", "network", "params", *BENCHMARKS, "train PFLOP", "default"]
    table = [header] + [[r["name"], f"x{r['scale']}", r["network"], f"{r['parameters'] / 1e6:.2f} M",
                         *("-" if r["psnr"][d] is None else f"{r['psnr'][d]:.3f}" for d in BENCHMARKS),
                         pflop(r["total_training_flops"]), f"x{r['scale']} default" if r["default"] else ""]
                        for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [f"Published CSRCNN weights in {root}:"]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table]
    lines += textwrap.wrap(
        "PSNR: dB on the Y channel by the paper's protocol, stored when the result was published ('-': not "
        "evaluated). train PFLOP: training compute from scratch, through the weights each training started "
        "from. Default: the best stored Set5 PSNR of its scale, used by `srlib upscale --scale S` and `srlib "
        "evaluate` without weights (and torch.hub's csrcnn); `--weights NAME` picks another.", 100)
    return "\n".join(lines)


def _cmd_weights(args: argparse.Namespace) -> int:
    root = require_root(results_root())
    rows = listing(root)
    if args.scale is not None:
        rows = [r for r in rows if r["scale"] == args.scale]
    print(json.dumps(rows, indent=2) if args.format == "json" else _format_listing(rows, root))
    return 0


def add_cli_command(subparsers) -> None:
    p = subparsers.add_parser(
        "weights", help="list the published weights (name, network, PSNR, compute, each scale's default)",
        description="The published results a user can use: name (for --weights), scale, network, parameters, "
                    "stored Set5/Set14/B100/Urban100 PSNR, training compute, and each scale's default "
                    f"(read from ${RESULTS_ENV}, else the copy installed with srlib, else results/ of the clone).")
    p.add_argument("--scale", type=int, default=None, help="only this scale")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=_cmd_weights)
