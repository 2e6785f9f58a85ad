"""Where a campaign stage lives, and its state between pieces: a stage is trained in pieces of a
few hours; between pieces the machine is not kept, so the state a piece ends with is committed to
the repository and the next piece resumes from it, exactly::

    runs/campaign/<name>/            the live run folder (git-ignored; the engine's layout)
    results/campaign/<name>/state/   what a later piece resumes from (committed):
        step_N.safetensors           fp32 weights of the newest checkpoint
        step_N.state.pt              optimiser moments, RNG states, step, config (weights_only)
        latest.json, config.json, log.csv, pieces.json (one entry per piece)

The optimiser state is kept (Adam's two moments: twice the weights) because dropping it would
make a resumed run differ from an uninterrupted one; with the campaign's model sizes the state
is a few MiB.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from ..errors import InvalidValueError
from ..provenance import now_utc
from ..repository import resolve
from ..runfolder import RunFolder
from ..training import checkpoint as ck

__all__ = ["RESULTS_ROOT", "RUNS_ROOT", "check_stage_name", "restore", "save", "complete_step", "read_pieces",
           "state_dir"]

RESULTS_ROOT = resolve("results/campaign")  # against the repository root, whatever the working directory
RUNS_ROOT = resolve("runs/campaign")
_STATE_FILES = ("latest.json", "config.json", "log.csv")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def check_stage_name(name: str) -> str:
    """``name`` if it is a plain folder name (letters, digits, ``.``, ``_``, ``-``; not starting
    with a dot); else :class:`~srlib.errors.InvalidValueError`: an empty or path-like name would
    train or publish into the campaign's own folder, or outside it."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidValueError(f"campaign stage name {name!r}: give a plain folder name such as x2 or x4-w64 "
                                "(letters, digits, '.', '_', '-'; no path, not empty)")
    return name




def state_dir(name: str, results: Path) -> Path:
    return results / name / "state"


def restore(name: str, *, results: Path = RESULTS_ROOT, runs: Path = RUNS_ROOT) -> Path | None:
    """Copy the committed state of ``name`` into its live run folder when that folder holds no
    checkpoint yet; return the restored step checkpoint (``None``: nothing to restore)."""
    live, state = runs / check_stage_name(name), state_dir(name, results)
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


def complete_step(live: Path) -> int | None:
    """The step of a finished stage (:attr:`srlib.runfolder.RunFolder.complete`), else None."""
    folder = RunFolder(live)
    if folder.complete:
        return int(folder.summary()["steps"])
    return None


def save(name: str, *, results: Path = RESULTS_ROOT, runs: Path = RUNS_ROOT) -> dict[str, Any]:
    """Replace ``results/campaign/<name>/state/`` by the live run's newest checkpoint and logs
    (a finished stage: its final fp32 weights and summary only, which the next stage starts
    from); returns the updated ``pieces.json`` entry of this working period."""
    live, state = runs / check_stage_name(name), state_dir(name, results)
    latest, done = RunFolder(live).latest_checkpoint(), complete_step(live)
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
    pieces = read_pieces(live, state)
    if pieces:
        pieces[-1].update(end_step=step, saved_utc=now_utc())
    (tmp / "pieces.json").write_text(json.dumps(pieces, indent=2))
    shutil.copy2(tmp / "pieces.json", live / "pieces.json")
    shutil.rmtree(state, ignore_errors=True)
    tmp.rename(state)
    return pieces[-1] if pieces else {}


def read_pieces(live: Path, state: Path) -> list[dict]:
    for folder in (live, state):
        if (folder / "pieces.json").is_file():
            return json.loads((folder / "pieces.json").read_text())
    return []
