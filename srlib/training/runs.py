"""Trainings found or run by configuration: the run behind every trained number.

* :func:`stage_config`: the training config of one run (a curriculum stage of CSRCNN or of an
  ablation variant, or an end-to-end baseline), from a preset.
* :func:`find_or_train`: reuse a finished training with the same :func:`run_key`, or run it
  now (:func:`srlib.training.train`); :func:`curriculum_run` does so for every stage of a
  curriculum in order.
* :class:`RunRecord`: a finished run (weights, log, provenance, upscaler).

The book's notebooks, the ablation and league units and torch.hub all train through here.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from ..device import describe_device, resolve_device
from ..inference import load_upscaler
from ..models import build_model
from ..provenance import Provenance
from ..repository import display_path, git_commit, resolve, slug
from ..runfolder import RunFolder, weights_fingerprint
from ..profiles import BOOK_VAL_LIMIT
from .config import RUNTIME_FIELDS, VARIANTS, TrainConfig, preset
from .engine import train

__all__ = ["STAGE_VARIANTS", "run_key", "architecture_signature", "RunRecord", "find_or_train",
           "stage_config", "curriculum_run"]

#: Variants of the curriculum notebooks and ablation tables (see :func:`stage_config`): CSRCNN's
#: (:data:`srlib.training.VARIANTS`) and Table II's FSRCNN baseline.
STAGE_VARIANTS = (*VARIANTS, "fsrcnn")


def run_key(config) -> str:
    """sha256 of what a training computes: every :class:`~srlib.training.TrainConfig` field except
    the runtime ones (device, paths, logging, ...), plus the *content* of the ``init``
    checkpoint (:func:`srlib.runfolder.weights_fingerprint`). Two configs with the same key train the same
    network the same way."""
    data = {k: v for k, v in config.to_dict().items() if k not in RUNTIME_FIELDS}
    data["architecture"] = architecture_signature(config)
    if config.init:
        data["init_sha256"] = weights_fingerprint(resolve(config.init))
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def architecture_signature(config) -> str:
    """sha256 (16 hex digits) of the network a training config builds *as the code builds it
    now*: every parameter's name and shape, and for CSRCNN its full resolved configuration
    (defaults included). A run trained before a change of the model code (e.g. a new default)
    therefore gets a different :func:`run_key` and is not reused."""
    name, kwargs = config.model_spec()
    with torch.device("meta"):
        model = build_model(name, **kwargs)
    shapes = [[k, list(v.shape)] for k, v in model.state_dict().items()]
    resolved = getattr(getattr(model, "config", None), "to_dict", lambda: {})()
    blob = json.dumps([name, shapes, resolved], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass
class RunRecord:
    """A finished training run (one curriculum stage or one baseline) in ``out_dir``."""

    label: str
    out_dir: Path
    config: Any  # srlib.training.TrainConfig
    reused: bool

    @property
    def weights(self) -> Path:
        return self.out_dir / "final.safetensors"

    @property
    def summary(self) -> dict:
        return json.loads((self.out_dir / "summary.json").read_text())

    @property
    def info(self) -> dict:
        """The engine's ``config.json`` (train config, model, parameters, device, data, ...)."""
        path = self.out_dir / "config.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    @property
    def book(self) -> dict:
        """What :func:`find_or_train` recorded (commit, device description, dates)."""
        path = self.out_dir / "book_run.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    def log(self) -> pd.DataFrame:
        """The training log (``log.csv``: step, epoch, loss, lr, psnr, ssim, wall_time, ...)."""
        return pd.read_csv(self.out_dir / "log.csv")

    def training_images(self) -> int | None:
        sets = self.info.get("data", {}).get("sets", [])
        counts = [e.get("images") for e in sets if isinstance(e, dict)]
        return sum(counts) if counts and all(isinstance(c, int) for c in counts) else None

    def curriculum_chain(self) -> list["RunRecord"]:
        """The earlier curriculum stages this run started from, then this run, first stage first
        (followed through each run's recorded ``init`` checkpoint while it lies in a finished run
        folder)."""
        chain, seen = [self], {self.out_dir.resolve()}
        init = self.info.get("init") or {}
        while init.get("path"):
            folder = resolve(init["path"]).parent
            if folder.resolve() in seen or not RunFolder(folder).complete or not (folder / "config.json").is_file():
                break
            seen.add(folder.resolve())
            info = json.loads((folder / "config.json").read_text())
            chain.insert(0, RunRecord(folder.name, folder, TrainConfig.from_dict(info["train_config"]), reused=True))
            init = info.get("init") or {}
        return chain

    def curriculum_steps(self) -> int:
        """This run's steps plus those of the earlier stages it started from
        (:meth:`curriculum_chain`)."""
        return sum(int(run.summary.get("steps") or 0) for run in self.curriculum_chain())

    def provenance(self, what: str | None = None) -> Provenance:
        book = self.book
        steps = self.summary.get("steps")
        extra: dict[str, Any] = {}
        total = self.curriculum_steps()
        if steps is not None and total != steps:
            extra["curriculum steps"] = f"{total} (with the earlier stages)"
        extra["run"] = display_path(self.out_dir)
        if self.reused:
            extra["reused"] = "yes"
        return Provenance(what or self.label, profile=self.config.profile, steps=steps,
                          training_images=self.training_images(),
                          device=book.get("device") or self.info.get("device", ""),
                          commit=book.get("commit", "unknown"), wall_s=self.summary.get("wall_time"), extra=extra)

    def upscaler(self, scale: int | None = None, device: str = "auto"):
        """``(lr uint8, scale) -> sr uint8`` of this run's final weights (any level of a cascade)."""
        return load_upscaler(self.weights, scale=scale, device=device)[0]

    def parameters(self) -> int | None:
        return self.info.get("parameters")


