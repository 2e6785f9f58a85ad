"""Training a campaign stage: the ``campaign`` profile and
:func:`run`, one piece of a stage (restored from the committed state, recorded in ``pieces.json``)."""
from __future__ import annotations

import json
import platform
from pathlib import Path


from ..device import describe_device
from ..repository import git_commit
from ..runfolder import RunFolder
from ..training import TrainConfig, preset, train
from ..training import checkpoint as ck
from ..training.flops import training_flops_per_step  # noqa: F401 (campaign.training_flops_per_step)
from ..provenance import now_utc
from .state import RESULTS_ROOT, RUNS_ROOT, check_stage_name, complete_step, read_pieces, restore, state_dir

__all__ = ["campaign_config", "run"]


def campaign_config(scale: int, init: str = "", **overrides) -> TrainConfig:
    """The ``campaign`` profile at ``scale`` (``init``: the previous stage's fp32 weights).

    Overriding ``steps`` also rescales what the profile ties to the stage's length (the loss
    alternation and the validation interval, 5 % of the steps) unless they are given too
    (:func:`srlib.training.preset` does so for the ``campaign`` profile)."""
    return preset("campaign", scale, init=init, **overrides)


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
    if complete_step(live) is not None:
        raise ValueError(f"campaign stage {name!r} is complete ({complete_step(live)} steps): publish it, or start "
                         f"the next stage with --init {results / name / 'state' / 'final.safetensors'}")
    latest = RunFolder(live).latest_checkpoint()
    if latest is not None:
        config = TrainConfig.load(live / "config.json").replace(threads=threads)
    elif config is None:
        raise ValueError(f"campaign stage {name!r} has no checkpoint and no committed state: give a config "
                         "(the CLI: --scale, and --init for a stage after x2)")
    piece = {"started_utc": now_utc(), "start_step": latest[0] if latest else 0,
             "restored_from_commit": restored is not None, "commit": git_commit(),
             "device": describe_device("cpu"), "threads": threads, "host": platform.node()}

    def record_piece() -> None:  # called by the engine while this process holds the run's lock
        pieces = read_pieces(live, state_dir(name, results))
        pieces.append({"piece": len(pieces) + 1, **piece})
        ck.atomic_write(live / "pieces.json", json.dumps(pieces, indent=2).encode())

    return train(config, live, resume=latest is not None, data=data, stop_at=stop_at, on_start=record_piece)
