"""The CPU training campaign: long single-thread trainings that outlive one working period.

A campaign stage is an ordinary engine run (:func:`srlib.training.train`) of the ``campaign``
profile, trained in pieces of a few hours. Between pieces the machine is not kept, so the state a
piece ends with is committed to the repository and the next piece resumes from it, exactly::

    runs/campaign/<name>/            the live run folder (git-ignored; the engine's layout)
    results/campaign/<name>/state/   what a later piece resumes from (committed):
        step_N.safetensors           fp32 weights of the newest checkpoint
        step_N.state.pt              optimiser moments, RNG states, step, config (weights_only)
        latest.json, config.json, log.csv, pieces.json (one entry per working period)
    results/campaign/<name>/         the published stage, read by the book (same files as
        weights_fp16.safetensors     results/reference/x<s>/: see srlib.book.committed.ReferenceResult)
        metrics.json, log.csv, provenance.json

The optimiser state is kept (Adam's two moments: twice the weights) because dropping it would
make a resumed run differ from an uninterrupted one; with the campaign's model sizes the state
is a few MiB. Commands (``python -m srlib campaign ...``):

* ``run NAME --scale S [--init W]``: restore the committed state if the live folder has no
  checkpoint, then train (resume) until the stage's steps are done or the process is stopped;
* ``save NAME``: copy the newest checkpoint and the logs into ``state/`` (then commit it);
* ``publish NAME``: evaluate the newest weights on the benchmarks (per image, beside bicubic)
  and write the published files, with the training log extended by cumulative FLOPs.
"""
from __future__ import annotations

import argparse
import csv
import datetime as _dt
import io
import json
import math
import os
import platform
import re
import shutil
import time
from pathlib import Path
from typing import Any

import torch

from .data.fetch import file_sha256
from .device import describe_device
from .models.parameters import model_input_channels
from .profiling import count_macs
from .errors import InvalidValueError, OutputExistsError
from .repository import display_path, git_commit, resolve, uncommitted_paths
from .runfolder import RunFolder, read_metadata
from .training import TrainConfig, preset, train
from .training import checkpoint as ck

__all__ = ["RESULTS_ROOT", "RUNS_ROOT", "campaign_config", "training_flops_per_step", "restore", "save",
           "publish", "run", "publish_pilot", "read_pilots", "read_continuations", "read_log", "last_validation",
           "period_gains", "fit_saturation", "fit_saturation_interval", "saturation_psnr",
           "compute_to_reach", "seed_spread", "difference_interval"]

