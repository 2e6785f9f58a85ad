"""The ``train`` command.

::

    python -m srlib train --profile quick --scale 2 --out runs/x2
    python -m srlib train --profile quick --scale 4 --out runs/x4 --init runs/x2/final.safetensors
    python -m srlib train --profile quick --scale 8 --out runs/c --all-stages      # x2, x4, x8 in runs/c/x*
    python -m srlib train --out runs/x2 --resume                                    # continue a killed run
    torchrun --nproc_per_node=2 -m srlib train --profile reference --scale 2 --out runs/x2

Every field of :class:`~srlib.training.config.TrainConfig` is also an option
(``--channels 32 --steps 500 --image-skip none --val-sets Set5,Set14``).
"""
from __future__ import annotations

import argparse
import json
import sys
import typing
from dataclasses import fields
from pathlib import Path

from .config import PRESETS, TrainConfig, preset

_EXPLICIT = {"profile", "scale", "init"}
_ALIASES = {"data_root": ["--data-dir"]}


def _parse_bool(text: str) -> bool:
    low = text.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true/false, got {text!r}")


def _field_parser(tp):
    origin = typing.get_origin(tp)
    if tp is bool:
        return _parse_bool, "BOOL"
    if tp is int:
        return int, "INT"
    if tp is float:
        return float, "FLOAT"
    if tp is dict or origin is dict:
        return json.loads, "JSON"
    if origin is tuple:
        return (lambda s: tuple(v for v in s.replace(",", " ").split() if v)), "A,B,..."
    return str, "STR"


def _overrides(args: argparse.Namespace) -> dict:
    out = {}
    for f in fields(TrainConfig):
        if f.name in _EXPLICIT:
            continue
        value = getattr(args, f"cfg_{f.name}", None)
        if value is not None:
            out[f.name] = value
    return out


def build_config(args: argparse.Namespace) -> TrainConfig:
    """The run's config: ``--config`` file, or the stored config of ``--out`` when resuming
    without ``--profile``, or the ``--profile`` preset (default 'quick'); then the overrides."""
    overrides = _overrides(args)
    stored = Path(args.out) / "config.json"
    if args.config:
        cfg = TrainConfig.load(args.config)
        if args.scale:
            overrides["scale"] = args.scale
    elif args.resume and not args.profile and stored.is_file():
        cfg = TrainConfig.load(stored)
        if args.scale and args.scale != cfg.scale:
            overrides["scale"] = args.scale
    else:
        if not args.scale:
            raise ValueError("give --scale (2, 4 or 8)")
        cfg = preset(args.profile or "quick", args.scale)
    if args.init is not None:
        overrides["init"] = args.init
    return cfg.replace(**overrides) if overrides else cfg


def _cmd_train(args: argparse.Namespace) -> int:
    from .engine import TrainingDivergedError, train, train_curriculum

    args.interrupt_hint = (f"the last checkpoint is kept; continue with: python -m srlib train --out {args.out} "
                           f"--resume{' --all-stages' if args.all_stages else ''}")
    config = build_config(args)
    rank0 = __import__("os").environ.get("RANK", "0") == "0"
    try:
        if args.all_stages:
            results = train_curriculum(config, args.out, resume=args.resume)
        else:
            results = [train(config, args.out, resume=args.resume)]
    except TrainingDivergedError as err:
        print(f"srlib train: stopped: {err}", file=sys.stderr)
        return 3
    except FileExistsError as err:
        print(f"srlib train: error: {err}", file=sys.stderr)
        return 1
    if rank0:
        for r in results:
            scores = ", ".join(f"{k} {v['psnr']:.2f} dB / {v['ssim']:.4f}" for k, v in r.scores.items())
            print(f"{r.out_dir}: {r.step} steps in {r.wall_time:.0f} s; {scores or 'no validation'}; "
                  f"weights {r.final_weights}")
    return 0


def add_cli_command(subparsers) -> None:
    p = subparsers.add_parser(
        "train", help="train a model (one curriculum stage, or all with --all-stages)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=__doc__.split("\n", 2)[2] + "\nProfiles: " + ", ".join(PRESETS) + ".")
    p.add_argument("--profile", choices=list(PRESETS), default=None,
                   help="named preset (default: quick; when resuming: the run's stored config)")
    p.add_argument("--scale", type=int, default=None, help="the stage's scale: 2, 4 or 8")
    p.add_argument("--out", required=True, help="run directory (x2 / x4 / x8 sub-folders with --all-stages)")
    p.add_argument("--init", default=None, help="previous stage's checkpoint (final.safetensors or its run dir)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its newest checkpoint")
    p.add_argument("--all-stages", action="store_true", help="train x2 up to --scale, each stage from the last")
    p.add_argument("--config", default=None, help="a config JSON (e.g. another run's config.json)")
    group = p.add_argument_group("config fields (override the profile; see srlib.training.TrainConfig)")
    hints = typing.get_type_hints(TrainConfig)
    for f in fields(TrainConfig):
        if f.name in _EXPLICIT:
            continue
        parse, metavar = _field_parser(hints[f.name])
        flags = [f"--{f.name.replace('_', '-')}"] + _ALIASES.get(f.name, [])
        group.add_argument(*flags, dest=f"cfg_{f.name}", type=parse, default=None, metavar=metavar)
    p.set_defaults(func=_cmd_train)
