"""The training engine: one curriculum stage per call of :func:`train`, and
:func:`train_curriculum` for x2 -> x4 -> x8 in one go.

What a step does: take the batch of this step (a function of seed, rank and step, see
:mod:`srlib.training.data`), run the model (a :class:`~srlib.inference.FadeBlend` around it, so
a new level fades in from the bicubic-upsampled previous level), take the cascade loss of
equation (8) (:mod:`srlib.training.loss`: L1 or L2 by the schedule, at the final output or summed
over the levels), step the optimiser with the learning rate of the schedule
(:mod:`srlib.training.schedule`). Every ``log_every`` steps a CSV row; every ``val_every`` steps
the benchmarks with the exact protocol (:func:`srlib.evaluation.evaluate`); every ``ckpt_every``
steps an atomic checkpoint. A non-finite loss (or weights) stops the run with
:class:`TrainingDivergedError`, leaving the last good checkpoint in place. The loop itself is
:class:`srlib.training.loop.StageTrainer`; this module sets up the device, the process group, the
run lock and the checks before the first step around it.

Under ``torchrun`` (``WORLD_SIZE > 1``) the model is wrapped in ``DistributedDataParallel``
(NCCL on CUDA, gloo on CPU); ``batch_size`` is the global batch, split over the ranks; rank 0
validates, logs and writes checkpoints.
"""
from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any, Callable

import torch
import torch.distributed as dist

from ..device import resolve_device
from ..runfolder import RunFolder
from .config import PRESETS, TrainConfig, preset
from .data import TrainingSet
from .lock import RunLock
from .loop import LOG_COLUMNS, StageTrainer, TrainingDivergedError, TrainResult
from .loss import loss_kind_at
from .preflight import check_run
from .schedule import fade_alpha_at, lr_at

__all__ = ["train", "train_curriculum", "TrainResult", "TrainingDivergedError", "lr_at", "loss_kind_at",
           "fade_alpha_at", "LOG_COLUMNS"]


# ------------------------------------------------------------------------------------ processes
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


# ------------------------------------------------------------------------------------ train
def train(config: TrainConfig, out_dir: str | Path, *, resume: bool = False, data: TrainingSet | None = None,
          stop_at: int | None = None, on_start: Callable[[], None] | None = None) -> TrainResult:
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
        on_start: called once the run's lock is held and the checks have passed, before any step
            (e.g. to record a working period: a process that is refused writes nothing).

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
            check_run(config, Path(out_dir), resume=resume, writer=rank == 0, locked=rank == 0,
                      have_data=data is not None)
            if on_start is not None and rank == 0:
                on_start()
            trainer = StageTrainer(config, Path(out_dir), resume=resume, data=data, device=device, rank=rank,
                                   world=world, wall_start=wall_start)
            return trainer.train(stop_at)
    finally:
        if created_pg and dist.is_initialized():
            dist.destroy_process_group()
        if config.threads:
            torch.set_num_threads(prev_threads)


def train_curriculum(config: TrainConfig, out_dir: str | Path, *, scales: tuple[int, ...] | None = None,
                     resume: bool = False, data: TrainingSet | None = None,
                     stage_overrides: dict[int, dict[str, Any]] | None = None) -> list[TrainResult]:
    """Train the stages x2, x4, ... up to ``config.scale`` into ``out_dir/x2``, ``out_dir/x4``, ...,
    each starting from the previous stage's ``final.safetensors``.

    ``stage_overrides``: per-scale config changes (e.g. ``{4: {"steps": 150}}``); a preset's
    scale-dependent values come from ``preset(name, scale)`` when ``config.profile`` names one.
    """
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
