"""The ablation result sets behind Tables II-IV and Figures 5-6: every variant trained from several
seeds at one budget, stored once under ``results/ablations/``, read by the notebooks.

A *unit* is one variant's curriculum for one seed (x2, then x4 from x2, then x8 from x4), trained
through :func:`srlib.book.runs.curriculum_run` (so a stage shared by two tables is trained once).
Each stage a table reads gives one *record*, a small JSON file::

    results/ablations/<profile>/<variant>[-<notation>]-x<scale>-seed<k>.json
        spec (variant, notation, scale, seed), the budget, per-stage training cost (steps,
        wall / CPU seconds, FLOPs per step, the run key and its config) and validation curve
        (step, CPU seconds, Set5 PSNR: Figure 5's convergence measure), the weights' sha256,
        per-image PSNR / SSIM on Set5 and Set14 beside bicubic, provenance (commit, device,
        torch, threads, date).

Units are independent, so ``python -m srlib ablations run --jobs 2`` trains them side by side,
one thread each, longest first; a unit whose records exist is skipped, and an interrupted stage
resumes from its checkpoint. Seeds are paired: the seed fixes every variant's batch stream (a
batch is a function of seed and step, :mod:`srlib.training.data`) and its initial random stream.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import functools
import json
import math
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
import torch
from scipy import stats
from tqdm.auto import tqdm

from .book.runs import curriculum_run, run_key, stage_config
from .campaign import training_flops_per_step
from .data.fetch import file_sha256
from .evaluation import bicubic_upscaler, evaluate
from .paper import load_paper_table
from .repository import display_path, resolve
from .training.checkpoint import atomic_write

__all__ = ["Budget", "BUDGETS", "Unit", "TABLE_ROWS", "RESULTS_DIR", "units", "run_unit", "run_units", "load_records",
           "records_for", "schedule_text", "record_cpu_seconds", "budget_text", "scores", "paired_differences", "convergence", "verdict", "VERDICT_RULE", "missing_units"]

#: Where committed ablation records live (one folder per profile).
RESULTS_DIR = Path("results/ablations")
#: Benchmarks every record is evaluated on (per image): the paper's ablation columns.
DATASETS = ("Set5", "Set14")


@dataclass(frozen=True)
class Budget:
    """Per-run budget of an ablation set: ``steps`` per curriculum stage of Tables II / III
    (end-to-end rows get their sum up to the scale), ``seeds`` per row; Table IV's own steps and
    seeds (its refined blocks work in HR space and cost 10-25x a U-block-only step);
    ``val_every``: Set5 validations (all images) during training, for Figure 5."""

    steps: dict[int, int]
    seeds: int
    table4_steps: dict[int, int]
    table4_seeds: int
    val_every: int = 50


#: Budgets per profile. ``quick``: the committed sets (about 5 single-core CPU-hours in all, see
#: the claims chapter for the measured total); ``smoke``: seconds, for tests and CI.
BUDGETS: dict[str, Budget] = {
    "quick": Budget(steps={2: 1500, 4: 600, 8: 300}, seeds=5, table4_steps={2: 600, 4: 300}, table4_seeds=3),
    "smoke": Budget(steps={2: 10, 4: 10, 8: 10}, seeds=2, table4_steps={2: 6, 4: 6}, table4_seeds=2, val_every=5),
}

#: Table rows and what builds each: a variant of ``srlib.book.runs.stage_config``, optionally with a
#: tag of :data:`TAGS` (``"full:l1only"``). ``losses`` is no table of the paper: it tests Sec. III-C's
#: claim that fine-tuning with alternating L2 / L1 after L1 helps. Table IV's rows are the paper's
#: notations (``srlib.paper``) plus :data:`TABLE4_EXTRA`.
TABLE_ROWS: dict[str, dict[str, str]] = {
    "table2": {"FSRCNN": "fsrcnn", "Model1": "model1", "Model2": "model2", "Model3": "tu", "Full": "full"},
    "table3": {"T-U": "tu", "BP-U": "full"},
    "losses": {"L1, then L2 / L1 alternating": "full", "L1 only": "full:l1only"},
}
TABLE_SCALES = {"table2": (4,), "table3": (4, 8), "table4": (4,), "losses": (4,)}
#: Config overrides a tag applies to every stage of a unit.
TAGS: dict[str, dict[str, Any]] = {"l1only": {"loss_schedule": "l1"}}
#: Table IV rows that are not in the paper: U2TR1 is the hybrid counterpart of the paper's U2TU1
#: (the same blocks per level, the HR-space block refined instead of BP-U), which the paper's
#: claim "hybrid beats U blocks only" needs and its table lacks.
TABLE4_EXTRA = ("U2TR1 U2TR1",)
ALL_TABLES = ("table2", "table3", "table4", "losses")


@dataclass(frozen=True)
class Unit:
    """One variant's curriculum for one seed, recorded at each of ``scales``."""

    variant: str
    seed: int
    scales: tuple[int, ...]
    notation: str = ""
    tag: str = ""

    @property
    def stem(self) -> str:
        parts = [self.variant, self.notation.replace(" ", "_"), self.tag]
        return "-".join(p for p in parts if p)

    @property
    def name(self) -> str:
        return f"{self.stem}-seed{self.seed}"

    def record_name(self, scale: int) -> str:
        return f"{self.stem}-x{scale}-seed{self.seed}.json"


