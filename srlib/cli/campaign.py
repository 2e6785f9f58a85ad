"""The ``campaign`` command of the CLI: ``run``, ``save``, ``publish`` a stage, and ``evaluate`` a
published one on the benchmarks it lacks."""
from __future__ import annotations

import argparse

from ..errors import InvalidValueError
from ..repository import display_path, resolve
from ..training import TrainConfig

__all__ = ["add_cli_command"]


def _cmd(args: argparse.Namespace) -> int:
    from .. import campaign  # the package's names, looked up when the command runs (a test may replace one)

    campaign.check_stage_name(args.name)
    base = resolve(args.root) if args.root else None  # the repository root by default, never the working directory
    roots = {"results": base / "results" / "campaign", "runs": base / "runs" / "campaign"} if base else {}
    results = roots.get("results", campaign.RESULTS_ROOT)
    if args.action == "run":
        given = {"steps": args.steps, "lr": args.lr, "patch_size": args.patch_size, "batch_size": args.batch_size,
                 "ckpt_every": args.ckpt_every, "loss_schedule": args.loss, "seed": args.seed, "init": args.init}
        overrides = {key: value for key, value in given.items() if value}
        if args.config:  # a whole recipe (e.g. a continuation at another width); the flags above refine it
            config = TrainConfig.load(args.config).replace(**overrides, threads=args.threads, progress=False)
            if args.scale and args.scale != config.scale:
                raise ValueError(f"--scale {args.scale} conflicts with the recipe's scale {config.scale} "
                                 f"({args.config}): drop --scale or edit the recipe")
        else:
            config = campaign.campaign_config(args.scale or 2, threads=args.threads, progress=False, **overrides)
        res = campaign.run(args.name, config, threads=args.threads, **roots)
        print(f"{res.out_dir}: step {res.step}; {res.scores or 'no validation'}")
    elif args.action == "evaluate":
        from ..data import data_root
        from ..publishing import add_evaluations

        folder = results / args.name
        added = add_evaluations(folder, _datasets(args.datasets), data_root(), shards=max(1, args.jobs))
        print(f"{display_path(folder / 'metrics.json')}: " + (f"added {', '.join(added)}" if added else
                                                               "every benchmark asked for is stored already"))
    elif args.action == "save":
        piece = campaign.save(args.name, **roots)
        print(f"saved {display_path(results / args.name / 'state')} at step {piece.get('end_step')}: commit it")
    else:
        if args.limit < 0:
            raise InvalidValueError(f"--limit must be >= 0 (0: every image), got {args.limit}")
        dest = campaign.publish(args.name, _datasets(args.datasets), limit=args.limit or None, notes=tuple(args.note), force=args.force,
                                **roots)
        print(f"published {display_path(dest)}")
    return 0


def _datasets(text: str) -> tuple[str, ...]:
    datasets = tuple(d.strip() for d in text.split(",") if d.strip())
    if not datasets:
        raise InvalidValueError("--datasets is empty: name the benchmarks, e.g. Set5,Set14,B100,Urban100")
    return datasets


def add_cli_command(subparsers) -> None:
    p = subparsers.add_parser("campaign", help="the CPU training campaign: run / save / publish / evaluate a stage",
                              description="The CPU training campaign: run, save and publish a stage trained in pieces; "
                              "evaluate a published stage's fp16 weights on the benchmarks its metrics.json lacks "
                              "(no run folder needed).")
    p.add_argument("action", choices=["run", "save", "publish", "evaluate"])
    p.add_argument("name", help="stage folder name, e.g. x2 (results/campaign/<name>, runs/campaign/<name>)")
    p.add_argument("--scale", type=int, default=0, help="run: the stage's scale (2, 4 or 8; default 2, or the "
                   "recipe's with --config)")
    p.add_argument("--init", default="", help="run: the previous stage's fp32 weights (a new stage only)")
    p.add_argument("--config", default="", help="run: a TrainConfig JSON, or a run folder's config.json, to use instead "
                   "of the campaign profile (a new stage only; the flags below still override it)")
    p.add_argument("--steps", type=int, default=0, help="run: override the profile's steps (a new stage only)")
    p.add_argument("--lr", type=float, default=0.0, help="run: override the peak learning rate (a new stage only)")
    p.add_argument("--patch-size", type=int, default=0, help="run: override the LR patch size (a new stage only)")
    p.add_argument("--batch-size", type=int, default=0, help="run: override the batch size (a new stage only)")
    p.add_argument("--ckpt-every", type=int, default=0, help="run: steps between checkpoints (a new stage only)")
    p.add_argument("--seed", type=int, default=0, help="run: the training seed (data order, augmentation; a new "
                   "stage only; 0: the profile's)")
    p.add_argument("--loss", default="", choices=["", "l1", "l2", "l1_then_alternate"],
                   help="run: override the loss schedule (a new stage only)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--datasets", default="Set5,Set14,B100,Urban100", help="publish, evaluate: benchmarks to evaluate")
    p.add_argument("--jobs", type=int, default=1, help="evaluate: single-thread processes sharing the images")
    p.add_argument("--limit", type=int, default=0, help="publish: first N images of each benchmark (0 = all)")
    p.add_argument("--note", action="append", default=[], help="publish: a note for provenance.json")
    p.add_argument("--force", action="store_true", help="publish: replace a stage published already (its metrics "
                   "and provenance are lost)")
    p.add_argument("--root", default="", help="the folder holding results/campaign and runs/campaign (default: "
                   "this repository, whatever the working directory)")
    p.set_defaults(func=_cmd)
