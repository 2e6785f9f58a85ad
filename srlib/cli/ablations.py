"""The ``ablations`` command: train or list the ablation result sets (:mod:`srlib.ablations`)."""
from __future__ import annotations

import argparse
import time

from ..ablations import ALL_TABLES, BUDGETS, RESULTS_DIR, estimated_wall_seconds, missing_units, run_units, unit_flops, units
from ..errors import InvalidValueError
from .deadline import fits, parse_stop_by

__all__ = ["add_cli_command", "parse_shard"]


def parse_shard(text: str) -> tuple[int, int]:
    """``'I/N'`` -> ``(I, N)``, integers with ``1 <= I <= N``: the I-th of N shards (1-based), which
    holds units I, I + N, I + 2N, ... of the list, costliest first; the N shards do not overlap."""
    parts = str(text).strip().split("/")
    try:
        index, count = (int(v) for v in parts) if len(parts) == 2 else (None, None)
    except ValueError:
        index = count = None
    if index is None or count is None or not 1 <= index <= count:
        raise InvalidValueError(f"--shard {text}: expected I/N with integers 1 <= I <= N (the I-th of N shards), "
                                "e.g. --shard 1/2 and --shard 2/2 on two cores")
    return index, count


def _cmd(args: argparse.Namespace) -> int:
    tables = tuple(t.strip() for t in args.tables.split(",") if t.strip())
    todo = missing_units(args.profile, tables)
    total = units(args.profile, tables)
    if args.shard is not None:
        index, count = parse_shard(args.shard)
        mine = set(sorted(total, key=lambda u: (-unit_flops(u, args.profile), u.name))[index - 1::count])
        todo = [u for u in todo if u in mine]
    print(f"{len(todo)} units to train{' in this shard' if args.shard is not None else ''}; {len(missing_units(args.profile, tables))}"
          f" of {len(total)} missing under {RESULTS_DIR / args.profile}")
    if args.action == "status":
        for u in todo:
            print(f"  missing: {u.name} (x{'/x'.join(map(str, u.scales))}, {unit_flops(u, args.profile) / 1e12:.1f} TFLOP)")
        return 0
    t0 = time.perf_counter()
    if args.stop_by:
        return _run_until(todo, args, parse_stop_by(args.stop_by), t0)
    failures = run_units(todo, args.profile, jobs=args.jobs, data_root=args.data_root or None)
    print(f"trained {len(todo) - len(failures)} units in {time.perf_counter() - t0:.0f} s")
    for name, err in failures:
        print(f"  failed: {name}: {err}")
    return 1 if failures else 0


def _run_until(todo, args, deadline, t0) -> int:
    """Train ``todo`` one unit at a time (seed by seed, costliest first), each only if its
    estimated wall time ends before ``deadline``; the others are left for a later run."""
    failures, trained = [], 0
    for unit in sorted(todo, key=lambda u: (u.seed, -unit_flops(u, args.profile))):
        estimate = estimated_wall_seconds(unit, args.profile)
        if not fits(estimate, deadline):
            print(f"  not started: {unit.name} (about {estimate / 60:.0f} min, past {deadline:%H:%M} UTC)", flush=True)
            continue
        failures += run_units([unit], args.profile, jobs=1, data_root=args.data_root or None)
        trained += 1
    print(f"trained {trained - len(failures)} units in {time.perf_counter() - t0:.0f} s")
    for name, err in failures:
        print(f"  failed: {name}: {err}")
    return 1 if failures else 0


def add_cli_command(subparsers) -> None:
    p = subparsers.add_parser("ablations", help="train / list the ablation result sets (Tables II-IV)",
                              description="Train the ablation units whose records are missing (run) or list them (status).")
    p.add_argument("action", choices=["run", "status"])
    p.add_argument("--profile", default="quick", choices=sorted(BUDGETS))
    p.add_argument("--tables", default=",".join(ALL_TABLES))
    p.add_argument("--jobs", type=int, default=2, help="single-thread training processes side by side")
    p.add_argument("--data-root", default="")
    p.add_argument("--shard", default=None, help="I/N: only every N-th missing unit from the I-th, costliest first "
                                               "(N processes on N cores, started at different times)")
    p.add_argument("--stop-by", default="", help="HH:MM (UTC) or an ISO date-time: start a unit only if its estimated "
                                               "wall time ends before then (one unit at a time)")
    p.set_defaults(func=_cmd)