def _table4_notations() -> list[str]:

    return [*load_paper_table("table4").notation, *TABLE4_EXTRA]


def units(profile: str = "quick", tables: Sequence[str] = ALL_TABLES) -> list[Unit]:
    """Every unit the ``tables`` need at ``profile``'s budget (shared stages listed once)."""
    budget = BUDGETS[profile]
    wanted: dict[tuple[str, str, str, int], set[int]] = {}
    for table in tables:
        if table == "table4":
            for notation in _table4_notations():
                for seed in range(budget.table4_seeds):
                    wanted.setdefault(("full", notation, "", seed), set()).add(4)
            continue
        if table not in TABLE_ROWS:
            raise ValueError(f"unknown ablation table {table!r}; expected some of {ALL_TABLES}")
        for spec in TABLE_ROWS[table].values():
            variant, _, tag = spec.partition(":")
            for seed in range(budget.seeds):
                wanted.setdefault((variant, "", tag, seed), set()).update(TABLE_SCALES[table])
    return [Unit(v, seed, tuple(sorted(scales)), n, t) for (v, n, t, seed), scales in wanted.items()]


def _unit_steps(unit: Unit, budget: Budget) -> dict[int, int]:
    return dict(budget.table4_steps) if unit.notation else dict(budget.steps)


def _options(unit: Unit, profile: str, budget: Budget) -> dict[str, Any]:
    extra: dict[str, Any] = {"seed": unit.seed, "threads": 1, "val_every": budget.val_every, "val_limit": 0,
                             "val_sets": ("Set5",)}
    if unit.notation:
        extra["notation"] = unit.notation
    extra.update(TAGS.get(unit.tag, {}) if unit.tag else {})
    return extra


def unit_flops(unit: Unit, profile: str = "quick") -> float:
    """Training FLOPs of ``unit`` (forward + backward, :func:`srlib.campaign.training_flops_per_step`)."""

    budget = BUDGETS[profile]
    steps = _unit_steps(unit, budget)
    final = max(unit.scales)
    total = 0.0
    for scale in (2, 4, 8):
        if scale > final:
            break
        if unit.variant in ("model2", "fsrcnn") and scale != final:
            continue
        config = stage_config(profile, scale, unit.variant, final_scale=final, stage_steps=steps,
                              **_options(unit, profile, budget))
        total += training_flops_per_step(config) * config.steps
    return total


# ------------------------------------------------------------------------------ running
def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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
def _bicubic(dataset: str, scale: int, data_root: str | None):
    """The bicubic baseline of ``dataset`` at ``scale`` (computed once per process)."""
    return evaluate(bicubic_upscaler, dataset, scale, root=data_root, progress=False)


