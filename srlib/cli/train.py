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

from ..errors import InvalidValueError
from ..runfolder import RunFolder, read_metadata
from ..training.config import PRESETS, TrainConfig, preset

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
    """The run's config: ``--config`` file; when resuming, the run folder's own config (its scale,
    profile and, for a folder of ``x2``/``x4``/... stages, the curriculum: see :func:`stored_config`);
    else the ``--profile`` preset (default 'quick') at ``--scale``; then the overrides."""
    overrides = _overrides(args)
    if args.config:
        cfg = TrainConfig.load(args.config)
        if args.scale:
            overrides["scale"] = args.scale
    elif args.resume:
        cfg = stored_config(Path(args.out), args)
    else:
        if not args.scale:
            raise InvalidValueError("give --scale (2, 4 or 8) for a new run (with --resume the run folder's own "
                                    "scale is used)")
        cfg = preset(args.profile or "quick", args.scale)
    if args.init is not None:
        overrides["init"] = args.init
    return cfg.replace(**overrides) if overrides else cfg


def _stage_folders(out: Path) -> list[Path]:
    """The ``x2``, ``x4``, ... stage folders of an ``--all-stages`` run, largest scale first."""
    found = [p for p in out.glob("x*") if p.is_dir() and p.name[1:].isdigit()] if out.is_dir() else []
    return sorted(found, key=lambda p: int(p.name[1:]), reverse=True)


def _run_config(folder: Path) -> TrainConfig | None:
    """The config a run folder was started with: its ``config.json``, else the one stored in its
    newest checkpoint's header; ``None`` when it has neither."""
    if (folder / "config.json").is_file():
        return TrainConfig.load(folder / "config.json")
    latest = RunFolder(folder).latest_checkpoint()
    if latest is not None:
        meta = read_metadata(latest[1])
        if isinstance(meta.get("train_config"), dict):
            return TrainConfig.from_dict(meta["train_config"])
    return None


def _curriculum_config(stage: TrainConfig) -> TrainConfig:
    """The ``--all-stages`` config a curriculum stage's config came from (the inverse of
    :func:`~srlib.training.engine.train_curriculum`'s per-stage values): the final scale, and the
    preset's values at that scale where the stage had the preset's values at its own."""
    final = stage.final_scale or stage.scale
    values = stage.to_dict()
    if stage.profile in PRESETS and final != stage.scale:
        here, top = preset(stage.profile, stage.scale).to_dict(), preset(stage.profile, final).to_dict()
        for key, value in here.items():
            if values.get(key) == value and top.get(key) != value:
                values[key] = top[key]
    values.update(scale=final, init="")
    return TrainConfig.from_dict(values)


def stored_config(out: Path, args: argparse.Namespace) -> TrainConfig:
    """The config of the run in ``out`` to resume (``args.all_stages`` is set when ``out`` holds
    stage folders). A folder with nothing to resume, or a ``--profile`` / ``--scale`` that
    contradicts the run's, is refused (nothing is started)."""
    stages = _stage_folders(out) if not (out / "config.json").is_file() and RunFolder(out).latest_checkpoint() is None \
        else []
    if stages and not args.all_stages:
        args.all_stages = True  # a curriculum folder: resume every stage
    if not stages and not (out / "config.json").is_file() and RunFolder(out).latest_checkpoint() is not None \
            and args.scale:
        return preset(args.profile or "quick", args.scale)  # checkpoints without a config.json: as asked
    cfg = None
    for folder in stages or [out]:
        cfg = _run_config(folder)
        if cfg is not None:
            cfg = _curriculum_config(cfg) if stages else cfg
            break
    if cfg is None:
        raise InvalidValueError(f"nothing to resume in {out}: it holds no config.json and no checkpoint (the run "
                                "stopped before its first checkpoint, or this is not a run folder); start it again "
                                "without --resume (with --profile and --scale)")
    for flag, given, stored in (("--profile", args.profile, cfg.profile), ("--scale", args.scale, cfg.scale)):
        if given and given != stored:
            raise InvalidValueError(f"{flag} {given} conflicts with the run in {out} ({flag} {stored}); drop "
                                    f"{flag} to resume it, or start a new run in another --out")
    return cfg


def _cmd_train(args: argparse.Namespace) -> int:
    from ..training.engine import TrainingDivergedError, train, train_curriculum

    config = build_config(args)  # with --resume, also finds whether --out is a curriculum (--all-stages)
    args.interrupt_hint = (f"the last checkpoint is kept; continue with: python -m srlib train --out {args.out} "
                           f"--resume{' --all-stages' if args.all_stages else ''}")
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
