"""One training stage inside a fixed wall-clock window (``scripts/gpu_stage.py`` on a lent GPU):
the config overrides given as ``FIELD=VALUE``, a watchdog that stops the engine at the deadline
(it then checkpoints the current step), the stage's steps sized from a speed probe, and the size
of what travels to the machine."""
from __future__ import annotations

import _thread
import json
import statistics
import subprocess
import threading
import time
from dataclasses import fields
from pathlib import Path

from .errors import InvalidValueError
from .repository import REPO_ROOT

__all__ = ["config_overrides", "Watchdog", "probe_steps", "tree_bytes", "travelling_code_bytes"]


def config_overrides(items: list[str]) -> dict:
    """``['steps=400', 'lr=1e-4']`` -> ``{'steps': 400, 'lr': 0.0001}``, typed by
    :class:`~srlib.training.TrainConfig`'s fields (tuples as ``a,b``: the config splits them);
    an unknown field is an :class:`~srlib.errors.InvalidValueError` naming it."""
    import typing

    from .training import TrainConfig

    hints = typing.get_type_hints(TrainConfig)
    names = {f.name for f in fields(TrainConfig)}
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if key not in names:
            raise InvalidValueError(f"--set {item}: unknown config field {key!r}")
        tp = hints[key]
        if tp is bool:
            out[key] = value.lower() in ("1", "true", "yes", "on")
        elif tp is int:
            out[key] = int(value)
        elif tp is float:
            out[key] = float(value)
        elif tp is dict:
            out[key] = json.loads(value)
        else:
            out[key] = value
    return out


class Watchdog:
    """Interrupts the main thread (KeyboardInterrupt) at ``deadline`` (monotonic seconds); the
    engine answers it as it answers Ctrl-C, with a checkpoint of the current step."""

    def __init__(self, deadline: float, started: float | None = None):
        self.fired = False
        self.started = time.monotonic() if started is None else started
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        print(f"[gpu_stage] watchdog: wall-clock budget reached at {time.monotonic() - self.started:.0f} s; "
              "interrupting (the engine checkpoints the current step)", flush=True)
        _thread.interrupt_main()

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()
        return False


def probe_steps(config, deadline: float, *, probe: int, reserve_s: float, margin: float, cap: int,
                started: float | None = None) -> dict:
    """Train ``config`` for ``probe`` steps in a temporary folder (which also builds the data
    cache) and size the stage to the time left: ``{'steps_chosen': ..., 's_per_step_median',
    'fixed_costs_s', ...}`` (what the provenance records as the speed probe). The steps fit what
    is left before ``deadline`` after the measured fixed costs and ``reserve_s``, with ``margin``
    on the step time, between 1 and ``cap``."""
    import tempfile

    from .training import train

    with tempfile.TemporaryDirectory(prefix="gpu_stage_probe_") as tmp:
        pcfg = config.replace(steps=probe, ckpt_every=probe, log_every=probe)
        t0 = time.monotonic()
        with Watchdog(deadline - reserve_s, started):
            res = train(pcfg, Path(tmp) / "probe")
        wall = time.monotonic() - t0
    warm = min(len(res.step_seconds) - 1, max(1, probe // 5))
    s_step = statistics.median(res.step_seconds[warm:])
    fixed = max(0.0, wall - sum(res.step_seconds))  # data load, model build, validation, save
    left = deadline - time.monotonic() - fixed - reserve_s
    steps = max(1, min(cap, int(left / (s_step * (1.0 + margin)))))
    return {"steps": probe, "s_per_step_median": s_step, "first_step_s": res.step_seconds[0], "wall_s": wall,
            "fixed_costs_s": fixed, "seconds_left_for_steps": left, "steps_cap": cap, "steps_chosen": steps,
            "probe_psnr": res.scores, "steps_measured": len(res.step_seconds) - warm}


def tree_bytes(paths: list[Path]) -> int:
    """Bytes of the files at ``paths`` (folders: every file inside)."""
    total = 0
    for p in paths:
        if p.is_file():
            total += p.stat().st_size
        elif p.is_dir():
            total += sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
    return total


def travelling_code_bytes(repo: Path = REPO_ROOT) -> int:
    """Tracked + untracked-not-ignored files: what travels besides the carried paths."""
    try:
        names = subprocess.run(["git", "-C", str(repo), "ls-files", "-z", "--cached", "--others",
                                "--exclude-standard"], capture_output=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum((repo / n).stat().st_size for n in names.decode().split("\0") if n and (repo / n).is_file())