def _record(unit: Unit, scale: int, run, profile: str, budget: Budget, data_root: str | None) -> dict[str, Any]:


    up = run.upscaler(scale, "cpu")
    metrics = {}
    for ds in DATASETS:
        res = evaluate(up, ds, scale, method=unit.name, root=data_root, progress=False)
        bic = _bicubic(ds, scale, data_root)
        metrics[ds] = {"psnr": round(res.psnr, 4), "ssim": round(res.ssim, 5), "bicubic_psnr": round(bic.psnr, 4),
                       "bicubic_ssim": round(bic.ssim, 5),
                       "per_image": [[s.name, round(s.psnr, 4), round(s.ssim, 5)] for s in res.images]}
    return {"variant": unit.variant, "notation": unit.notation, "tag": unit.tag, "scale": scale, "seed": unit.seed,
            "profile": profile, "budget": asdict(budget), "parameters": run.parameters(),
            "weights_sha256": file_sha256(run.weights), "stages": [_stage_entry(r) for r in run.curriculum_chain()],
            "metrics": metrics, "torch": torch.__version__, "python": platform.python_version(),
            "threads": 1, "recorded_utc": _now()}


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
        run = curriculum_run(profile, scale, unit.variant, final_scale=max(unit.scales) if unit.variant == "model1"
                             else 0, stage_steps=_unit_steps(unit, budget), name=unit.name, retrain=retrain,
                             **options, **_options(unit, profile, budget))
        _write_json(path, _record(unit, scale, run, profile, budget, data_root))
        written.append(path)
    return written


def missing_units(profile: str = "quick", tables: Sequence[str] = ALL_TABLES,
                  results_dir: Path | str = RESULTS_DIR) -> list[Unit]:

    out = resolve(results_dir) / profile
    return [u for u in units(profile, tables) if not all((out / u.record_name(s)).is_file() for s in u.scales)]


def _worker(unit: Unit, profile: str, results_dir: str, runs_dir: str, data_root: str | None,
            retrain: bool = False) -> tuple[str, list[str]]:
    os.environ["OMP_NUM_THREADS"] = "1"
    return unit.name, [str(p) for p in run_unit(unit, profile, results_dir=results_dir, runs_dir=runs_dir,
                                                data_root=data_root, retrain=retrain)]


def run_units(todo: Iterable[Unit], profile: str = "quick", *, jobs: int = 2, results_dir: Path | str = RESULTS_DIR,
              runs_dir: Path | str = "runs/ablations", data_root: str | None = None, retrain: bool = False
              ) -> list[tuple[str, str]]:
    """Train ``todo`` with ``jobs`` single-thread processes, the costliest first; returns the
    failures as ``(unit, error)`` (the others' records are written as each finishes).
    ``retrain``: train every stage again (fresh run folders) and replace the records."""
    order = sorted(todo, key=lambda u: -unit_flops(u, profile))
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


# ------------------------------------------------------------------------------ reading
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