RESULTS_ROOT = resolve("results/campaign")  # against the repository root, whatever the working directory
RUNS_ROOT = resolve("runs/campaign")
_STATE_FILES = ("latest.json", "config.json", "log.csv")
_PUBLISHED_FILES = ("weights_fp16.safetensors", "metrics.json", "provenance.json")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def check_stage_name(name: str) -> str:
    """``name`` if it is a plain folder name (letters, digits, ``.``, ``_``, ``-``; not starting
    with a dot); else :class:`~srlib.errors.InvalidValueError`: an empty or path-like name would
    train or publish into the campaign's own folder, or outside it."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidValueError(f"campaign stage name {name!r}: give a plain folder name such as x2 or x4-w64 "
                                "(letters, digits, '.', '_', '-'; no path, not empty)")
    return name


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def campaign_config(scale: int, init: str = "", **overrides) -> TrainConfig:
    """The ``campaign`` profile at ``scale`` (``init``: the previous stage's fp32 weights).

    Overriding ``steps`` also rescales what the profile ties to the stage's length (the loss
    alternation and the validation interval, 5 % of the steps) unless they are given too
    (:func:`srlib.training.preset` does so for the ``campaign`` profile)."""
    return preset("campaign", scale, init=init, **overrides)


def training_flops_per_step(config: TrainConfig) -> float:
    """Estimated floating-point operations of one training step of ``config``'s model: forward
    multiply-accumulates of the convolutions on one batch of LR patches (counted by
    :func:`srlib.profiling.count_macs`), x2 FLOPs per MAC, x3 for forward + backward (the
    backward pass computes two products per forward one). Biases and activations are ignored."""
    from .models import build_model

    name, kwargs = config.model_spec()
    net = build_model(name, **kwargs).eval()
    side = config.patch_size * config.scale if getattr(net, "pre_upsample", False) else config.patch_size
    x = torch.zeros(1, model_input_channels(net), side, side)  # a pre-upsampling network works at HR size
    with torch.no_grad(), count_macs(net) as macs:
        net(x)
    return 6.0 * macs[0] * config.batch_size


# ------------------------------------------------------------------------------ state <-> run folder
def _state_dir(name: str, results: Path) -> Path:
    return results / name / "state"


def restore(name: str, *, results: Path = RESULTS_ROOT, runs: Path = RUNS_ROOT) -> Path | None:
    """Copy the committed state of ``name`` into its live run folder when that folder holds no
    checkpoint yet; return the restored step checkpoint (``None``: nothing to restore)."""
    live, state = runs / check_stage_name(name), _state_dir(name, results)
    if RunFolder(live).latest_checkpoint() is not None or not (state / "latest.json").is_file():
        return None
    latest = json.loads((state / "latest.json").read_text())
    (live / "checkpoints").mkdir(parents=True, exist_ok=True)
    if latest.get("complete"):  # a finished stage: its final fp32 weights, no optimiser state
        for fname in ("final.safetensors", "summary.json", *_STATE_FILES):
            shutil.copy2(state / fname, live / fname)
        return live / "final.safetensors"
    for key in ("weights", "state"):
        src = state / Path(latest[key]).name
        if not src.is_file():
            raise FileNotFoundError(f"{src}: named by {state / 'latest.json'} but missing; the committed "
                                    "state is incomplete (check out its commit again)")
        shutil.copy2(src, live / latest[key])
    for fname in _STATE_FILES:
        if (state / fname).is_file():
            shutil.copy2(state / fname, live / fname)
    return live / latest["weights"]


def _complete_step(live: Path) -> int | None:
    """The step of a finished stage (``final.safetensors`` and ``summary.json`` written), else None."""
    if (live / "final.safetensors").is_file() and (live / "summary.json").is_file():
        return int(json.loads((live / "summary.json").read_text())["steps"])
    return None


def save(name: str, *, results: Path = RESULTS_ROOT, runs: Path = RUNS_ROOT) -> dict[str, Any]:
    """Replace ``results/campaign/<name>/state/`` by the live run's newest checkpoint and logs
    (a finished stage: its final fp32 weights and summary only, which the next stage starts
    from); returns the updated ``pieces.json`` entry of this working period."""
    live, state = runs / check_stage_name(name), _state_dir(name, results)
    latest, done = RunFolder(live).latest_checkpoint(), _complete_step(live)
    if latest is None and done is None:
        raise FileNotFoundError(f"{live} holds no checkpoint to save (start it with `srlib campaign run {name}`)")
    tmp = state.with_name("state.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for fname in ("config.json", "log.csv"):
        if (live / fname).is_file():
            shutil.copy2(live / fname, tmp / fname)
    if done is not None:
        step = done
        for fname in ("final.safetensors", "summary.json"):
            shutil.copy2(live / fname, tmp / fname)
        record = {"step": step, "complete": True, "weights": "final.safetensors"}
    else:
        step, wpath, spath = latest
        shutil.copy2(wpath, tmp / wpath.name)
        shutil.copy2(spath, tmp / spath.name)
        record = {"step": step, "weights": f"checkpoints/{wpath.name}", "state": f"checkpoints/{spath.name}"}
    ck.atomic_write(tmp / "latest.json", json.dumps(record).encode())
    pieces = _read_pieces(live, state)
    if pieces:
        pieces[-1].update(end_step=step, saved_utc=_now())
    (tmp / "pieces.json").write_text(json.dumps(pieces, indent=2))
    shutil.copy2(tmp / "pieces.json", live / "pieces.json")
    shutil.rmtree(state, ignore_errors=True)
    tmp.rename(state)
    return pieces[-1] if pieces else {}


def _read_pieces(live: Path, state: Path) -> list[dict]:
    for folder in (live, state):
        if (folder / "pieces.json").is_file():
            return json.loads((folder / "pieces.json").read_text())
    return []


# ------------------------------------------------------------------------------ training
def run(name: str, config: TrainConfig | None = None, *, results: Path = RESULTS_ROOT, runs: Path = RUNS_ROOT,
        threads: int = 1, data=None, stop_at: int | None = None):
    """Train (or continue) campaign stage ``name`` in this process.

    Restores the committed state when the live folder has no checkpoint, records a new piece in
    ``pieces.json`` and runs the engine, resuming when there is a checkpoint. ``config`` is
    used for a new stage only (a resumed stage keeps its stored config; ``threads`` may
    change). ``data`` / ``stop_at``: as :func:`srlib.training.train` (tests).
    """
    live = runs / check_stage_name(name)
    restored = restore(name, results=results, runs=runs)
    if _complete_step(live) is not None:
        raise ValueError(f"campaign stage {name!r} is complete ({_complete_step(live)} steps): publish it, or start "
                         f"the next stage with --init {results / name / 'state' / 'final.safetensors'}")
    latest = RunFolder(live).latest_checkpoint()
    if latest is not None:
        config = TrainConfig.load(live / "config.json").replace(threads=threads)
    elif config is None:
        raise ValueError(f"campaign stage {name!r} has no checkpoint and no committed state: give a config "
                         "(the CLI: --scale, and --init for a stage after x2)")
    piece = {"started_utc": _now(), "start_step": latest[0] if latest else 0,
             "restored_from_commit": restored is not None, "commit": git_commit(),
             "device": describe_device("cpu"), "threads": threads, "host": platform.node()}

    def record_piece() -> None:  # called by the engine while this process holds the run's lock
        pieces = _read_pieces(live, _state_dir(name, results))
        pieces.append({"piece": len(pieces) + 1, **piece})
        ck.atomic_write(live / "pieces.json", json.dumps(pieces, indent=2).encode())

    return train(config, live, resume=latest is not None, data=data, stop_at=stop_at, on_start=record_piece)


# ------------------------------------------------------------------------------ publishing
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
    ``provenance.json`` (``notes`` among it) and, for a finished run, the ``config.json`` and
    ``summary.json`` of :func:`publish_pilot` (so a continuation is read by :func:`read_continuations`).

    Nothing is written when it is refused: a published stage (its weights, ``metrics.json`` or
    ``provenance.json``) is replaced only with ``force``; the benchmarks are checked first; the
    files are made in a temporary folder beside ``dest`` and moved in when all are written."""
    from .data import dataset_paths, dataset_spec

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
    if final.is_file() and (live / "summary.json").is_file():  # a finished stage: its summary has the totals
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
    from .evaluation import bicubic_upscaler, evaluate
    from .inference import load_upscaler

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
    pieces = _read_pieces(live, _state_dir(name, results))
    complete = final.is_file() and step >= config.steps
    prov = {"status": "complete" if complete else "incomplete",
            "kind": "CPU training campaign (issue 10), single-thread pieces on a 2-core machine",
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
            "published_commit": commit, "published_uncommitted_paths": uncommitted, "published_utc": _now(),
            "weights_source": weights.name, "weights_sha256": file_sha256(dest / "weights_fp16.safetensors"),
            "weights_dtype": "float16 (trained in float32; loads into the float32 model)",
            "training_images": {"sets": list(config.train_sets), "aug_scales": list(config.aug_scales),
                                "total": sum(int(d.get("images", 0)) for d in (info.get("data") or {}).get("sets", []))
                                or None},
            "notes": list(notes)}
    (dest / "provenance.json").write_text(json.dumps(prov, indent=2))
    if complete and (live / "summary.json").is_file():  # what read_continuations reads, beside the log above
        publish_pilot(live, dest, note="; ".join(notes), keep_log=True)