def find_or_train(config, *, label: str, runs_dir: Path | str = "runs", retrain: bool = False) -> RunRecord:
    """The finished run of ``config``, reused when one exists, else trained now.

    Runs live in ``<runs_dir>/<profile>/<label>-<key>`` where ``key`` is :func:`run_key` (12 hex
    digits): a folder is reused when its run finished (``summary.json`` and
    ``final.safetensors``); an unfinished one (killed) is resumed by the engine. ``retrain``
    deletes nothing but trains into a fresh sibling folder. ``book_run.json`` records the git
    commit and device of the training.
    """
    key = run_key(config)
    base = resolve(runs_dir) / config.profile
    out = base / f"{slug(label)}-{key[:12]}"
    if retrain and out.exists():
        n = 2
        while (base / f"{out.name}.{n}").exists():
            n += 1
        out = base / f"{out.name}.{n}"
    if RunFolder(out).complete and not retrain:
        return RunRecord(label, out, config, reused=True)
    resume = (out / "latest.json").is_file()
    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    commit = git_commit()
    train(config, out, resume=resume)
    record = {"label": label, "key": key, "commit": commit, "started": started,
              "finished": time.strftime("%Y-%m-%dT%H:%M:%S"), "resumed": resume,
              "device": describe_device(resolve_device(config.device))}
    (out / "book_run.json").write_text(json.dumps(record, indent=2))
    return RunRecord(label, out, config, reused=False)


def stage_config(preset_name: str, scale: int, variant: str = "full", *, init: str = "", final_scale: int = 0,
                 stage_steps: dict[int, int] | None = None, **overrides):
    """The training config of one run of the book, from training preset ``preset_name``
    (``overrides`` may set another ``profile`` label, e.g. an ablation budget's).

    ``variant``: ``'full'`` (the paper's model), ``'model1'`` (symmetric; needs ``final_scale``),
    ``'model3'`` / ``'tu'`` (T-U blocks), ``'model2'`` (the full model end to end at ``scale``,
    no curriculum, with as many steps as the whole curriculum up to ``scale``) or ``'fsrcnn'``
    (Table II's baseline, trained directly at ``scale``, same step budget as ``'model2'``).
    ``stage_steps`` (``{2: 150, 4: 60}``) replaces the profile's steps per stage; an end-to-end
    variant gets their sum up to ``scale``.
    """
    if variant not in STAGE_VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {STAGE_VARIANTS}")
    if variant in ("model2", "fsrcnn"):
        per_stage = {int(k): int(v) for k, v in (stage_steps or {}).items()}
        steps = sum(per_stage.get(s, preset(preset_name, s).steps) for s in (2, 4, 8) if s <= scale)
        extra: dict[str, Any] = {"steps": steps, "curriculum": "none", "blend": "stack"}
        if variant == "model2":
            extra["variant"] = "model2"
        else:
            extra["model"] = "fsrcnn"
        return _with_validation(preset(preset_name, scale, **{**extra, **overrides}))
    values: dict[str, Any] = {"variant": variant, "init": init}
    if stage_steps and int(scale) in {int(k) for k in stage_steps}:
        values["steps"] = int({int(k): v for k, v in stage_steps.items()}[int(scale)])
    if variant == "model1":
        values["final_scale"] = final_scale or scale
    return _with_validation(preset(preset_name, scale, **{**values, **overrides}))


def _with_validation(config):
    """The book draws convergence curves (Figure 5) from the logs, so every run validates four
    times on the first :data:`srlib.profiles.BOOK_VAL_LIMIT` images of its first validation set, where the
    profile itself would validate only at the end. ``val_every`` and ``val_limit`` are runtime
    fields: they do not change what is trained (nor the run's key)."""
    if config.val_every == 0:
        config = config.replace(val_every=max(1, config.steps // 4),
                                val_limit=config.val_limit or BOOK_VAL_LIMIT)
    return config


def curriculum_run(preset_name: str, scale: int, variant: str = "full", *, runs_dir: Path | str = "runs",
                   final_scale: int = 0, retrain: bool = False, name: str | None = None,
                   stage_steps: dict[int, int] | None = None, **overrides) -> RunRecord:
    """The run of curriculum stage ``scale`` of ``variant``, with every earlier stage found or
    trained first (x2, then x4 from x2, then x8 from x4). ``model2`` / ``fsrcnn`` have no
    stages: they are trained directly (see :func:`stage_config`).

    Args:
        name: label of the runs' folders (default: the variant), e.g. a Table IV notation.
        stage_steps: per-scale ``steps`` (e.g. ``{2: 100, 4: 60}``), else the profile's.
        overrides: TrainConfig fields for every stage (e.g. ``notation=``, ``device=``).
    """
    final_scale = final_scale or scale
    label = f"{slug(name or variant)}-x{scale}" + (f"-of-x{final_scale}" if variant == "model1" else "")
    if variant in ("model2", "fsrcnn") or scale == 2:
        config = stage_config(preset_name, scale, variant, final_scale=final_scale, stage_steps=stage_steps, **overrides)
        return find_or_train(config, label=label, runs_dir=runs_dir, retrain=retrain)
    previous = curriculum_run(preset_name, scale // 2, variant, runs_dir=runs_dir, final_scale=final_scale, name=name,
                              stage_steps=stage_steps, **overrides)
    config = stage_config(preset_name, scale, variant, init=str(previous.weights), final_scale=final_scale,
                          stage_steps=stage_steps, **overrides)
    return find_or_train(config, label=label, runs_dir=runs_dir, retrain=retrain)