def scores(records: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per record x dataset: variant, notation, scale, seed, dataset, psnr, ssim,
    bicubic_psnr, cpu_seconds (every stage of the curriculum), train_flops, parameters."""
    rows = []
    columns = ["variant", "notation", "tag", "spec", "scale", "seed", "dataset", "psnr", "ssim", "bicubic_psnr",
               "cpu_seconds", "train_flops", "parameters", "steps"]
    for r in records:
        cpu = record_cpu_seconds(r)
        flops = sum(s["train_flops_per_step"] * s["steps"] for s in r["stages"])
        for ds, m in r["metrics"].items():
            rows.append({"variant": r["variant"], "notation": r["notation"], "tag": r.get("tag", ""),
                         "spec": r["variant"] + (":" + r["tag"] if r.get("tag") else ""), "scale": r["scale"], "seed": r["seed"],
                         "dataset": ds, "psnr": m["psnr"], "ssim": m["ssim"], "bicubic_psnr": m["bicubic_psnr"],
                         "cpu_seconds": cpu, "train_flops": flops, "parameters": r["parameters"],
                         "steps": sum(s["steps"] for s in r["stages"])})
    return pd.DataFrame(rows, columns=columns)


def table_scores(records: Sequence[dict[str, Any]], table: str) -> pd.DataFrame:
    """:func:`scores` of ``table``'s rows, with a ``row`` column (the paper's row names)."""
    df = scores(records)
    if df.empty:
        return df.assign(row=pd.Series(dtype=str))
    if table == "table4":
        return df[df.notation.ne("") & df.scale.isin(TABLE_SCALES[table])].assign(row=lambda d: d.notation)
    names = {spec: row for row, spec in TABLE_ROWS[table].items()}
    picked = df[df.notation.eq("") & df.spec.isin(names) & df.scale.isin(TABLE_SCALES[table])]
    return picked.assign(row=picked.spec.map(names))


def mean_ci(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """``(mean, low, high)``: Student-t confidence interval of the mean (NaNs for fewer than 2)."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        m = float(x.mean()) if len(x) else math.nan
        return m, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return float(x.mean()), float(x.mean() - half), float(x.mean() + half)


