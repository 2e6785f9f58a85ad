"""The ``league`` command: pilot, train or list the equal-budget league (:mod:`srlib.league`)."""
from __future__ import annotations

from ..errors import InvalidValueError
from ..league import (BUDGETS, TTA_LABEL, ensemble_records, estimated_wall_seconds, load_records, missing_units, pilot,
                      run_ensemble, run_unit, stage_steps, units)
from .ablations import parse_shard
from .deadline import fits, parse_stop_by

__all__ = ["add_cli_command"]


def _cmd(args) -> int:
    if args.action == "pilot":
        result = pilot(args.profile)
        for name, per_stage in result["seconds_per_step"].items():
            print(f"{name:<14} " + "  ".join(f"{s}: {v:.3f} s/step" for s, v in per_stage.items()))
        return 0
    if args.action == "ensemble":
        return _ensemble(args)
    todo = missing_units(args.profile, args.seeds or None)
    if args.shard:  # over the whole list, so that shards started at different times never overlap
        index, count = parse_shard(args.shard)
        mine = {u.name for u in units(args.profile, args.seeds or None)[index - 1::count]}
        todo = [u for u in todo if u.name in mine]
    print(f"{len(todo)} league runs to train{' in this shard' if args.shard else ''} (profile {args.profile})")
    if args.action == "status":
        minutes = {unit.name: estimated_wall_seconds(unit, args.profile) / 60 for unit in todo}
        for unit in todo:
            print(f"  missing: {unit.name} (steps {stage_steps(unit, args.profile)}, about {minutes[unit.name]:.0f} min)")
        if todo:
            print(f"about {sum(minutes.values()) / 60:.1f} h of wall time on one core (the stored records' rates)")
        return 0
    from tqdm.auto import tqdm

    deadline = parse_stop_by(args.stop_by) if args.stop_by else None
    for unit in tqdm(todo, desc="league runs"):
        estimate = estimated_wall_seconds(unit, args.profile)
        if not fits(estimate, deadline):
            print(f"  not started: {unit.name} (about {estimate / 60:.0f} min, past {deadline:%H:%M} UTC)", flush=True)
            continue
        print(f"wrote {run_unit(unit, args.profile, data_root=args.data_root or None)}", flush=True)
    return 0


def _ensemble(args) -> int:
    missing = missing_units(args.profile, args.seeds or None)
    if missing:
        raise InvalidValueError(f"{len(missing)} league runs of profile {args.profile} are not stored yet (first: "
                                f"{missing[0].name}); the self-ensemble picks the best peer from all of them: "
                                "run `python -m srlib league run` first")
    todo = [r for r in ensemble_records(load_records(args.profile)) if "self_ensemble" not in r]
    print(f"{len(todo)} records to evaluate with {TTA_LABEL} (profile {args.profile})")
    for record in todo:
        print(f"wrote {run_ensemble(record, args.profile, data_root=args.data_root or None)}", flush=True)
    return 0


def add_cli_command(subparsers) -> None:
    p = subparsers.add_parser("league", help="train / list the equal-budget league (Table V's peers trained here)",
                              description="pilot: measure each entrant's CPU-seconds per step (fixes the steps); "
                                          "run: train the runs whose records are missing; status: list them; "
                                          "ensemble (after run): the x8 self-ensemble of CSRCNN and the best peer "
                                          "per scale on Set5 and Set14, added to their records.")
    p.add_argument("action", choices=["pilot", "run", "status", "ensemble"])
    p.add_argument("--profile", default="full", choices=sorted(BUDGETS))
    p.add_argument("--seeds", type=int, default=0, help="seeds per entrant and scale (default: the budget's)")
    p.add_argument("--shard", default="", help="I/N: every N-th missing run from the I-th (N processes side by side)")
    p.add_argument("--data-root", default="")
    p.add_argument("--stop-by", default="", help="HH:MM (UTC) or an ISO date-time: start a run only if its estimated "
                                               "wall time ends before then")
    p.set_defaults(func=_cmd)
