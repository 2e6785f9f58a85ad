"""One curriculum stage being trained: :class:`StageTrainer`.

Built from a config and a run folder (resuming from its newest checkpoint, or starting from the
previous stage's weights), it runs ``for batch in loader: step(batch); after_step()`` and then
:meth:`~StageTrainer.finish`:

* :meth:`~StageTrainer.step`: the schedules' learning rate, loss kind and fade weight for this
  step, the forward pass, the cascade loss of equation (8) (:mod:`srlib.training.loss`), a stop on
  a non-finite loss, backward, clipping, the optimiser step;
* :meth:`~StageTrainer.after_step`: every ``log_every`` steps a ``log.csv`` row, every
  ``val_every`` steps :meth:`~StageTrainer.validate` (the exact protocol, float32), every
  ``ckpt_every`` steps :meth:`~StageTrainer.save` (weights, training state, ``latest.json``);
* :meth:`~StageTrainer.finish`: ``final.safetensors`` and ``summary.json``.

Under DDP (``world > 1``) every rank runs the loop; rank 0 (``main``) validates and writes.
:func:`srlib.training.train` sets up the device, the process group and the run lock around it.
"""
from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.nn as nn
from tqdm.auto import tqdm

from ..evaluation import evaluate
from ..inference import FadeBlend, model_upscaler
from ..models import build_model
from ..models.parameters import model_input_channels
from ..models.widen import widen_state_dict
from ..runfolder import RunFolder
from . import checkpoint as ck
from .config import RUNTIME_FIELDS, TrainConfig, config_diff
from .data import PatchBatches, TrainingSet, to_float
from .loss import cascade_loss, loss_kind_at
from .results import LOG_COLUMNS, CsvLog, TrainingDivergedError, TrainResult
from .schedule import fade_alpha_at, lr_at

__all__ = ["StageTrainer", "TrainResult", "TrainingDivergedError", "LOG_COLUMNS"]

# ------------------------------------------------------------------------------------ helpers
def barrier(world: int) -> None:
    """Wait for every rank (nothing to do in a single process)."""
    if world > 1:
        dist.barrier()


def _use_channels_last(config: TrainConfig, device: torch.device) -> bool:
    if config.channels_last == "auto":
        return device.type == "cuda" or config.channels >= 32
    return config.channels_last == "on"


