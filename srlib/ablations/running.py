"""Training the ablation units and storing one JSON record per stage a table reads (the
format is in :mod:`srlib.ablations`); reading them back; the ``ablations`` command of the CLI."""
from __future__ import annotations

import functools
import json
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Iterable, Sequence

import torch
from tqdm.auto import tqdm

from ..training.runs import curriculum_run, run_key
from ..training.flops import training_flops_per_step
from ..data.fetch import file_sha256
from ..evaluation import bicubic_upscaler, evaluate
from ..provenance import now_utc
from ..repository import display_path, resolve
from ..files import atomic_write
from .statistics import record_cpu_seconds, record_train_flops
from .plan import (ALL_TABLES, BUDGETS, DATASETS, END_TO_END, RESULTS_DIR, TABLE_ROWS, TABLE_SCALES, Budget, Unit, _options,
                   _unit_steps, training_preset, unit_flops, units)

__all__ = ["evaluated_record", "run_unit", "run_units", "missing_units", "estimated_wall_seconds", "table_status", "load_records", "records_for"]




def _stage_entry(run) -> dict[str, Any]:

    summary, log = run.summary, run.log()
    val = log[log.psnr.notna()] if "psnr" in log else log.iloc[0:0]
    cpu = val["cpu_time"] if "cpu_time" in val else val["wall_time"]
    return {"scale": run.config.scale, "run": display_path(run.out_dir), "run_key": run_key(run.config),
            "steps": int(summary.get("steps") or 0), "wall_seconds": round(float(summary.get("wall_time", 0.0)), 2),
            "cpu_seconds": round(float(summary.get("cpu_seconds", summary.get("wall_time", 0.0))), 2),
            "train_flops_per_step": training_flops_per_step(run.config), "config": run.config.to_dict(),
            "commit": run.book.get("commit", "unknown"), "device": run.book.get("device", ""),
            "validation": [[int(s), round(float(c), 2), round(float(p), 4)]
                           for s, c, p in zip(val.step, cpu, val.psnr)]}


@functools.lru_cache(maxsize=None)
def _bicubic(dataset: str, scale: int, data_root: str | None, limit: int | None = None):
    """The bicubic baseline of ``dataset`` at ``scale`` (computed once per process)."""
    return evaluate(bicubic_upscaler, dataset, scale, root=data_root, progress=False, limit=limit)


def evaluated_record(run, scale: int, identity: dict[str, Any], datasets: Sequence[str] = DATASETS,
                     data_root: str | None = None, limits: dict[str, int] | None = None) -> dict[str, Any]:
    """The stored record of one trained network at ``scale`` (the format of :mod:`srlib.ablations`,
    shared by the league): ``identity`` (what was trained: variant or entrant, seed, budget, ...),
    parameters, weights sha256, every curriculum stage of ``run`` with its training FLOPs, CPU
    seconds, commit and validation curve, and per-image PSNR / SSIM on ``datasets`` beside bicubic
    (``limits``: first N images of a dataset, recorded as ``images`` / ``subset``), and apart from
    those reproducible scores the CPU-seconds each evaluation took (``eval_cpu_seconds``)."""
    up = run.upscaler(scale, "cpu")
    metrics, timing = {}, {}
    for ds in datasets:
        limit = (limits or {}).get(ds)
        t0 = time.process_time()
        res = evaluate(up, ds, scale, method=f"{identity.get('name', '')}", root=data_root, progress=False,
                       limit=limit)
        timing[ds] = round(time.process_time() - t0, 1)
        bic = _bicubic(ds, scale, data_root, limit)
        metrics[ds] = {"psnr": round(res.psnr, 4), "ssim": round(res.ssim, 5), "bicubic_psnr": round(bic.psnr, 4),
                       "bicubic_ssim": round(bic.ssim, 5), "images": len(res.images),
                       **({"subset": f"first {limit}"} if limit else {}),
                       "per_image": [[s.name, round(s.psnr, 4), round(s.ssim, 5)] for s in res.images]}
    stages = {"stages": [_stage_entry(r) for r in run.curriculum_chain()]}
    return {**identity, "scale": scale, "parameters": run.parameters(), "weights_sha256": file_sha256(run.weights),
            "train_flops": record_train_flops(stages), "cpu_seconds": round(record_cpu_seconds(stages), 2), **stages,
            "metrics": metrics, "eval_cpu_seconds": timing, "torch": torch.__version__, "python": platform.python_version(),
            "threads": 1, "cpu_capability": torch.backends.cpu.get_cpu_capability(),  # the CPU kernels' ISA
            "recorded_utc": now_utc()}


def _record(unit: Unit, scale: int, run, profile: str, budget: Budget, data_root: str | None) -> dict[str, Any]:
    identity = {"variant": unit.variant, "notation": unit.notation, "tag": unit.tag, "seed": unit.seed,
                "profile": profile, "budget": asdict(budget), "name": unit.name}
    return evaluated_record(run, scale, identity, DATASETS, data_root)


def _write_json(path: Path, data: dict) -> None:

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, (json.dumps(data, indent=1) + "\n").encode())


def run_unit(unit: Unit, profile: str = "quick", *, results_dir: Path | str = RESULTS_DIR,
             runs_dir: Path | str = "runs/ablations", data_root: str | None = None, retrain: bool = False
             ) -> list[Path]:
    """Train ``unit`` (finding finished stages) and write its missing records; returns their paths."""


    torch.set_num_threads(1)
    budget = BUDGETS[profile]
    out = resolve(results_dir) / profile
    written = []
    for scale in unit.scales:
        path = out / unit.record_name(scale)
        if path.is_file() and not retrain:
            continue
        options = dict(runs_dir=runs_dir, progress=False, **({"data_root": data_root} if data_root else {}))
        run = curriculum_run(training_preset(profile), scale, unit.variant, final_scale=max(unit.scales) if unit.variant == "model1"
                             else 0, stage_steps=_unit_steps(unit, budget), name=unit.name, retrain=retrain,
                             **options, **_options(unit, profile, budget))
        _write_json(path, _record(unit, scale, run, profile, budget, data_root))
        written.append(path)
    return written


