"""A training run's folder (its files, whether it finished, its metadata and fingerprint) and the
one reader of safetensors headers.

The training engine writes, and everything else reads, this layout::

    <run>/config.json                             the run's TrainConfig (+ resolved model, data, device)
    <run>/log.csv                                 one row per log step (engine.LOG_COLUMNS)
    <run>/checkpoints/step_00000500.safetensors   weights + metadata (header)
    <run>/checkpoints/step_00000500.state.pt      optimiser, RNG states, step, config
    <run>/latest.json                             {"step": 500, "weights": ..., "state": ...}
    <run>/final.safetensors                       the trained model (--init / evaluate / upscale)
    <run>/summary.json                            final scores and timings

A run is *complete* when it has both ``final.safetensors`` and ``summary.json`` (the engine writes
the summary last). A weights file's header metadata is JSON values stored as strings: the model's
registry name and keyword arguments, scale, step, fade weight and the training config.

Of srlib it imports only :mod:`srlib.errors` and :mod:`srlib.data.fetch` (never models or training).
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open

from .data.fetch import file_sha256
from .errors import CheckpointFormatError

__all__ = ["RunFolder", "decode_metadata", "read_safetensors", "read_metadata", "stored_parameters",
           "weights_fingerprint", "CHECKPOINT_ADVICE"]

CHECKPOINT_ADVICE = ("give a .safetensors file written by srlib (a run's final.safetensors or "
                     "checkpoints/step_*.safetensors); if it was copied or downloaded, copy it again")
_STEP_RE = re.compile(r"step_(\d+)\.safetensors$")


# ------------------------------------------------------------------------------ safetensors files
def decode_metadata(raw: dict[str, str] | None) -> dict[str, Any]:
    """A safetensors header's metadata (all strings) with JSON values decoded; a value that is
    not JSON stays the string it is."""
    out: dict[str, Any] = {}
    for k, v in (raw or {}).items():
        try:
            out[k] = json.loads(v)
        except (json.JSONDecodeError, TypeError):
            out[k] = v
    return out


def read_safetensors(path: str | Path, tensors: bool = True, device: str = "cpu"
                     ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """``(tensors, decoded metadata)`` of a safetensors file (``tensors=False``: the header only).

    Raises:
        FileNotFoundError: no such file.
        CheckpointFormatError: truncated, not safetensors, or unreadable; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}" + (" (it is a folder)" if path.is_dir() else ""))
    try:
        with safe_open(str(path), framework="pt", device=device) as fh:
            meta = decode_metadata(fh.metadata())
            state = {k: fh.get_tensor(k) for k in fh.keys()} if tensors else {}
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise CheckpointFormatError(path, "safetensors checkpoint", f"{type(err).__name__}: {err}",
                                    CHECKPOINT_ADVICE) from err
    return state, meta


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The header metadata of a weights file, JSON values decoded (errors: :func:`read_safetensors`)."""
    return read_safetensors(path, tensors=False)[1]


def stored_parameters(path: str | Path) -> int:
    """Number of values in a weights file's tensors (its model's parameters and buffers), read from
    the header without loading them (errors: :func:`read_safetensors`)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        with safe_open(str(path), framework="pt") as fh:
            return int(sum(math.prod(fh.get_slice(k).get_shape()) for k in fh.keys()))
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise CheckpointFormatError(path, "safetensors checkpoint", f"{type(err).__name__}: {err}",
                                    CHECKPOINT_ADVICE) from err


