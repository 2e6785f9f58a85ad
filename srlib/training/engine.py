"""The training engine: one curriculum stage per call of :func:`train`, and
:func:`train_curriculum` for x2 -> x4 -> x8 in one go.

What a step does: take the batch of this step (a function of seed, rank and step, see
:mod:`srlib.training.data`), run the model (a :class:`~srlib.inference.FadeBlend` around it, so
a new level fades in from the bicubic-upsampled previous level), take the L1 or L2 loss of the
schedule at the final output or summed over the levels, step the optimiser with the learning
rate of the schedule. Every ``log_every`` steps a CSV row; every ``val_every`` steps the
benchmarks with the exact protocol (:func:`srlib.evaluation.evaluate`); every ``ckpt_every``
steps an atomic checkpoint. A non-finite loss (or weights) stops the run with
:class:`TrainingDivergedError`, leaving the last good checkpoint in place.

Under ``torchrun`` (``WORLD_SIZE > 1``) the model is wrapped in ``DistributedDataParallel``
(NCCL on CUDA, gloo on CPU); ``batch_size`` is the global batch, split over the ranks; rank 0
validates, logs and writes checkpoints.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.nn as nn
from tqdm.auto import tqdm

from ..evaluation import evaluate
from ..inference import FadeBlend, model_in_channels, model_upscaler, resolve_device
from ..models import build_model
from ..runfolder import RunFolder
from . import checkpoint as ck
from .config import RUNTIME_FIELDS, TrainConfig, config_diff
from .data import PatchBatches, TrainingSet
from .lock import RunLock
from .preflight import check_run

__all__ = ["train", "train_curriculum", "TrainResult", "TrainingDivergedError", "lr_at", "loss_kind_at",
           "fade_alpha_at", "LOG_COLUMNS"]

#: Columns of a run's ``log.csv``. ``wall_time``: seconds since the run started (all pieces);
#: ``cpu_time``: CPU seconds of this process spent in training steps (all threads, all pieces;
#: validation excluded), the compute measure of the campaign's compute-fidelity curve.
LOG_COLUMNS = ["step", "epoch", "loss", "lr", "psnr", "ssim", "wall_time", "cpu_time", "loss_kind", "alpha",
               "patches_per_s"]
_ARCH_IGNORE = {"scale", "blocks_per_level", "hr_blocks", "init"}  # init: only the new levels


class TrainingDivergedError(RuntimeError):
    """The loss (or the weights) became NaN or infinite; the last good checkpoint is kept."""


@dataclass
class TrainResult:
    out_dir: Path
    step: int
    status: str  # 'completed' or 'killed' (stop_at, tests only)
    final_weights: Path | None = None
    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # val set -> {"psnr", "ssim"}
    wall_time: float = 0.0
    train_seconds: float = 0.0
    model: nn.Module | None = field(default=None, repr=False)
    step_seconds: list[float] = field(default_factory=list, repr=False)  # this session's steps

    @property
    def psnr(self) -> float | None:
        return next(iter(self.scores.values()))["psnr"] if self.scores else None


# ------------------------------------------------------------------------------------ schedules
def lr_at(config: TrainConfig, step: int) -> float:
    """Learning rate of step ``step`` (0-based)."""
    base = config.lr
    if config.warmup_steps and step < config.warmup_steps:
        return base * (step + 1) / config.warmup_steps
    if config.lr_schedule == "constant":
        return base
    if config.lr_schedule == "step":
        passed = sum(step >= int(round(m * config.steps)) for m in config.lr_milestones)
        return base * config.lr_gamma ** passed
    span = max(1, config.steps - config.warmup_steps)
    t = min(1.0, max(0.0, (step - config.warmup_steps) / span))
    return config.lr_min + 0.5 * (base - config.lr_min) * (1 + math.cos(math.pi * t))


def loss_kind_at(config: TrainConfig, step: int) -> str:
    """``'l1'`` or ``'l2'`` for step ``step``."""
    if config.loss_schedule != "l1_then_alternate":
        return config.loss_schedule
    start = int(round(config.l1_fraction * config.steps))
    if step < start:
        return "l1"
    return "l2" if ((step - start) // config.alternate_every) % 2 == 0 else "l1"


def fade_alpha_at(config: TrainConfig, step: int, fading: bool) -> float:
    """Weight of the new level at step ``step`` (1 when not fading)."""
    if not fading:
        return 1.0
    ramp = int(round(config.fade_fraction * config.steps))
    return 1.0 if ramp <= 0 else min(1.0, step / ramp)


# ------------------------------------------------------------------------------------ helpers
def _dist_info() -> tuple[int, int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0"))


def _setup_distributed(device: torch.device) -> tuple[int, int, bool]:
    rank, world, _ = _dist_info()
    created = False
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
        created = True
    if dist.is_initialized():
        rank, world = dist.get_rank(), dist.get_world_size()
    return rank, world, created


def _barrier(world: int) -> None:
    if world > 1:
        dist.barrier()


def _unwrap(module: nn.Module) -> nn.Module:
    module = getattr(module, "_orig_mod", module)  # torch.compile
    module = getattr(module, "module", module)  # DDP
    return module


def _use_channels_last(config: TrainConfig, device: torch.device) -> bool:
    if config.channels_last == "auto":
        return device.type == "cuda" or config.channels >= 32
    return config.channels_last == "on"


def _check_init_compatible(config: TrainConfig, meta: dict, path: Path) -> None:
    """The previous stage must have the same architecture apart from the levels it lacks."""
    name, kwargs = config.model_spec()
    if meta.get("model") != name:
        raise ck.CheckpointMismatchError(f"init checkpoint {path}", {"model": (meta.get("model"), name)})
    theirs = dict(meta.get("model_kwargs") or {})
    diff = {}
    for key in sorted(set(theirs) | set(kwargs)):
        if key in _ARCH_IGNORE:
            continue
        a, b = theirs.get(key, "<default>"), kwargs.get(key, "<default>")
        if json.dumps(a) != json.dumps(b):
            diff[key] = (a, b)
    for key in ("blocks_per_level", "hr_blocks"):
        a, b = list(theirs.get(key) or []), list(kwargs.get(key) or [])
        if a and b and a != b[:len(a)]:
            diff[key] = (a, b)
    if int(theirs.get("scale", 0)) > config.scale:
        diff["scale"] = (theirs.get("scale"), config.scale)
    if diff:
        raise ck.CheckpointMismatchError(f"init checkpoint {path}", diff,
                                         "a stage starts from the previous stage of the same architecture")


def _to_float(batch: torch.Tensor, device: torch.device, in_channels: int, channels_last: bool) -> torch.Tensor:
    x = batch.to(device, non_blocking=True).float().div_(255.0)
    if in_channels == 1 and x.shape[1] == 3:  # Y of MATLAB rgb2ycbcr, on [0, 1]
        w = torch.tensor([65.481, 128.553, 24.966], device=device).view(1, 3, 1, 1) / 255.0
        x = (x * w).sum(dim=1, keepdim=True) + 16.0 / 255.0
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x


def _metadata(config: TrainConfig, model_name: str, model_kwargs: dict, step: int, alpha: float,
              extra: dict | None = None) -> dict[str, Any]:
    meta = {"model": model_name, "model_kwargs": model_kwargs, "scale": config.scale, "step": step,
            "fade_alpha": alpha, "train_config": config.to_dict()}
    meta.update(extra or {})
    return meta


class _CsvLog:
    def __init__(self, path: Path, columns: list[str], resume_step: int | None):
        self.path, self.columns = path, columns
        rows: list[dict] = []
        if resume_step is not None and path.is_file():
            with open(path, newline="") as fh:
                rows = [r for r in csv.DictReader(fh) if r.get("step") and int(r["step"]) <= resume_step]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        ck.atomic_write(path, buf.getvalue().encode())

    def write(self, row: dict) -> None:
        with open(self.path, "a", newline="") as fh:
            csv.DictWriter(fh, fieldnames=self.columns, extrasaction="ignore").writerow(row)


# ------------------------------------------------------------------------------------ train
def train(config: TrainConfig, out_dir: str | Path, *, resume: bool = False, data: TrainingSet | None = None,
          stop_at: int | None = None) -> TrainResult:
    """Train one stage as ``config`` says, writing the run into ``out_dir``.

    Args:
        config: the run's :class:`TrainConfig` (``config.init``: previous stage's checkpoint).
        out_dir: run directory (created); refuses one that already holds checkpoints unless
            ``resume``.
        resume: continue from the newest checkpoint in ``out_dir``; a checkpoint written with a
            different configuration (apart from :data:`RUNTIME_FIELDS`) is refused with
            :class:`~srlib.training.checkpoint.CheckpointMismatchError` naming the fields.
        data: a prebuilt :class:`TrainingSet` (default: built from ``config``, cached).
        stop_at: stop after this many steps *without* a checkpoint, as if killed (tests).

    Raises:
        TrainingDivergedError: NaN / inf loss or weights (the last good checkpoint stays).
        RunLockedError: another live process is training into ``out_dir``.
        SrlibError (and subclasses): a validation or training set, the init checkpoint or the run
            folder is not usable; checked before the first step (:mod:`srlib.training.preflight`).
    """
    wall_start = time.perf_counter()
    prev_threads = torch.get_num_threads()
    if config.threads:
        torch.set_num_threads(config.threads)
    created_pg = False
    try:
        device = resolve_device(config.device)
        _, world_env, local_rank = _dist_info()
        if device.type == "cuda" and world_env > 1:
            device = torch.device("cuda", local_rank)
            torch.cuda.set_device(device)
        rank, world, created_pg = _setup_distributed(device)
        # One writer per run folder, and everything the run needs checked before its first step.
        with RunLock(out_dir) if rank == 0 else contextlib.nullcontext():
            check_run(config, Path(out_dir), resume=resume, writer=rank == 0, locked=rank == 0)
            return _train(config, Path(out_dir), resume, data, stop_at, device, rank, world, wall_start)
    finally:
        if created_pg and dist.is_initialized():
            dist.destroy_process_group()
        if config.threads:
            torch.set_num_threads(prev_threads)


def _train(config: TrainConfig, out: Path, resume: bool, data: TrainingSet | None, stop_at: int | None,
           device: torch.device, rank: int, world: int, wall_start: float) -> TrainResult:
    main = rank == 0
    run = RunFolder(out)
    if config.batch_size % world:
        raise ValueError(f"batch_size {config.batch_size} is not divisible by the {world} processes")
    latest = run.latest_checkpoint()
    if latest is not None and not resume:
        raise FileExistsError(f"{out} already holds checkpoints (step {latest[0]}): pass resume=True / --resume "
                              "to continue that run, or choose another output directory")
    state = None
    if resume and latest is not None:
        state = ck.load_state(latest[2])
        diff = config_diff(state["config"], config, RUNTIME_FIELDS)
        if diff:
            raise ck.CheckpointMismatchError(
                f"checkpoint {latest[2]}", diff,
                "resume with the configuration of the run (its config.json), or start a new run")
    if main:
        out.mkdir(parents=True, exist_ok=True)

    # ---- model
    torch.manual_seed(config.seed)
    name, kwargs = config.model_spec()
    net = build_model(name, **kwargs)
    multi_level = name == "csrcnn"
    new_levels: list[int] = []
    init_info: dict[str, Any] = {}
    if state is not None:
        weights, _ = ck.load_weights(latest[1])
        net.load_state_dict(weights, strict=True)
        new_levels = list(state.get("new_levels", []))
        init_info = dict(state.get("init_info", {}))
    elif config.init:
        init_path = Path(config.init)
        if init_path.is_dir():
            init_path = RunFolder(init_path).final_weights
        weights, meta = ck.load_weights(init_path)
        _check_init_compatible(config, meta, init_path)
        if multi_level and int(meta["model_kwargs"].get("scale", config.scale)) < config.scale:
            new_levels = net.load_previous_stage(weights)
        else:
            net.load_state_dict(weights, strict=True)
        init_info = {"path": str(init_path), "step": meta.get("step"), "scale": meta.get("scale")}
    elif multi_level and config.curriculum == "progressive" and config.scale > 2:
        raise ValueError(
            f"a progressive-curriculum stage at x{config.scale} starts from the x{config.scale // 2} stage: give "
            "init=<previous run>/final.safetensors (--init), train all stages with --all-stages, or set "
            "curriculum='none' to train end to end")
    fading = bool(new_levels) and config.blend == "fade" and config.fade_fraction > 0
    cl = _use_channels_last(config, device)
    blend = FadeBlend(net, fade=fading, alpha=fade_alpha_at(config, 0, fading)).to(device)
    if cl:
        blend = blend.to(memory_format=torch.channels_last)
    in_ch = model_in_channels(net)
    runner: nn.Module = blend
    if world > 1:
        runner = nn.parallel.DistributedDataParallel(
            blend, device_ids=[device.index] if device.type == "cuda" else None)
    if config.compile:
        runner = torch.compile(runner)
    amp = device.type == "cuda" and config.amp in ("auto", "bf16")

    # ---- optimiser
    if config.optimizer == "adam":
        opt = torch.optim.Adam(net.parameters(), lr=config.lr, betas=tuple(config.adam_betas),
                               weight_decay=config.weight_decay)
    else:
        opt = torch.optim.SGD(net.parameters(), lr=config.lr, momentum=config.momentum,
                              weight_decay=config.weight_decay)
    start = 0
    prev_wall = prev_train = prev_cpu = 0.0
    if state is not None:
        opt.load_state_dict(state["optimizer"])
        ck.set_rng_state(state["rng"])
        start = int(state["step"])
        prev_wall, prev_train = float(state.get("wall_time", 0.0)), float(state.get("train_seconds", 0.0))
        prev_cpu = float(state.get("cpu_seconds", 0.0))

    # ---- data (rank 0 builds the cache first)
    if data is None:
        if main:
            data = TrainingSet.from_config(config)
        _barrier(world)
        if not main:
            data = TrainingSet.from_config(config, progress=False)
    levels = config.scale.bit_length() - 1
    factors = [2**i for i in range(1, levels + 1)] if (multi_level and config.loss_levels == "all") else [config.scale]
    batches = PatchBatches(data, config.scale, config.patch_size, config.batch_size // world, config.seed, rank,
                           config.augment, factors, length=config.steps)
    loader = torch.utils.data.DataLoader(
        batches, batch_size=None, sampler=range(start, config.steps), num_workers=config.workers,
        pin_memory=device.type == "cuda", prefetch_factor=4 if config.workers else None,
        multiprocessing_context="fork" if config.workers and os.name == "posix" else None)
    epoch_patches = data.patches_per_epoch(config.scale, config.patch_size)

    # ---- run files
    val_sets = list(config.val_sets) if config.val_every != -1 else []
    columns = LOG_COLUMNS + [f"{k}_{s}" for s in val_sets[1:] for k in ("psnr", "ssim")]
    log = None
    if main:
        run_info = {"train_config": config.to_dict(), "model": name, "model_kwargs": kwargs,
                    "parameters": sum(p.numel() for p in net.parameters()), "new_levels": new_levels,
                    "fade": fading, "init": init_info, "world_size": world, "device": str(device),
                    "channels_last": cl, "amp_bf16": amp, "data": data.description, "epoch_patches": epoch_patches,
                    "torch": torch.__version__}
        ck.atomic_write(run.config_json, json.dumps(run_info, indent=2, default=str).encode())
        log = _CsvLog(run.log_csv, columns, start if state is not None else None)

    def validate(step: int) -> dict[str, dict[str, float]]:
        scores = {}
        blend.eval()
        up = model_upscaler(blend, tuple(2**i for i in range(1, levels + 1)) if multi_level else (config.scale,),
                            device=device, amp=False, channels_last=cl)  # float32: the exact protocol
        for ds in val_sets:
            res = evaluate(up, ds, config.scale, method=f"{name} step {step}", root=config.data_root or None,
                           progress=config.progress, limit=config.val_limit or None)
            scores[ds] = {"psnr": res.psnr, "ssim": res.ssim}
        blend.train()
        return scores

    def save(step: int, alpha: float) -> None:
        for p in net.parameters():
            if not torch.isfinite(p).all():
                raise TrainingDivergedError(
                    f"weights became non-finite by step {step}; not saved. The last good checkpoint is "
                    f"{run.latest_checkpoint()}")
        wpath, spath = run.checkpoint_paths(step)
        ck.save_weights(wpath, net.state_dict(), _metadata(config, name, kwargs, step, alpha))
        ck.save_state(spath, {
            "step": step, "optimizer": opt.state_dict(), "rng": ck.rng_state(), "config": config.to_dict(),
            "new_levels": new_levels, "init_info": init_info,
            "wall_time": prev_wall + time.perf_counter() - wall_start,
            "train_seconds": prev_train + train_seconds, "cpu_seconds": prev_cpu + cpu_seconds,
            "world_size": world})
        ck.atomic_write(run.latest_json, json.dumps(
            {"step": step, "weights": str(wpath.relative_to(out)), "state": str(spath.relative_to(out))}).encode())
        ck.prune_checkpoints(out, config.keep_checkpoints)

    # ---- loop
    blend.train()
    train_seconds = cpu_seconds = 0.0
    step_seconds: list[float] = []
    window_loss, window_n, window_t = 0.0, 0, 0.0
    scores: dict[str, dict[str, float]] = {}
    step = start
    alpha = fade_alpha_at(config, start, fading)
    last_saved = start
    bar = tqdm(total=config.steps, initial=start, desc=f"train x{config.scale}",
               disable=not (main and config.progress), leave=False)
    t_ready, c_ready = time.perf_counter(), time.process_time()
    try:
        for batch in loader:
            if stop_at is not None and step >= stop_at:
                bar.close()
                return TrainResult(out, step, "killed", model=net, step_seconds=step_seconds)
            t0 = t_ready  # the step's time includes waiting for its batch
            alpha = fade_alpha_at(config, step, fading)
            blend.set_alpha(alpha)
            lr = lr_at(config, step)
            for g in opt.param_groups:
                g["lr"] = lr
            kind = loss_kind_at(config, step)
            x = _to_float(batch["lr"], device, in_ch, cl)
            targets = [_to_float(t, device, in_ch, cl) for t in batch["targets"]]
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                outs = runner(x)
            outs = outs[-len(targets):]
            loss = x.new_zeros(())
            for o, t in zip(outs, targets):
                diff = o.float() - t
                loss = loss + (diff.abs().mean() if kind == "l1" else diff.pow(2).mean())
            loss_value = loss.detach()
            if world > 1:
                dist.all_reduce(loss_value)
                loss_value = loss_value / world
            loss_f = float(loss_value)
            if not math.isfinite(loss_f):
                bar.close()
                good = run.latest_checkpoint()
                raise TrainingDivergedError(
                    f"loss is {loss_f} at step {step + 1} ({kind.upper()}, lr {lr:.3g}); training stopped. "
                    + (f"The last good checkpoint is {good[1]} (step {good[0]}); " if good else
                       "No checkpoint was written yet; ")
                    + "lower lr, set grad_clip, or check the data.")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if config.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(net.parameters(), config.grad_clip)
            opt.step()
            step += 1
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            step_seconds.append(time.perf_counter() - t0)
            train_seconds += step_seconds[-1]
            cpu_seconds += time.process_time() - c_ready
            window_loss += loss_f
            window_n += 1
            window_t += step_seconds[-1]
            bar.update()
            last = step == config.steps
            do_val = bool(val_sets) and ((config.val_every > 0 and step % config.val_every == 0) or last)
            do_log = step % config.log_every == 0 or last or do_val
            if do_val:
                _barrier(world)
                if main:
                    scores = validate(step)
                    bar.set_postfix(psnr=f"{next(iter(scores.values()))['psnr']:.2f}")
                _barrier(world)
            if main and do_log:
                row = {"step": step, "epoch": f"{step * config.batch_size / epoch_patches:.4f}",
                       "loss": f"{window_loss / window_n:.6g}", "lr": f"{lr:.6g}",
                       "wall_time": f"{prev_wall + time.perf_counter() - wall_start:.2f}",
                       "cpu_time": f"{prev_cpu + cpu_seconds:.2f}", "loss_kind": kind,
                       "alpha": f"{alpha:.4f}", "patches_per_s": f"{window_n * config.batch_size / max(window_t, 1e-9):.1f}"}
                if do_val:
                    for i, (ds, sc) in enumerate(scores.items()):
                        suffix = "" if i == 0 else f"_{ds}"
                        row[f"psnr{suffix}"], row[f"ssim{suffix}"] = f"{sc['psnr']:.4f}", f"{sc['ssim']:.5f}"
                log.write(row)
                bar.set_postfix(loss=f"{window_loss / window_n:.4g}", **(
                    {"psnr": f"{next(iter(scores.values()))['psnr']:.2f}"} if scores else {}))
                window_loss, window_n, window_t = 0.0, 0, 0.0
            if step % config.ckpt_every == 0 or last:
                if main:
                    save(step, fade_alpha_at(config, step, fading))
                    last_saved = step
                _barrier(world)
            t_ready, c_ready = time.perf_counter(), time.process_time()
    except KeyboardInterrupt:
        if main and step > last_saved:
            save(step, fade_alpha_at(config, step, fading))
        raise
    bar.close()

    if start == config.steps and val_sets:
        # Resumed from the last step's checkpoint (e.g. killed while writing final.safetensors).
        if run.complete:
            summary = run.summary()
            return TrainResult(out, step, "completed", run.final_weights, summary.get("scores", {}),
                               summary.get("wall_time", 0.0), summary.get("train_seconds", 0.0), model=net)
        _barrier(world)
        if main:
            scores = validate(step)
        _barrier(world)
    final = None
    if main:
        final = run.final_weights
        ck.save_weights(final, net.state_dict(), _metadata(config, name, kwargs, step, 1.0 if not fading else
                                                          fade_alpha_at(config, step, fading), {"scores": scores}))
        summary = {"steps": step, "scores": scores, "wall_time": prev_wall + time.perf_counter() - wall_start,
                   "train_seconds": prev_train + train_seconds, "cpu_seconds": prev_cpu + cpu_seconds,
                   "final": final.name,
                   "steps_per_s": (step - start) / train_seconds if train_seconds else None}
        ck.atomic_write(run.summary_json, json.dumps(summary, indent=2).encode())
    _barrier(world)
    return TrainResult(out, step, "completed", final, scores, prev_wall + time.perf_counter() - wall_start,
                       prev_train + train_seconds, model=net, step_seconds=step_seconds)


def train_curriculum(config: TrainConfig, out_dir: str | Path, *, scales: tuple[int, ...] | None = None,
                     resume: bool = False, data: TrainingSet | None = None,
                     stage_overrides: dict[int, dict[str, Any]] | None = None) -> list[TrainResult]:
    """Train the stages x2, x4, ... up to ``config.scale`` into ``out_dir/x2``, ``out_dir/x4``, ...,
    each starting from the previous stage's ``final.safetensors``.

    ``stage_overrides``: per-scale config changes (e.g. ``{4: {"steps": 150}}``); a preset's
    scale-dependent values come from ``preset(name, scale)`` when ``config.profile`` names one.
    """
    from .config import PRESETS, preset

    scales = scales or tuple(2**i for i in range(1, config.scale.bit_length()))
    out_dir = Path(out_dir)
    check_run(config.replace(init=""), out_dir / f"x{scales[0]}", resume=resume)  # before the cache is built
    if data is None:
        data = TrainingSet.from_config(config)
    results = []
    prev = ""
    for s in scales:
        values = config.to_dict()
        if config.profile in PRESETS:
            # Scale-dependent preset values (e.g. steps) that the user did not override.
            base, here = preset(config.profile, config.scale).to_dict(), preset(config.profile, s).to_dict()
            for k, v in here.items():
                if values.get(k) == base.get(k) and base.get(k) != v:
                    values[k] = v
        values.update(scale=s, final_scale=config.final_scale or config.scale, init=prev,
                      **(stage_overrides or {}).get(s, {}))
        cfg = TrainConfig.from_dict(values)
        stage_dir = out_dir / f"x{s}"
        stage = RunFolder(stage_dir)
        if resume and stage.complete:
            summary = stage.summary()
            results.append(TrainResult(stage_dir, summary["steps"], "completed", stage.final_weights,
                                       summary.get("scores", {}), summary.get("wall_time", 0.0),
                                       summary.get("train_seconds", 0.0)))
        else:
            results.append(train(cfg, stage_dir, resume=resume, data=data))
        prev = str(stage.final_weights)
    return results
