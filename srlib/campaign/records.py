"""The campaign's stored results: :func:`publish` (a stage's fp16 weights, its evaluation on the
benchmarks beside bicubic, its log with cumulative training FLOPs and its provenance, the files
:class:`srlib.published.PublishedResult` reads), :func:`publish_pilot` (a finished run's
config, log and summary) and the readers of both: :func:`read_pilots`,
:func:`read_continuations`, :func:`read_log`, :func:`last_validation`."""
from __future__ import annotations

import csv
import io
import json
import math
import os
import platform
import shutil
import time
from pathlib import Path
from typing import Any

import torch

from ..data.fetch import file_sha256
from ..device import describe_device
from ..errors import InvalidValueError, OutputExistsError
from ..publishing import write_provenance
from ..repository import display_path, git_commit, uncommitted_paths
from ..runfolder import RunFolder, read_metadata
from ..training import TrainConfig
from ..training import checkpoint as ck
from .stages import training_flops_per_step
from ..provenance import now_utc
from .state import RESULTS_ROOT, RUNS_ROOT, check_stage_name, read_pieces, restore, state_dir

__all__ = ["publish", "publish_pilot", "read_pilots", "read_continuations", "read_log", "last_validation"]

_PUBLISHED_FILES = ("weights_fp16.safetensors", "metrics.json", "provenance.json")


