"""The book's sentence on a published result (:mod:`srlib.published` reads, ranks and selects
them: :func:`~srlib.published.best_per_scale`, :func:`~srlib.published.best`)."""
from __future__ import annotations

from ..provenance import format_duration
from ..published import PublishedResult
from ..repository import display_path
from ..training import preset

__all__ = ["describe_committed"]


def describe_committed(ref: PublishedResult) -> str:
    """One sentence on what a published result is, read from its ``provenance.json`` alone: its
    folder, profile, steps done of the schedule's steps, batch, device, wall time and status,
    e.g. ``'results/reference/x2: profile reference, 125 of 200 steps of batch 32, device CPU (2
    cores, shared), wall time 29 min 43 s, status incomplete, the reference profile's own x2
    schedule is 20000 steps'``."""
    rec = ref.record
    done = rec.get("steps")
    planned = (rec.get("config") or {}).get("steps")
    steps = f"{done} of {planned} steps" if planned and planned != done else f"{done} steps"
    batch = rec.get("batch_size") or (rec.get("config") or {}).get("batch_size")
    parts = [f"profile {rec.get('profile', 'unknown')}", steps + (f" of batch {batch}" if batch else "")]
    if rec.get("device"):
        parts.append(f"device {rec['device']}")
    if rec.get("wall_time_s") is not None:
        parts.append(f"wall time {format_duration(float(rec['wall_time_s']))}")
    parts.append(f"status {rec.get('status', 'unknown')}")
    try:
        own = preset(str(rec.get("profile")), int(ref.scale)).steps
        if own != planned:
            parts.append(f"the {rec.get('profile')} profile's own x{ref.scale} schedule is {own} steps")
    except (ValueError, TypeError):
        pass
    return f"{display_path(ref.folder)}: " + ", ".join(parts)