#: Wall FLOP/s assumed for a budget with no stored record yet (a single-thread unit beside another).
DEFAULT_WALL_RATE = 2e10


def estimated_wall_seconds(unit: Unit, profile: str, results_dir: Path | str = RESULTS_DIR) -> float:
    """How long ``unit`` will take, wall-clock: its training FLOPs at the wall rate of the records
    stored for ``profile`` (training FLOPs over wall seconds, every stage), else at
    :data:`DEFAULT_WALL_RATE`."""
    stages = [s for r in load_records(profile, results_dir) for s in r["stages"] if s.get("wall_seconds")]
    wall = sum(s["wall_seconds"] for s in stages)
    rate = sum(s["train_flops_per_step"] * s["steps"] for s in stages) / wall if wall else DEFAULT_WALL_RATE
    return unit_flops(unit, profile) / rate


def missing_units(profile: str = "quick", tables: Sequence[str] = ALL_TABLES,
                  results_dir: Path | str = RESULTS_DIR) -> list[Unit]:

    out = resolve(results_dir) / profile
    return [u for u in units(profile, tables) if not all((out / u.record_name(s)).is_file() for s in u.scales)]


def table_status(profile: str, table: str, results_dir: Path | str = RESULTS_DIR) -> str:
    """Two lines for a table's page: how many of its units are stored under ``results_dir``, and
    the budget behind them (steps per curriculum stage, seeds per row)."""
    budget = BUDGETS.get(profile)
    if budget is None:
        return f"profile {profile!r} has no ablation budget (those with one: {', '.join(BUDGETS)})"
    planned, missing = units(profile, (table,)), missing_units(profile, (table,), results_dir)
    steps = budget.stage_steps(table, max(TABLE_SCALES[table]))
    end_to_end = any(spec.partition(":")[0] in END_TO_END for spec in TABLE_ROWS.get(table, {}).values())
    return (f"{len(planned) - len(missing)} of {len(planned)} units of {table} stored under "
            f"{display_path(resolve(results_dir) / profile)}\n"
            f"budget (profile {profile}): {', '.join(f'x{s} {n}' for s, n in steps.items())} steps per curriculum stage"
            + (f", {sum(steps.values())} end to end" if end_to_end else "") + f"; {budget.seeds_for(table)} seeds per row")


def _worker(unit: Unit, profile: str, results_dir: str, runs_dir: str, data_root: str | None,
            retrain: bool = False) -> tuple[str, list[str]]:
    os.environ["OMP_NUM_THREADS"] = "1"
    return unit.name, [str(p) for p in run_unit(unit, profile, results_dir=results_dir, runs_dir=runs_dir,
                                                data_root=data_root, retrain=retrain)]


def run_units(todo: Iterable[Unit], profile: str = "quick", *, jobs: int = 2, results_dir: Path | str = RESULTS_DIR,
              runs_dir: Path | str = "runs/ablations", data_root: str | None = None, retrain: bool = False
              ) -> list[tuple[str, str]]:
    """Train ``todo`` with ``jobs`` single-thread processes, seed by seed (so that a stopped run
    leaves complete paired seeds), the costliest first within a seed; returns the failures as
    ``(unit, error)`` (the others' records are written as each finishes).
    ``retrain``: train every stage again (fresh run folders) and replace the records."""
    order = sorted(todo, key=lambda u: (u.seed, -unit_flops(u, profile)))
    failures: list[tuple[str, str]] = []
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(_worker, u, profile, str(results_dir), str(runs_dir), data_root, retrain): u
                   for u in order}
        for fut in tqdm(as_completed(futures), total=len(futures), desc=f"ablation units ({profile})"):
            unit = futures[fut]
            try:
                fut.result()
            except Exception as exc:  # one failed unit must not stop the others
                failures.append((unit.name, f"{type(exc).__name__}: {exc}"))
    return failures


def load_records(profile: str = "quick", results_dir: Path | str = RESULTS_DIR) -> list[dict[str, Any]]:
    """Every stored record of ``profile`` (``[]`` when none)."""

    folder = resolve(results_dir) / profile
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []


def records_for(profile: str = "quick", tables: Sequence[str] = ALL_TABLES, *,
                results_dir: Path | str = RESULTS_DIR, runs_dir: Path | str = "runs/ablations",
                retrain: bool = False, jobs: int = 2, data_root: str | None = None) -> list[dict[str, Any]]:
    """Every stored record of ``profile``, after training (when ``retrain``) the units of
    ``tables`` whose records are missing from ``results_dir``, ``jobs`` side by side.

    This is what a notebook's ``retrain`` parameter does. Raises :class:`RuntimeError` naming
    every unit that failed (the others' records are written all the same)."""
    if retrain:
        todo = missing_units(profile, tables, results_dir)
        print(f"retrain: training {len(todo)} missing units of {', '.join(tables)} (profile {profile}, {jobs} jobs)")
        failures = run_units(todo, profile, jobs=jobs, results_dir=results_dir, runs_dir=runs_dir,
                             data_root=data_root)
        if failures:
            raise RuntimeError(f"{len(failures)} ablation units failed: "
                               + "; ".join(f"{name}: {error}" for name, error in failures))
    return load_records(profile, results_dir)