def _log_with_flops(log_path: Path, flops_per_step: float) -> str:
    with open(log_path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    columns = ["step", "wall_time", "cpu_time", "train_flops", "psnr", "ssim", "loss", "lr", "loss_kind", "alpha",
               "patches_per_s"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for r in rows:
        writer.writerow({**r, "train_flops": f"{int(r['step']) * flops_per_step:.4g}"})
    return buf.getvalue()


def publish(name: str, datasets: tuple[str, ...] = ("Set5", "Set14", "B100", "Urban100"), *,
            results: Path = RESULTS_ROOT, runs: Path = RUNS_ROOT, data_root: str | None = None,
            limit: int | None = None, notes: tuple[str, ...] = (), force: bool = False) -> Path:
    """Publish the newest weights of stage ``name`` into ``results/campaign/<name>/``: fp16 weights,
    ``metrics.json`` (``datasets`` by the paper's protocol), ``log.csv`` with ``train_flops``,
    ``provenance.json`` (``notes`` among it; the ``parent`` its init weights came from and the
    ``train_flops_total`` from scratch: :func:`srlib.publishing.write_provenance`, ``results``
    being the campaign folder inside the results root) and, for a finished run, the ``config.json`` and
    ``summary.json`` of :func:`publish_pilot` (so a continuation is read by :func:`read_continuations`).

    Nothing is written when it is refused: a published stage (its weights, ``metrics.json`` or
    ``provenance.json``) is replaced only with ``force``; the benchmarks are checked first; the
    files are made in a temporary folder beside ``dest`` and moved in when all are written."""
    from ..data import dataset_paths, dataset_spec

    commit, uncommitted = git_commit(), uncommitted_paths()  # before this function writes anything
    live, dest = runs / check_stage_name(name), results / name
    published = [f for f in _PUBLISHED_FILES if (dest / f).exists()]
    if published and not force:
        raise OutputExistsError(f"{display_path(dest)} is published already ({', '.join(published)}); pass --force "
                                "to replace it (its metrics and provenance notes are lost), or publish under "
                                "another name")
    if limit is not None and limit < 1:
        raise InvalidValueError(f"--limit must be >= 1 (0 or none: every image), got {limit}")
    for ds in datasets:
        if dataset_spec(ds).kind != "benchmark":  # UnknownNameError naming the known sets
            raise InvalidValueError(f"--datasets: {ds} is a training set; publish on benchmarks (Set5, Set14, "
                                    "B100, Urban100, Manga109)")
        dataset_paths(ds, data_root)  # missing or incomplete: refused before anything is written
    if RunFolder(live).latest_checkpoint() is None:
        restore(name, results=results, runs=runs)
    folder = RunFolder(live)
    final, latest = folder.final_weights, folder.latest_checkpoint()
    if latest is None and not final.is_file():
        raise FileNotFoundError(f"{live}: no weights to publish")
    weights = final if final.is_file() else latest[1]
    meta = read_metadata(weights)
    info = folder.info()
    config = TrainConfig.from_dict(info["train_config"])
    step = int(meta.get("step", latest[0] if latest else config.steps))
    state = ck.load_state(latest[2]) if latest else {}
    if folder.complete:  # a finished stage: its summary has the totals
        summary = folder.summary()
        state = {"wall_time": summary.get("wall_time", 0.0), "train_seconds": summary.get("train_seconds", 0.0),
                 "cpu_seconds": summary.get("cpu_seconds", 0.0)}
    stage = dest.with_name(f".{name}.publishing")
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    try:
        _publish_into(stage, name, datasets, live, weights, meta, info, config, step, state, latest, final,
                      results, data_root, limit, notes, commit, uncommitted)
        dest.mkdir(parents=True, exist_ok=True)
        for f in sorted(stage.iterdir()):
            os.replace(f, dest / f.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return dest


def _publish_into(dest: Path, name, datasets, live, weights, meta, info, config, step, state, latest, final,
                  results, data_root, limit, notes, commit, uncommitted) -> None:
    """The files of :func:`publish`, written into ``dest`` (its temporary folder)."""
    from ..evaluation import bicubic_upscaler, evaluate
    from ..inference import load_upscaler

    fp16 = {k: v.half() if v.is_floating_point() else v for k, v in ck.load_weights(weights)[0].items()}
    ck.save_weights(dest / "weights_fp16.safetensors", fp16, meta)

    up, _ = load_upscaler(dest / "weights_fp16.safetensors", scale=config.scale, device="cpu")
    metrics: dict[str, Any] = {"weights": "weights_fp16.safetensors", "scale": config.scale, "step": step,
                               "protocol": "srlib.evaluation.evaluate (the paper's protocol: Y channel, scale "
                                           "pixels shaved, MATLAB bicubic LR, MATLAB SSIM, uint8 outputs)",
                               "results": {}}
    for ds in datasets:
        t0 = time.perf_counter()
        res = evaluate(up, ds, config.scale, method=f"campaign {name}", root=data_root, limit=limit)
        seconds = time.perf_counter() - t0
        bic = evaluate(bicubic_upscaler, ds, config.scale, root=data_root, limit=limit, progress=False)
        metrics["results"][ds] = {
            "images": len(res.images), "psnr": round(res.psnr, 4), "ssim": round(res.ssim, 5),
            "bicubic_psnr": round(bic.psnr, 4), "bicubic_ssim": round(bic.ssim, 5),
            "gain_over_bicubic_db": round(res.psnr - bic.psnr, 4), "eval_seconds": round(seconds, 1),
            "subset": f"first {limit}" if limit else None,
            "per_image": [{"name": s.name, "psnr": round(s.psnr, 4), "ssim": round(s.ssim, 5)} for s in res.images]}
    (dest / "metrics.json").write_text(json.dumps(metrics, indent=2))
    flops = training_flops_per_step(config)
    (dest / "log.csv").write_text(_log_with_flops(live / "log.csv", flops))
    pieces = read_pieces(live, state_dir(name, results))
    complete = final.is_file() and step >= config.steps
    prov = {"status": "complete" if complete else "incomplete",
            "kind": "CPU training campaign, single-thread pieces on a 2-core machine",
            "profile": config.profile, "scale": config.scale, "steps": step, "steps_planned": config.steps,
            "batch_size": config.batch_size, "patches_seen": step * config.batch_size, "config": config.to_dict(),
            "init": info.get("init", {}), "parameters": info.get("parameters"),
            "device": pieces[-1]["device"] if pieces else describe_device("cpu"), "threads": config.threads,
            "torch": torch.__version__, "python": platform.python_version(),
            "wall_time_s": round(float(state.get("wall_time", 0.0)), 1),
            "train_seconds": round(float(state.get("train_seconds", 0.0)), 1),
            "cpu_seconds": round(float(state.get("cpu_seconds", 0.0)), 1),
            "train_flops_per_step": flops, "train_flops": flops * step,
            "pieces": pieces, "git_commit": pieces[0]["commit"] if pieces else git_commit(),
            "published_commit": commit, "published_uncommitted_paths": uncommitted, "published_utc": now_utc(),
            "weights_source": weights.name, "weights_sha256": file_sha256(dest / "weights_fp16.safetensors"),
            "weights_dtype": "float16 (trained in float32; loads into the float32 model)",
            "training_images": {"sets": list(config.train_sets), "aug_scales": list(config.aug_scales),
                                "total": sum(int(d.get("images", 0)) for d in (info.get("data") or {}).get("sets", []))
                                or None},
            "notes": list(notes)}
    write_provenance(dest, prov, results.parent)  # + its parent and compute from scratch, recorded now
    if complete and RunFolder(live).complete:  # what read_continuations reads, beside the log above
        publish_pilot(live, dest, note="; ".join(notes), keep_log=True)


def publish_pilot(run_dir: Path, dest: Path, note: str = "", planned_s_per_step: float | None = None,
                  keep_log: bool = False) -> Path:
    """Store a finished pilot run (``config.json``, ``log.csv``, ``summary.json`` of the engine,
    plus its FLOPs per step, ``note`` and the idle-core seconds per step its steps were planned
    with) in ``dest`` for the book; returns ``dest``. ``keep_log``: leave a ``log.csv`` already in
    ``dest`` (the one :func:`publish` wrote for the same run, with its FLOPs column) as it is."""
    commit, uncommitted = git_commit(), uncommitted_paths()  # before this function writes anything
    run = RunFolder(run_dir)
    info, summary = run.info(), run.summary()
    config = TrainConfig.from_dict(info["train_config"])
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(run_dir / "config.json", dest / "config.json")
    if not (keep_log and (dest / "log.csv").is_file()):
        shutil.copy2(run_dir / "log.csv", dest / "log.csv")
    summary.update(parameters=info.get("parameters"), train_flops_per_step=training_flops_per_step(config),
                   note=note, planned_s_per_step=planned_s_per_step, published_utc=now_utc(),
                   published_commit=commit, published_uncommitted_paths=uncommitted)
    (dest / "summary.json").write_text(json.dumps(summary, indent=2))
    return dest


def _stored_runs(folders):
    """``(folder name, TrainConfig, summary, row)`` for each of ``folders`` that holds the files of
    :func:`publish_pilot` (``config.json`` and ``summary.json``; others are skipped), where row has
    the fields every stored run shares: scale, channels, whether it started from a narrower network
    (``widened``: ``TrainConfig.init_widen``), seed, LR, patch, batch, loss schedule, steps, CPU
    seconds, training FLOPs, final Set5 PSNR / SSIM and note."""
    for d in sorted(folders):
        if not (d / "summary.json").is_file() or not (d / "config.json").is_file():
            continue
        summary = json.loads((d / "summary.json").read_text())
        cfg = TrainConfig.from_dict(json.loads((d / "config.json").read_text())["train_config"])
        set5 = summary.get("scores", {}).get("Set5", {})
        yield d.name, cfg, summary, {
            "scale": cfg.scale, "channels": cfg.channels, "widened": cfg.init_widen, "seed": cfg.seed, "lr": cfg.lr,
            "patch": cfg.patch_size, "batch": cfg.batch_size, "loss": cfg.loss_schedule, "steps": summary["steps"],
            "cpu_seconds": summary.get("cpu_seconds"),
            "train_flops": summary["train_flops_per_step"] * summary["steps"],
            "set5_psnr": set5.get("psnr"), "set5_ssim": set5.get("ssim"), "note": summary.get("note", "")}


def read_pilots(folder: Path = RESULTS_ROOT / "pilots"):
    """One row per stored pilot: name, channels, U blocks, refined blocks, parameters, training
    seconds, planned CPU seconds, and the fields of every stored run (:func:`_stored_runs`)."""
    import pandas as pd

    rows = []
    for name, cfg, summary, run in _stored_runs(Path(folder).glob("*")):
        rows.append({"pilot": name, "channels": cfg.channels, "u_blocks": "/".join(map(str, cfg.blocks_per_level)),
                     "refined_blocks": cfg.hr_blocks, "parameters": summary.get("parameters"),
                     "train_seconds": summary.get("train_seconds"),
                     "planned_cpu_seconds": summary["steps"] * (summary.get("planned_s_per_step") or math.nan), **run})
    return pd.DataFrame(rows)


def read_continuations(folder: Path, scale: int, stage_flops: float = 0.0):
    """One row per stored continuation of stage ``x<scale>`` (``<folder>/x<scale>-<name>/``: the
    files of :func:`publish_pilot` for a training started from a finished stage's, or another
    continuation's, final weights): name, parent (the folder whose weights it started from), the
    fields of every stored run (:func:`_stored_runs`), and the training FLOPs from the stage's start
    to the continuation's own start and end (``start_flops`` / ``cumulative_flops``; the stage's own
    given as ``stage_flops``), parents before children. Compute is chained in FLOPs, not CPU
    seconds: continuations ran beside other jobs, so their CPU seconds are not comparable."""
    import pandas as pd

    rows = {}
    for name, cfg, _, run in _stored_runs(Path(folder).glob(f"x{scale}-*")):
        init = Path(cfg.init)
        parent = init.parts[init.parts.index("campaign") + 1] if "campaign" in init.parts[:-1] else str(init)
        rows[name] = {"name": name, "parent": parent, **run}
    ordered, base = [], {f"x{scale}": stage_flops}
    while len(ordered) < len(rows):
        ready = [r for r in rows.values() if r["parent"] in base and r["name"] not in base]
        if not ready:
            orphans = sorted(set(rows) - set(base))
            raise ValueError(f"{folder}: continuation(s) {orphans} start from weights of no stored stage")
        for r in ready:
            base[r["name"]] = base[r["parent"]] + r["train_flops"]
            ordered.append({**r, "start_flops": base[r["parent"]], "cumulative_flops": base[r["name"]]})
    return pd.DataFrame(ordered)


def read_log(folder: Path, flops_per_step: float | None = None):
    """A run's ``log.csv`` as a DataFrame with ``train_flops`` (from ``flops_per_step`` when the
    log has no such column) and ``cpu_hours`` (``cpu_time``, else ``wall_time``, in hours)."""
    import pandas as pd

    log = pd.read_csv(Path(folder) / "log.csv")
    if "train_flops" not in log and flops_per_step:
        log["train_flops"] = log.step * flops_per_step
    seconds = log["cpu_time"] if "cpu_time" in log and log["cpu_time"].notna().any() else log["wall_time"]
    log["cpu_hours"] = seconds / 3600.0
    return log


def last_validation(folder: Path) -> float:
    """The last validation PSNR (dB) in a run's ``log.csv``: the float32 weights at the end of
    training, scored by the same in-training validation as every other point of the log."""
    psnr = read_log(folder).psnr.dropna()
    if psnr.empty:
        raise ValueError(f"{Path(folder) / 'log.csv'} holds no validation PSNR")
    return float(psnr.iloc[-1])
