"""Checkpoints: weights as safetensors (with the configuration in the header), the training state
(optimiser, RNG, step) as a ``torch.save`` file that loads with ``weights_only=True``, both
written atomically (temporary file, fsync, rename), and the "which one is the latest" pointer.

The run folder's layout, which checkpoint is the latest and the safetensors reader belong to
:class:`srlib.runfolder.RunFolder`; the functions here that take a ``run_dir`` delegate to it.
"""
from __future__ import annotations

import io
import json
import os
import random
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save as st_save

from .. import __version__
from ..errors import CheckpointFormatError
from ..files import atomic_write  # re-exported: the engine's files are written with it
from ..runfolder import RunFolder, read_metadata, read_safetensors  # read_metadata: re-exported

__all__ = ["FORMAT", "CheckpointMismatchError", "atomic_write", "save_weights", "canonical_safetensors", "load_weights", "read_metadata",
           "save_state", "load_state", "rng_state", "set_rng_state", "latest_checkpoint", "checkpoint_paths",
           "prune_checkpoints", "remove_stray_temporaries"]

FORMAT = "srlib-checkpoint-1"
_TMP_RE = re.compile(r"\..+\.[0-9a-f]{8}\.tmp")


class CheckpointMismatchError(ValueError):
    """A checkpoint made with a different configuration; the message names every differing field."""

    def __init__(self, what: str, diff: dict[str, tuple[Any, Any]], hint: str = ""):
        self.diff = diff
        lines = [f"  {k}: {a!r} in the checkpoint, {b!r} now" for k, (a, b) in diff.items()]
        super().__init__(f"{what} was made with a different configuration ({len(diff)} field(s) differ):\n"
                         + "\n".join(lines) + (f"\n{hint}" if hint else ""))


def remove_stray_temporaries(run_dir: str | Path) -> list[Path]:
    """Delete the temporary files :func:`atomic_write` leaves when its process is killed mid-write
    (``.<name>.<hex>.tmp`` in the run folder and its ``checkpoints/``). Call it only while holding
    the run's lock (:class:`srlib.training.lock.RunLock`): then no other writer can own them."""
    run_dir = Path(run_dir)
    removed = []
    for folder in (run_dir, run_dir / "checkpoints"):
        for p in folder.glob(".*.tmp") if folder.is_dir() else []:
            if _TMP_RE.fullmatch(p.name):
                p.unlink(missing_ok=True)
                removed.append(p)
    return removed


def save_weights(path: str | Path, state_dict: dict[str, torch.Tensor], metadata: dict[str, Any]) -> Path:
    """Save a state dict as safetensors; ``metadata`` values are stored as JSON strings (str kept).

    The same tensors and metadata give the same bytes (:func:`canonical_safetensors`), so a file's
    sha256 names its content whichever process wrote it."""
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in state_dict.items()}
    meta = {"format": FORMAT, "srlib_version": __version__}
    for k, v in metadata.items():
        meta[k] = v if isinstance(v, str) else json.dumps(v, sort_keys=True)
    return atomic_write(path, canonical_safetensors(st_save(tensors, metadata=meta)))


def canonical_safetensors(blob: bytes) -> bytes:
    """``blob`` (a safetensors file) with its JSON header's keys sorted: the library writes the
    ``__metadata__`` map in an order that varies from process to process. The tensor data and its
    offsets (relative to the end of the header) are unchanged; the header is padded with spaces to
    a multiple of 8 bytes, as the format asks."""
    (size,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + size])
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + blob[8 + size:]


def load_weights(path: str | Path, device: str | torch.device = "cpu") -> tuple[dict[str, torch.Tensor], dict]:
    """``(state_dict, metadata)`` of a weights file."""
    return read_safetensors(path, device=str(device))


def save_state(path: str | Path, state: dict[str, Any]) -> Path:
    buf = io.BytesIO()
    torch.save(state, buf)
    return atomic_write(path, buf.getvalue())


def load_state(path: str | Path) -> dict[str, Any]:
    """Training state, loaded with ``weights_only=True`` (tensors and plain containers only)."""
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as err:  # torch raises RuntimeError, UnpicklingError, EOFError, zipfile errors...
        raise CheckpointFormatError(path, "training state", f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}",
                                    "delete this checkpoint pair (step_*.safetensors and .state.pt) to resume from "
                                    "the previous one, or start a new run") from err
    if not isinstance(state, dict) or "step" not in state:
        raise CheckpointFormatError(path, "training state", "it holds no training step",
                                    "delete this checkpoint pair to resume from the previous one")
    return state


def rng_state() -> dict[str, Any]:
    """Python, numpy and torch (CPU and CUDA) RNG states as tensors and plain values."""
    py = random.getstate()
    np_state = np.random.get_state()
    state = {
        "python": [py[0], list(py[1]), py[2]],
        "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), int(np_state[2]), int(np_state[3]),
                  float(np_state[4])],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    npst = state["numpy"]
    np.random.set_state((npst[0], npst[1].numpy().astype(np.uint32), npst[2], npst[3], npst[4]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def checkpoint_paths(run_dir: str | Path, step: int) -> tuple[Path, Path]:
    """``(weights, state)`` paths of the step checkpoint of ``step`` (see :class:`RunFolder`)."""
    return RunFolder(run_dir).checkpoint_paths(step)


def latest_checkpoint(run_dir: str | Path) -> tuple[int, Path, Path] | None:
    """``(step, weights, state)`` of the newest complete checkpoint of a run, or ``None``
    (:meth:`RunFolder.latest_checkpoint`)."""
    return RunFolder(run_dir).latest_checkpoint()


def prune_checkpoints(run_dir: str | Path, keep: int) -> None:
    """Delete all but the ``keep`` newest step checkpoints."""
    run = RunFolder(run_dir)
    steps = [step for step, _ in run.step_weights()]
    for step in steps[:-keep] if keep > 0 else []:
        for p in run.checkpoint_paths(step):
            if p.exists():
                p.unlink()


_ARCH_IGNORE = {"scale", "blocks_per_level", "hr_blocks", "init"}  # init: only the new levels


def check_init_compatible(config, meta: dict, path: Path) -> None:
    """The previous stage must have the same architecture apart from the levels it lacks."""
    name, kwargs = config.model_spec()
    if meta.get("model") != name:
        raise CheckpointMismatchError(f"init checkpoint {path}", {"model": (meta.get("model"), name)})
    theirs = dict(meta.get("model_kwargs") or {})
    diff = {}
    if config.init_widen:
        narrower = int(theirs.get("channels", 0)) < int(kwargs.get("channels", 0))
        if not narrower or int(theirs.get("scale", 0)) != config.scale:
            diff["channels, scale (init_widen: a narrower checkpoint of this stage)"] = (
                (theirs.get("channels"), theirs.get("scale")), (kwargs.get("channels"), config.scale))
    for key in sorted(set(theirs) | set(kwargs)):
        if key in _ARCH_IGNORE or (config.init_widen and key == "channels"):
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
        raise CheckpointMismatchError(f"init checkpoint {path}", diff,
                                         "a stage starts from the previous stage of the same architecture")