# ------------------------------------------------------------------------------ pilots and the fidelity curve
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
                   note=note, planned_s_per_step=planned_s_per_step, published_utc=_now(),
                   published_commit=commit, published_uncommitted_paths=uncommitted)
    (dest / "summary.json").write_text(json.dumps(summary, indent=2))
    return dest


def _stored_runs(folders):
    """``(folder name, TrainConfig, summary, row)`` for each of ``folders`` that holds the files of
    :func:`publish_pilot` (``config.json`` and ``summary.json``; others are skipped), where row has
    the fields every stored run shares: channels, whether it started from a narrower network
    (``widened``: ``TrainConfig.init_widen``), seed, LR, patch, batch, loss schedule, steps, CPU
    seconds, training FLOPs, final Set5 PSNR / SSIM and note."""
    for d in sorted(folders):
        if not (d / "summary.json").is_file() or not (d / "config.json").is_file():
            continue
        summary = json.loads((d / "summary.json").read_text())
        cfg = TrainConfig.from_dict(json.loads((d / "config.json").read_text())["train_config"])
        set5 = summary.get("scores", {}).get("Set5", {})
        yield d.name, cfg, summary, {
            "channels": cfg.channels, "widened": cfg.init_widen, "seed": cfg.seed, "lr": cfg.lr, "patch": cfg.patch_size, "batch": cfg.batch_size,
            "loss": cfg.loss_schedule, "steps": summary["steps"], "cpu_seconds": summary.get("cpu_seconds"),
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


def seed_spread(runs, recipe: list[str], value: str = "set5_psnr") -> tuple[float, int]:
    """The noise of one run: the pooled standard deviation (dB) of ``runs[value]`` within the
    groups of rows that agree on every column of ``recipe`` (runs repeated with another seed),
    and its degrees of freedom (rows in repeated groups minus groups). ``(nan, 0)`` when no recipe
    was repeated. ``runs``: a frame of :func:`read_pilots` or :func:`read_continuations`."""
    import numpy as np

    squares, dof = 0.0, 0
    for _, group in runs.groupby(recipe, dropna=False):
        if len(group) > 1:
            x = group[value].to_numpy(dtype=float)
            squares += float(((x - x.mean()) ** 2).sum())
            dof += len(x) - 1
    return (float(np.sqrt(squares / dof)) if dof else math.nan), dof


def difference_interval(a, b, sd: float, dof: int, level: float = 0.95) -> dict[str, float]:
    """``mean(a) - mean(b)`` for two sets of single-run results (dB) and its Student-t interval
    at ``level``, the noise of one run being ``sd`` with ``dof`` degrees of freedom (from
    :func:`seed_spread`): ``{"difference", "low", "high"}``, the ends NaN without a noise estimate."""
    import numpy as np
    from scipy import stats

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    difference = float(a.mean() - b.mean())
    if not dof or not np.isfinite(sd):
        return {"difference": difference, "low": math.nan, "high": math.nan}
    half = float(stats.t.ppf(0.5 + level / 2, dof)) * sd * math.sqrt(1 / len(a) + 1 / len(b))
    return {"difference": difference, "low": difference - half, "high": difference + half}


def period_gains(runs, start_psnr: dict[str, float], recipe: list[str], sd: float, dof: int):
    """What each continuation recipe bought over the weights it started from: one row per group of
    ``runs`` (a frame of :func:`read_continuations`) that agree on every column of ``recipe``
    (which must name the ``parent``), in order of training FLOPs: the ``recipe`` columns, ``names``,
    ``runs``, ``cumulative_flops`` and ``cpu_seconds`` (means), ``set5_psnr`` (mean), ``gain`` (that
    mean minus ``start_psnr[parent]``, the parent's one result) and ``low`` / ``high``, its Student-t
    interval at 95 % (:func:`difference_interval` against the parent as one run of noise ``sd``)."""
    import pandas as pd

    if "parent" not in recipe:
        raise ValueError(f"recipe {recipe} names no 'parent': runs from different weights would be pooled")
    rows = []
    for key, group in runs.groupby(recipe, dropna=False):
        parent = group.parent.iloc[0]
        d = difference_interval(group.set5_psnr, [start_psnr[parent]], sd, dof)
        rows.append({**dict(zip(recipe, key)), "names": ", ".join(group.name), "runs": len(group),
                     "cumulative_flops": group.cumulative_flops.mean(), "cpu_seconds": group.cpu_seconds.mean(),
                     "set5_psnr": group.set5_psnr.mean(), "gain": d["difference"], "low": d["low"], "high": d["high"]})
    columns = [*recipe, "names", "runs", "cumulative_flops", "cpu_seconds", "set5_psnr", "gain", "low", "high"]
    return pd.DataFrame(rows, columns=columns).sort_values("cumulative_flops", ignore_index=True)


#: Bounds of :func:`fit_saturation`: the ceiling lies at most this far above the best point (dB),
#: and the exponent ``b`` is at least :data:`FIT_B_MIN`.
FIT_CEILING_MARGIN = 10.0
FIT_B_MIN = 1e-3


def fit_saturation(compute, psnr) -> dict[str, float]:
    """Least-squares fit of ``psnr = p_inf - a * compute ** -b`` (``a, b > 0``): the PSNR a model
    approaches with unlimited training compute. ``compute`` in any positive unit (the fit's
    ``a`` depends on it). Returns ``{"p_inf", "a", "b", "rmse", "identified"}``; ``identified``
    is False when the fit ran to a bound (the ceiling :data:`FIT_CEILING_MARGIN` dB above the best
    point, or ``b`` at :data:`FIT_B_MIN`): the points do not bend towards a ceiling, so ``p_inf``
    is only the bound and no extrapolation should be read from it."""
    import numpy as np
    from scipy.optimize import curve_fit

    c = np.asarray(compute, dtype=float)
    y = np.asarray(psnr, dtype=float)
    if len(c) < 4:
        raise ValueError(f"need at least 4 points to fit 3 parameters, got {len(c)}")
    scale = float(np.median(c))
    x = c / scale

    def model(x, p_inf, log_a, b):
        return p_inf - np.exp(log_a) * x ** (-b)

    top = float(y.max())
    p0 = (top + 0.3, np.log(max(float(y.max() - y.min()), 1e-3)), 0.5)
    params, _ = curve_fit(model, x, y, p0=p0, bounds=([top, -20, FIT_B_MIN], [top + FIT_CEILING_MARGIN, 10, 5]),
                          maxfev=20000)
    p_inf, log_a, b = (float(v) for v in params)
    rmse = float(np.sqrt(np.mean((model(x, *params) - y) ** 2)))
    identified = p_inf < top + 0.99 * FIT_CEILING_MARGIN and b > 2 * FIT_B_MIN
    return {"p_inf": p_inf, "a": float(np.exp(log_a) * scale**b), "b": b, "rmse": rmse, "identified": identified}


def fit_saturation_interval(compute, psnr, sigma, n: int = 300, level: float = 0.95, seed: int = 0,
                            at: float | None = None) -> dict[str, Any]:
    """How far the ceiling of :func:`fit_saturation` can move when each point is off by noise of
    standard deviation ``sigma`` dB (a parametric bootstrap: ``n`` refits of the fitted curve plus
    Gaussian noise; ``sigma``: one value, or one per point). Returns ``{"low", "high"}`` (the
    central ``level`` interval of the ceiling; ``inf`` when more than its upper tail ran to the
    bound), ``"unidentified"`` (the share of refits that did) and ``"samples"`` (the refitted
    ceilings, ``inf`` for those); with ``at`` (a compute, same unit) also ``"at_low"``,
    ``"at_high"`` and ``"at_samples"``: the same for the refitted curves' PSNR at that compute."""
    import numpy as np

    c, y = np.asarray(compute, dtype=float), np.asarray(psnr, dtype=float)
    fit = fit_saturation(c, y)
    curve = saturation_psnr(fit, c)
    rng = np.random.default_rng(seed)
    samples, at_samples = [], []
    for _ in range(n):
        refit = fit_saturation(c, curve + rng.normal(0.0, sigma, size=len(c)))
        samples.append(refit["p_inf"] if refit["identified"] else math.inf)
        if at is not None:
            at_samples.append(saturation_psnr(refit, at) if refit["identified"] else math.inf)
    tail = (1.0 - level) / 2.0

    def central(values):
        values = np.sort(np.array(values))
        return values, *(float(np.quantile(values, q, method="lower" if q < 0.5 else "higher"))
                         for q in (tail, 1 - tail))

    samples, low, high = central(samples)
    out = {"low": low, "high": high, "unidentified": float(np.mean(np.isinf(samples))), "samples": samples}
    if at is not None:
        out["at_samples"], out["at_low"], out["at_high"] = central(at_samples)
    return out


def saturation_psnr(fit: dict[str, float], compute):
    """The fitted curve of :func:`fit_saturation` at ``compute`` (same unit as the fit's):
    ``p_inf - a * compute ** -b`` dB."""
    return fit["p_inf"] - fit["a"] * compute ** -fit["b"]


def compute_to_reach(fit: dict[str, float], target: float) -> float:
    """Compute at which the fitted curve reaches ``target`` PSNR (``inf`` at or above ``p_inf``)."""
    gap = fit["p_inf"] - target
    if gap <= 0:
        return float("inf")
    return (fit["a"] / gap) ** (1.0 / fit["b"])


# ------------------------------------------------------------------------------ CLI
def _cmd(args: argparse.Namespace) -> int:
    check_stage_name(args.name)
    base = resolve(args.root) if args.root else None  # the repository root by default, never the working directory
    roots = {"results": base / "results" / "campaign", "runs": base / "runs" / "campaign"} if base else {}
    results = roots.get("results", RESULTS_ROOT)
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
            config = campaign_config(args.scale or 2, threads=args.threads, progress=False, **overrides)
        res = run(args.name, config, threads=args.threads, **roots)
        print(f"{res.out_dir}: step {res.step}; {res.scores or 'no validation'}")
    elif args.action == "save":
        piece = save(args.name, **roots)
        print(f"saved {display_path(results / args.name / 'state')} at step {piece.get('end_step')}: commit it")
    else:
        if args.limit < 0:
            raise InvalidValueError(f"--limit must be >= 0 (0: every image), got {args.limit}")
        datasets = tuple(d.strip() for d in args.datasets.split(",") if d.strip())
        if not datasets:
            raise InvalidValueError("--datasets is empty: name the benchmarks, e.g. Set5,Set14,B100,Urban100")
        dest = publish(args.name, datasets, limit=args.limit or None, notes=tuple(args.note), force=args.force,
                       **roots)
        print(f"published {display_path(dest)}")
    return 0


def add_cli_command(subparsers) -> None:
    p = subparsers.add_parser("campaign", help="the CPU training campaign: run / save / publish a stage",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("action", choices=["run", "save", "publish"])
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
    p.add_argument("--datasets", default="Set5,Set14,B100,Urban100", help="publish: benchmarks to evaluate")
    p.add_argument("--limit", type=int, default=0, help="publish: first N images of each benchmark (0 = all)")
    p.add_argument("--note", action="append", default=[], help="publish: a note for provenance.json")
    p.add_argument("--force", action="store_true", help="publish: replace a stage published already (its metrics "
                   "and provenance are lost)")
    p.add_argument("--root", default="", help="the folder holding results/campaign and runs/campaign (default: "
                   "this repository, whatever the working directory)")
    p.set_defaults(func=_cmd)
