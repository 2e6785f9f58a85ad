"""Reading the ablation records: per-image scores as frames, seed-paired differences with
Student-t confidence intervals and the verdict rule (both from :mod:`srlib.stats`), Figure 5's
convergence measure and the one-line summaries the book prints."""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from ..provenance import format_duration
from ..repository import git_commit
from ..stats import VERDICT_RULE, mean_ci, verdict  # the one statistics home; re-exported here
from .plan import TABLE_ROWS, TABLE_SCALES

__all__ = ["scores", "table_scores", "mean_ci", "paired_differences", "VERDICT_RULE", "verdict", "convergence",
           "summary", "schedule_text", "record_cpu_seconds", "budget_text", "describe", "table_records"]


def scores(records: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per record x dataset: variant, notation, scale, seed, dataset, psnr, ssim,
    bicubic_psnr, cpu_seconds (every stage of the curriculum), train_flops, parameters."""
    rows = []
    columns = ["variant", "notation", "tag", "spec", "scale", "seed", "dataset", "psnr", "ssim", "bicubic_psnr",
               "cpu_seconds", "train_flops", "parameters", "steps"]
    for r in records:
        cpu = record_cpu_seconds(r)
        flops = record_train_flops(r)
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


def record_train_flops(record: dict[str, Any]) -> float:
    """Training FLOPs of ``record``'s whole curriculum (every stage it was trained through)."""
    return float(sum(s["train_flops_per_step"] * s["steps"] for s in record["stages"]))


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