def paired_differences(df: pd.DataFrame, reference: str, *, value: str = "psnr", level: float = 0.95
                       ) -> pd.DataFrame:
    """Per row (and scale, dataset) of ``df`` (:func:`table_scores`): the difference ``row -
    reference`` paired by seed, as mean and ``level`` CI over the seeds both have, with n.
    Columns: row, scale, dataset, n, mean (of ``row`` itself), difference, ci_low, ci_high (an
    empty frame with these columns when ``df`` is empty)."""
    columns = ["row", "scale", "dataset", "n", "mean", "difference", "ci_low", "ci_high"]
    if df.empty:
        return pd.DataFrame(columns=columns)
    out = []
    for (scale, ds), group in df.groupby(["scale", "dataset"]):
        wide = group.pivot_table(index="seed", columns="row", values=value)
        if reference not in wide:
            continue
        for row in wide.columns:
            both = wide[row].notna() & wide[reference].notna()
            diff = (wide[row] - wide[reference])[both]
            m, lo, hi = mean_ci(diff.values, level)
            out.append({"row": row, "scale": scale, "dataset": ds, "n": int(both.sum()),
                        "mean": float(wide[row].mean()), "difference": m, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(out, columns=columns)


#: How a claim "A is better than B" gets its verdict from the paired difference A - B over seeds.
VERDICT_RULE = ("held: the 95% confidence interval of the paired difference lies above zero; not held: it lies "
                "below zero; inconclusive at this budget: it contains zero (or fewer than 3 seeds)")


def verdict(low: float, high: float, n: int) -> str:
    """The verdict of :data:`VERDICT_RULE` for a claimed positive difference with CI [low, high]."""
    if n < 3 or math.isnan(low) or math.isnan(high):
        return "inconclusive at this budget"
    if low > 0:
        return "held"
    if high < 0:
        return "not held"
    return "inconclusive at this budget"


def convergence(records: Sequence[dict[str, Any]], variants: Sequence[str], scale: int, *, stage: int | None = None,
                cumulative: bool = False) -> pd.DataFrame:
    """Figure 5's measure: per record of ``variants`` at ``scale``, the steps and CPU-seconds its
    Set5 validation during curriculum stage ``stage`` (default ``scale``) took to first reach the
    threshold, the highest PSNR every one of these runs reaches (so each run has a value).
    ``cumulative``: count the earlier stages' steps and CPU-seconds too (curriculum against
    end-to-end training). Columns: variant, seed, threshold, steps, cpu_seconds."""
    stage = stage or scale
    curves = {}
    for r in records:
        if r["variant"] not in variants or r["notation"] or r.get("tag") or r["scale"] != scale:
            continue
        stages = sorted(r["stages"], key=lambda s: s["scale"])
        hit = [i for i, s in enumerate(stages) if s["scale"] == stage]
        if not hit or not stages[hit[0]]["validation"]:
            continue
        before = stages[:hit[0]] if cumulative else []
        curve = np.asarray(stages[hit[0]]["validation"], dtype=float)
        curve[:, 0] += sum(s["steps"] for s in before)
        curve[:, 1] += sum(s["cpu_seconds"] for s in before)
        curves[(r["variant"], r["seed"])] = curve
    if not curves:
        return pd.DataFrame(columns=["variant", "seed", "threshold", "steps", "cpu_seconds"])
    threshold = min(float(c[:, 2].max()) for c in curves.values())
    rows = []
    for (variant, seed), c in sorted(curves.items()):
        first = int(np.argmax(c[:, 2] >= threshold))
        rows.append({"variant": variant, "seed": seed, "threshold": threshold, "steps": int(c[first, 0]),
                     "cpu_seconds": float(c[first, 1])})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ CLI
def _cmd(args: argparse.Namespace) -> int:
    tables = tuple(t.strip() for t in args.tables.split(",") if t.strip())
    todo = missing_units(args.profile, tables)
    total = units(args.profile, tables)
    if args.shard:
        index, count = (int(v) for v in args.shard.split("/"))
        mine = set(sorted(total, key=lambda u: (-unit_flops(u, args.profile), u.name))[index::count])
        todo = [u for u in todo if u in mine]
    print(f"{len(todo)} units to train{' in this shard' if args.shard else ''}; {len(missing_units(args.profile, tables))}"
          f" of {len(total)} missing under {RESULTS_DIR / args.profile}")
    if args.action == "status":
        for u in todo:
            print(f"  missing: {u.name} (x{'/x'.join(map(str, u.scales))}, {unit_flops(u, args.profile) / 1e12:.1f} TFLOP)")
        return 0
    t0 = time.perf_counter()
    failures = run_units(todo, args.profile, jobs=args.jobs, data_root=args.data_root or None)
    print(f"trained {len(todo) - len(failures)} units in {time.perf_counter() - t0:.0f} s")
    for name, err in failures:
        print(f"  failed: {name}: {err}")
    return 1 if failures else 0


def add_cli_command(subparsers) -> None:
    p = subparsers.add_parser("ablations", help="train / list the ablation result sets (Tables II-IV)",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("action", choices=["run", "status"])
    p.add_argument("--profile", default="quick", choices=sorted(BUDGETS))
    p.add_argument("--tables", default=",".join(ALL_TABLES))
    p.add_argument("--jobs", type=int, default=2, help="single-thread training processes side by side")
    p.add_argument("--data-root", default="")
    p.add_argument("--shard", default="", help="I/N: only every N-th missing unit from the I-th, costliest first "
                                               "(N processes on N cores, started at different times)")
    p.set_defaults(func=_cmd)


# ------------------------------------------------------------------------------ summaries for the book
def summary(df: pd.DataFrame, value: str = "psnr", level: float = 0.95) -> pd.DataFrame:
    """Per row, scale and dataset of ``df`` (:func:`table_scores`): the mean of ``value`` over the
    seeds, its ``level`` Student-t CI (:func:`mean_ci`; NaN below two seeds), n and the seeds.
    Columns: row, scale, dataset, mean, ci_low, ci_high, n, seeds (``'0-4'`` or ``'0, 2'``)."""
    columns = ["row", "scale", "dataset", "mean", "ci_low", "ci_high", "n", "seeds"]
    if df.empty or value not in df:
        return pd.DataFrame(columns=columns)
    out = []
    for (row, scale, ds), group in df.dropna(subset=[value]).groupby(["row", "scale", "dataset"]):
        m, lo, hi = mean_ci(group[value].values, level)
        out.append({"row": row, "scale": int(scale), "dataset": ds, "mean": m, "ci_low": lo, "ci_high": hi,
                    "n": len(group), "seeds": _seed_text(group.seed)})
    return pd.DataFrame(out, columns=columns)


def _seed_text(seeds: Iterable[int]) -> str:
    s = sorted({int(x) for x in seeds})
    if not s:
        return "none"
    if len(s) > 2 and s == list(range(s[0], s[-1] + 1)):
        return f"{s[0]}-{s[-1]}"
    return ", ".join(map(str, s))


def schedule_text(record: dict[str, Any]) -> str:
    """``'x2 1500 + x4 600'``: the steps of each curriculum stage behind ``record``, first stage first."""
    return " + ".join(f"x{s['scale']} {s['steps']}" for s in sorted(record["stages"], key=lambda s: s["scale"]))


def record_cpu_seconds(record: dict[str, Any]) -> float:
    """CPU seconds of ``record``'s whole curriculum (every stage it was trained through)."""
    return float(sum(s["cpu_seconds"] for s in record["stages"]))


def budget_text(records: Sequence[dict[str, Any]]) -> str:
    """``'x2 1500 + x4 600 steps, 2.1 CPU-min per run (profile quick)'``: the training behind a
    set of records, one such clause per distinct schedule (``'not run yet'`` when empty); the CPU
    time is the mean over the records of their whole curriculum (:func:`record_cpu_seconds`)."""
    if not records:
        return "not run yet"
    groups: dict[tuple[str, str], list[float]] = {}
    for r in records:
        groups.setdefault((schedule_text(r), r["profile"]), []).append(record_cpu_seconds(r))
    return "; ".join(f"{steps} steps, {sum(cpu) / len(cpu) / 60:.1f} CPU-min per run (profile {profile})"
                     for (steps, profile), cpu in groups.items())


def describe(records: Sequence[dict[str, Any]], what: str = "records") -> str:
    """One provenance line for a set of records: profile(s), steps per curriculum stage (each
    distinct schedule with its count of records), seeds, device(s), commit(s) of the trainings and
    the total CPU time (a stage shared by several records, e.g. the x2 stage of the x4 and x8
    records of one curriculum, is counted once)."""
    from .book.provenance import format_duration
    from .repository import git_commit

    if not records:
        return f"{what}: none stored yet (page built at commit {git_commit()})"
    schedules: dict[str, int] = {}
    stages: dict[tuple[str, str], dict[str, Any]] = {}
    for r in records:
        text = schedule_text(r)
        schedules[text] = schedules.get(text, 0) + 1
        for s in r["stages"]:
            stages[(s.get("run", ""), s.get("run_key", ""))] = s
    pick = lambda key: sorted({str(s.get(key) or "unknown") for s in stages.values()})
    commits = pick("commit")
    many = lambda n, word: f"{n} {word}" + ("s" if n != 1 else "")
    steps = "; ".join(f"{k} steps ({many(n, 'record')})" for k, n in sorted(schedules.items(), key=lambda kv: -kv[1]))
    cpu = sum(float(s.get("cpu_seconds", 0.0)) for s in stages.values())
    profiles = ", ".join(sorted({r["profile"] for r in records}))
    seeds = {int(r["seed"]) for r in records}
    return (f"{what}: {many(len(records), 'record')}, profile {profiles}, {steps}, seed{'s' if len(seeds) > 1 else ''} "
            f"{_seed_text(seeds)}, device {', '.join(pick('device'))}, "
            f"commit{'s' if len(commits) > 1 else ''} {', '.join(commits)}, "
            f"CPU time {format_duration(cpu)} ({many(len(stages), 'training stage')})")


def table_records(records: Sequence[dict[str, Any]], table: str) -> list[dict[str, Any]]:
    """The records :func:`table_scores` reads for ``table`` (e.g. for :func:`describe`)."""
    df = table_scores(records, table)
    if df.empty:
        return []
    keys = set(zip(df.variant, df.notation, df.tag, df.scale, df.seed))
    return [r for r in records if (r["variant"], r["notation"], r.get("tag", ""), r["scale"], r["seed"]) in keys]