# ------------------------------------------------------------------------------------ the stage
class StageTrainer:
    """Trains one stage of ``config`` into the run folder ``out`` (see the module docstring).

    Construction does everything before the first step, in this order (it fixes the random
    streams, so a resumed run continues bit for bit): the resume state, the model (seeded), the
    optimiser (and the restored RNG states), the data, the run files.
    """

    def __init__(self, config: TrainConfig, out: Path, *, resume: bool, data: TrainingSet | None,
                 device: torch.device, rank: int, world: int, wall_start: float) -> None:
        if config.batch_size % world:
            raise ValueError(f"batch_size {config.batch_size} is not divisible by the {world} processes")
        self.config, self.out, self.run = config, out, RunFolder(out)
        self.device, self.rank, self.world, self.main = device, rank, world, rank == 0
        self.wall_start = wall_start
        self.state = self._resume_state(resume)
        if self.main:
            out.mkdir(parents=True, exist_ok=True)
        self._build_model()
        self._build_optimizer()
        self._build_data(data)
        self._open_run_files()
        # what the loop updates
        self.step_index = self.last_saved = self.start
        self.alpha, self.lr, self.kind = fade_alpha_at(config, self.start, self.fading), 0.0, ""
        self.train_seconds = self.cpu_seconds = 0.0
        self.step_seconds: list[float] = []
        self.window_loss, self.window_n, self.window_t = 0.0, 0, 0.0
        if self.state is not None and "log_window" in self.state:
            loss, n, seconds = self.state["log_window"]
            self.window_loss, self.window_n, self.window_t = float(loss), int(n), float(seconds)
        self.scores: dict[str, dict[str, float]] = {}

    # ---- before the first step
    def _resume_state(self, resume: bool) -> dict | None:
        """The newest checkpoint's training state when resuming (refused if the config differs)."""
        self.latest = self.run.latest_checkpoint()
        if self.latest is not None and not resume:
            raise FileExistsError(f"{self.out} already holds checkpoints (step {self.latest[0]}): pass resume=True / "
                                  "--resume to continue that run, or choose another output directory")
        if not (resume and self.latest is not None):
            return None
        state = ck.load_state(self.latest[2])
        diff = config_diff(state["config"], self.config, RUNTIME_FIELDS)
        if diff:
            raise ck.CheckpointMismatchError(
                f"checkpoint {self.latest[2]}", diff,
                "resume with the configuration of the run (its config.json), or start a new run")
        return state

    def _build_model(self) -> None:
        """The seeded network, its weights (checkpoint, previous stage or init) and its wrappers."""
        config = self.config
        torch.manual_seed(config.seed)
        self.name, self.kwargs = config.model_spec()
        self.net = net = build_model(self.name, **self.kwargs)
        # Several supervised levels: CSRCNN's cascade, or a pyramid network (LapSRN) with the loss on all.
        self.pyramid = config.loss_levels == "all" and hasattr(net, "forward_pyramid")
        self.multi_level = self.name == "csrcnn" or self.pyramid
        self.new_levels: list[int] = []
        self.init_info: dict[str, Any] = {}
        if self.state is not None:
            weights, _ = ck.load_weights(self.latest[1])
            net.load_state_dict(weights, strict=True)
            self.new_levels = list(self.state.get("new_levels", []))
            self.init_info = dict(self.state.get("init_info", {}))
        elif config.init:
            self._load_previous_stage(Path(config.init))
        elif self.multi_level and config.curriculum == "progressive" and config.scale > 2:
            raise ValueError(
                f"a progressive-curriculum stage at x{config.scale} starts from the x{config.scale // 2} stage: give "
                "init=<previous run>/final.safetensors (--init), train all stages with --all-stages, or set "
                "curriculum='none' to train end to end")
        self.fading = bool(self.new_levels) and config.blend == "fade" and config.fade_fraction > 0
        self.channels_last = _use_channels_last(config, self.device)
        self.blend = FadeBlend(net, fade=self.fading, alpha=fade_alpha_at(config, 0, self.fading),
                               pyramid=self.pyramid).to(self.device)
        if self.channels_last:
            self.blend = self.blend.to(memory_format=torch.channels_last)
        self.in_channels = model_input_channels(net, default=3)
        self.runner: nn.Module = self.blend
        if self.world > 1:
            self.runner = nn.parallel.DistributedDataParallel(
                self.blend, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        if config.compile:
            self.runner = torch.compile(self.runner)
        self.amp = self.device.type == "cuda" and config.amp in ("auto", "bf16")

    def _load_previous_stage(self, init_path: Path) -> None:
        if init_path.is_dir():
            init_path = RunFolder(init_path).final_weights
        weights, meta = ck.load_weights(init_path)
        ck.check_init_compatible(self.config, meta, init_path)
        if self.config.init_widen:
            self.net.load_state_dict(widen_state_dict(
                weights, self.net, int(meta["model_kwargs"]["channels"]), self.config.channels), strict=True)
        elif self.multi_level and int(meta["model_kwargs"].get("scale", self.config.scale)) < self.config.scale:
            self.new_levels = self.net.load_previous_stage(weights)
        else:
            self.net.load_state_dict(weights, strict=True)
        self.init_info = {"path": str(init_path), "step": meta.get("step"), "scale": meta.get("scale")}

    def _build_optimizer(self) -> None:
        """The optimiser; when resuming, its state, the RNG states and the elapsed times."""
        config, params = self.config, self.net.parameters()
        if config.optimizer == "adam":
            self.optimizer = torch.optim.Adam(params, lr=config.lr, betas=tuple(config.adam_betas),
                                              weight_decay=config.weight_decay)
        else:
            self.optimizer = torch.optim.SGD(params, lr=config.lr, momentum=config.momentum,
                                             weight_decay=config.weight_decay)
        self.start, self.prev_wall, self.prev_train, self.prev_cpu = 0, 0.0, 0.0, 0.0
        if self.state is not None:
            self.optimizer.load_state_dict(self.state["optimizer"])
            ck.set_rng_state(self.state["rng"])
            self.start = int(self.state["step"])
            self.prev_wall = float(self.state.get("wall_time", 0.0))
            self.prev_train = float(self.state.get("train_seconds", 0.0))
            self.prev_cpu = float(self.state.get("cpu_seconds", 0.0))

    def _build_data(self, data: TrainingSet | None) -> None:
        """The training set (rank 0 builds the cache first) and the loader of steps start..steps."""
        config, world = self.config, self.world
        if data is None:
            if self.main:
                data = TrainingSet.from_config(config)
            barrier(world)
            if not self.main:
                data = TrainingSet.from_config(config, progress=False)
        self.data = data
        self.levels = config.scale.bit_length() - 1
        factors = ([2**i for i in range(1, self.levels + 1)] if (self.multi_level and config.loss_levels == "all")
                   else [config.scale])
        batches = PatchBatches(data, config.scale, config.patch_size, config.batch_size // world, config.seed,
                               self.rank, config.augment, factors, length=config.steps)
        self.loader = torch.utils.data.DataLoader(
            batches, batch_size=None, sampler=range(self.start, config.steps), num_workers=config.workers,
            pin_memory=self.device.type == "cuda", prefetch_factor=4 if config.workers else None,
            multiprocessing_context="fork" if config.workers and os.name == "posix" else None)
        self.epoch_patches = data.patches_per_epoch(config.scale, config.patch_size)

    def _open_run_files(self) -> None:
        """``config.json`` (the run's description) and ``log.csv`` (kept up to the resumed step)."""
        config = self.config
        self.val_sets = list(config.val_sets) if config.val_every != -1 else []
        columns = LOG_COLUMNS + [f"{k}_{s}" for s in self.val_sets[1:] for k in ("psnr", "ssim")]
        self.log = None
        if not self.main:
            return
        run_info = {"train_config": config.to_dict(), "model": self.name, "model_kwargs": self.kwargs,
                    "parameters": sum(p.numel() for p in self.net.parameters()), "new_levels": self.new_levels,
                    "fade": self.fading, "init": self.init_info, "world_size": self.world,
                    "device": str(self.device), "channels_last": self.channels_last, "amp_bf16": self.amp,
                    "data": self.data.description, "epoch_patches": self.epoch_patches, "torch": torch.__version__}
        ck.atomic_write(self.run.config_json, json.dumps(run_info, indent=2, default=str).encode())
        self.log = CsvLog(self.run.log_csv, columns, self.start if self.state is not None else None)

    # ---- the loop
    def train(self, stop_at: int | None = None) -> TrainResult:
        """Every remaining step, then :meth:`finish`. ``stop_at``: stop before that step without
        a checkpoint, as if killed (tests). Ctrl-C saves the steps done since the last checkpoint."""
        self.blend.train()
        self.bar = tqdm(total=self.config.steps, initial=self.start, desc=f"train x{self.config.scale}",
                        disable=not (self.main and self.config.progress), leave=False)
        t_ready, c_ready = time.perf_counter(), time.process_time()
        try:
            for batch in self.loader:
                if stop_at is not None and self.step_index >= stop_at:
                    self.bar.close()
                    return TrainResult(self.out, self.step_index, "killed", model=self.net,
                                       step_seconds=self.step_seconds)
                loss = self.step(batch)
                self._account(loss, time.perf_counter() - t_ready, time.process_time() - c_ready)
                self.after_step()
                t_ready, c_ready = time.perf_counter(), time.process_time()  # the wait for a batch counts
        except KeyboardInterrupt:
            if self.main and self.step_index > self.last_saved:
                self.save(self.step_index)
            raise
        self.bar.close()
        return self.finish()

    def step(self, batch: dict[str, Any]) -> float:
        """One optimiser step on ``batch`` (``'lr'`` patches and one ``'targets'`` entry per
        supervised level, uint8); returns the loss (mean over the ranks)."""
        config, step = self.config, self.step_index
        self.alpha = fade_alpha_at(config, step, self.fading)
        self.blend.set_alpha(self.alpha)
        self.lr = lr_at(config, step)
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr
        self.kind = loss_kind_at(config, step)
        x = to_float(batch["lr"], self.device, self.in_channels, self.channels_last)
        targets = [to_float(t, self.device, self.in_channels, self.channels_last) for t in batch["targets"]]
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp):
            outputs = self.runner(x)
        loss = cascade_loss(outputs, targets, self.kind)
        loss_value = loss.detach()
        if self.world > 1:
            dist.all_reduce(loss_value)
            loss_value = loss_value / self.world
        loss_f = float(loss_value)
        if not math.isfinite(loss_f):
            self._diverged(loss_f)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), config.grad_clip)
        self.optimizer.step()
        self.step_index += 1
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return loss_f

    def _diverged(self, loss: float) -> None:
        self.bar.close()
        good = self.run.latest_checkpoint()
        raise TrainingDivergedError(
            f"loss is {loss} at step {self.step_index + 1} ({self.kind.upper()}, lr {self.lr:.3g}); training "
            "stopped. " + (f"The last good checkpoint is {good[1]} (step {good[0]}); " if good else
                           "No checkpoint was written yet; ") + "lower lr, set grad_clip, or check the data.")

    def _account(self, loss: float, seconds: float, cpu_seconds: float) -> None:
        """Add one step's loss and times to the totals and the log window."""
        self.step_seconds.append(seconds)
        self.train_seconds += seconds
        self.cpu_seconds += cpu_seconds
        self.window_loss += loss
        self.window_n += 1
        self.window_t += seconds
        self.bar.update()

    def after_step(self) -> None:
        """Validate, log and checkpoint when this step is due (the last step always is)."""
        config, step = self.config, self.step_index
        last = step == config.steps
        do_val = bool(self.val_sets) and ((config.val_every > 0 and step % config.val_every == 0) or last)
        if do_val:
            barrier(self.world)
            if self.main:
                self.scores = self.validate()
                self.bar.set_postfix(psnr=f"{next(iter(self.scores.values()))['psnr']:.2f}")
            barrier(self.world)
        if self.main and (step % config.log_every == 0 or last or do_val):
            self._write_log_row(with_scores=do_val)
        if step % config.ckpt_every == 0 or last:
            if self.main:
                self.save(step)
                self.last_saved = step
            barrier(self.world)

    def _write_log_row(self, with_scores: bool) -> None:
        config, step, n = self.config, self.step_index, self.window_n
        row = {"step": step, "epoch": f"{step * config.batch_size / self.epoch_patches:.4f}",
               "loss": f"{self.window_loss / n:.6g}", "lr": f"{self.lr:.6g}", "wall_time": f"{self.wall_time():.2f}",
               "cpu_time": f"{self.prev_cpu + self.cpu_seconds:.2f}", "loss_kind": self.kind,
               "alpha": f"{self.alpha:.4f}", "patches_per_s": f"{n * config.batch_size / max(self.window_t, 1e-9):.1f}"}
        if with_scores:
            for i, (ds, sc) in enumerate(self.scores.items()):
                suffix = "" if i == 0 else f"_{ds}"
                row[f"psnr{suffix}"], row[f"ssim{suffix}"] = f"{sc['psnr']:.4f}", f"{sc['ssim']:.5f}"
        self.log.write(row)
        psnr = {"psnr": f"{next(iter(self.scores.values()))['psnr']:.2f}"} if self.scores else {}
        self.bar.set_postfix(loss=f"{self.window_loss / n:.4g}", **psnr)
        self.window_loss, self.window_n, self.window_t = 0.0, 0, 0.0

    def wall_time(self) -> float:
        """Seconds since the run started, over all its pieces."""
        return self.prev_wall + time.perf_counter() - self.wall_start

    # ---- validation and files
    def validate(self) -> dict[str, dict[str, float]]:
        """PSNR / SSIM on every validation set with the exact protocol (float32, no AMP)."""
        config, scores = self.config, {}
        self.blend.eval()
        scales = tuple(2**i for i in range(1, self.levels + 1)) if self.multi_level else (config.scale,)
        up = model_upscaler(self.blend, scales, device=self.device, amp=False, channels_last=self.channels_last)
        for ds in self.val_sets:
            res = evaluate(up, ds, config.scale, method=f"{self.name} step {self.step_index}",
                           root=config.data_root or None, progress=config.progress, limit=config.val_limit or None)
            scores[ds] = {"psnr": res.psnr, "ssim": res.ssim}
        self.blend.train()
        return scores

    def _metadata(self, step: int, alpha: float, extra: dict | None = None) -> dict[str, Any]:
        meta = {"model": self.name, "model_kwargs": self.kwargs, "scale": self.config.scale, "step": step,
                "fade_alpha": alpha, "train_config": self.config.to_dict()}
        meta.update(extra or {})
        return meta

    def save(self, step: int) -> None:
        """A step checkpoint (weights, training state), ``latest.json``, and pruning; refused for
        non-finite weights."""
        for p in self.net.parameters():
            if not torch.isfinite(p).all():
                raise TrainingDivergedError(
                    f"weights became non-finite by step {step}; not saved. The last good checkpoint is "
                    f"{self.run.latest_checkpoint()}")
        wpath, spath = self.run.checkpoint_paths(step)
        ck.save_weights(wpath, self.net.state_dict(), self._metadata(step, fade_alpha_at(self.config, step, self.fading)))
        ck.save_state(spath, {
            "step": step, "optimizer": self.optimizer.state_dict(), "rng": ck.rng_state(),
            "config": self.config.to_dict(), "new_levels": self.new_levels, "init_info": self.init_info,
            "wall_time": self.wall_time(), "train_seconds": self.prev_train + self.train_seconds,
            "cpu_seconds": self.prev_cpu + self.cpu_seconds, "world_size": self.world,
            # the steps since the last log row: a resumed run's first row averages them too
            "log_window": [self.window_loss, self.window_n, self.window_t]})
        ck.atomic_write(self.run.latest_json, json.dumps(
            {"step": step, "weights": str(wpath.relative_to(self.out)),
             "state": str(spath.relative_to(self.out))}).encode())
        ck.prune_checkpoints(self.out, self.config.keep_checkpoints)

    def finish(self) -> TrainResult:
        """``final.safetensors`` and ``summary.json`` (rank 0), after a last validation when the
        run was resumed at its last step (a finished run is returned as it is)."""
        step = self.step_index
        if self.start == self.config.steps and self.val_sets:
            # Resumed from the last step's checkpoint (e.g. killed while writing final.safetensors).
            if self.run.complete:
                summary = self.run.summary()
                return TrainResult(self.out, step, "completed", self.run.final_weights, summary.get("scores", {}),
                                   summary.get("wall_time", 0.0), summary.get("train_seconds", 0.0), model=self.net)
            barrier(self.world)
            if self.main:
                self.scores = self.validate()
            barrier(self.world)
        final = None
        if self.main:
            final = self.run.final_weights
            alpha = fade_alpha_at(self.config, step, self.fading)
            ck.save_weights(final, self.net.state_dict(), self._metadata(step, alpha, {"scores": self.scores}))
            summary = {"steps": step, "scores": self.scores, "wall_time": self.wall_time(),
                       "train_seconds": self.prev_train + self.train_seconds,
                       "cpu_seconds": self.prev_cpu + self.cpu_seconds, "final": final.name,
                       "steps_per_s": (step - self.start) / self.train_seconds if self.train_seconds else None}
            ck.atomic_write(self.run.summary_json, json.dumps(summary, indent=2).encode())
        barrier(self.world)
        return TrainResult(self.out, step, "completed", final, self.scores, self.wall_time(),
                           self.prev_train + self.train_seconds, model=self.net, step_seconds=self.step_seconds)