def weights_fingerprint(path: str | Path) -> str:
    """Hex sha256 of what a checkpoint holds, for cache and run keys.

    For a ``.safetensors`` file the JSON header is hashed canonically (keys sorted), then the
    tensor bytes: the safetensors library writes a checkpoint's metadata in a varying order, so
    two files with equal tensors and equal metadata can differ byte for byte (measured: the same
    x2 stage trained twice gave identical weights but different files, and its x4 stage was then
    not reused). Any other file: the sha256 of its bytes."""
    p = Path(path)
    if p.suffix != ".safetensors":
        return file_sha256(p)
    size = p.stat().st_size
    with open(p, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        if n <= 0 or n > size - 8:
            raise ValueError(f"{p} is not a safetensors file (header length {n} for a {size}-byte file)")
        try:
            header = json.loads(f.read(n))
        except ValueError as exc:
            raise ValueError(f"{p} is not a safetensors file (unreadable header: {exc})") from None
        h = hashlib.sha256(json.dumps(header, sort_keys=True).encode())
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ------------------------------------------------------------------------------ the run folder
@dataclass(frozen=True)
class RunFolder:
    """The files of one training run (one curriculum stage) in ``path``; see the module docstring.

    Nothing is read or created on construction; the methods read the folder as it is now.
    """

    path: Path

    def __init__(self, path: str | Path) -> None:
        object.__setattr__(self, "path", Path(path))

    # ---- paths
    @property
    def config_json(self) -> Path:
        return self.path / "config.json"

    @property
    def log_csv(self) -> Path:
        return self.path / "log.csv"

    @property
    def latest_json(self) -> Path:
        return self.path / "latest.json"

    @property
    def summary_json(self) -> Path:
        return self.path / "summary.json"

    @property
    def final_weights(self) -> Path:
        return self.path / "final.safetensors"

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    def checkpoint_paths(self, step: int) -> tuple[Path, Path]:
        """``(weights, state)`` paths of the step checkpoint of ``step``."""
        base = self.checkpoints_dir
        return base / f"step_{step:08d}.safetensors", base / f"step_{step:08d}.state.pt"

    # ---- what is there
    @property
    def complete(self) -> bool:
        """The run finished: ``final.safetensors`` and ``summary.json`` are both there."""
        return self.summary_json.is_file() and self.final_weights.is_file()

    def step_weights(self) -> list[tuple[int, Path]]:
        """``(step, weights)`` of every step checkpoint's weights file, oldest first."""
        if not self.checkpoints_dir.is_dir():
            return []
        found = [(int(m.group(1)), p) for p in self.checkpoints_dir.glob("step_*.safetensors")
                 if (m := _STEP_RE.search(p.name))]
        return sorted(found)

    def latest_checkpoint(self) -> tuple[int, Path, Path] | None:
        """``(step, weights, state)`` of the newest complete checkpoint, or ``None``.

        Reads ``latest.json``; if it is missing or points at missing files, the highest step
        of ``checkpoints/`` with both files."""
        if self.latest_json.is_file():
            try:
                info = json.loads(self.latest_json.read_text())
                w, s = self.path / info["weights"], self.path / info["state"]
                if w.is_file() and s.is_file():
                    return int(info["step"]), w, s
            except (json.JSONDecodeError, KeyError, ValueError):
                pass
        for step, _ in reversed(self.step_weights()):
            w, s = self.checkpoint_paths(step)
            if s.is_file():
                return step, w, s
        return None

    def weights(self) -> Path:
        """The run's model: ``final.safetensors``, else the newest step checkpoint's weights.

        Raises:
            FileNotFoundError: the folder holds neither.
        """
        if self.final_weights.is_file():
            return self.final_weights
        steps = self.step_weights()
        if not steps:
            raise FileNotFoundError(f"{self.path} holds no final.safetensors and no checkpoints/step_*.safetensors")
        return steps[-1][1]

    # ---- contents
    def summary(self) -> dict[str, Any]:
        """``summary.json`` (final scores, steps, timings) of a complete run."""
        return json.loads(self.summary_json.read_text())

    def info(self) -> dict[str, Any]:
        """``config.json`` (train config, model, parameters, device, data, ...); ``{}`` when absent."""
        return json.loads(self.config_json.read_text()) if self.config_json.is_file() else {}

    def metadata(self) -> dict[str, Any]:
        """Header metadata of :meth:`weights`."""
        return read_metadata(self.weights())

    def fingerprint(self) -> str:
        """:func:`weights_fingerprint` of :meth:`weights`."""
        return weights_fingerprint(self.weights())
