"""The book's view of the published results (:mod:`srlib.published` reads, ranks and selects
them: :func:`~srlib.published.best_per_scale`, :func:`~srlib.published.best`): a sentence on one
(:func:`describe_committed`), and the best of each network beside the paper's CSRCNN rows
(:func:`best_by_network`, :func:`compare_by_network`)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from ..provenance import format_duration
from ..published import PublishedResult, best_per_scale, list_published
from ..repository import display_path
from ..training import preset
from .tables import compare

__all__ = ["describe_committed", "best_by_network", "compare_by_network"]


def best_by_network(root: Path | str, scales: Sequence[int]) -> dict[str, dict[int, PublishedResult]]:
    """Per network (the published results' labels, :func:`srlib.published.network_label`; the
    paper's architecture first, then the others by name), its best published result per scale of
    ``scales`` (the highest stored Set5 PSNR), whichever kind of run published it."""
    labels = {r.network for r in list_published(root, scales)}
    ordered = sorted(labels, key=lambda label: (not label.startswith("the paper's architecture"), label))
    return {label: best_per_scale(root, scales=scales, network=label) for label in ordered}


def compare_by_network(paper5: pd.DataFrame, by_network: dict[str, dict[int, PublishedResult]],
                       datasets: Sequence[str]) -> pd.DataFrame:
    """:func:`~srlib.book.tables.compare` of each network's stored scores with the paper's CSRCNN
    rows of Table V (PSNR and SSIM on ``datasets``), with a ``network`` column; empty without
    results."""
    frames = []
    for label, refs in by_network.items():
        if not refs:
            continue
        ours = pd.concat([r.scores() for r in refs.values()], ignore_index=True)
        paper = paper5[(paper5.method == "CSRCNN") & paper5.scale.isin(sorted(refs)) & paper5.dataset.isin(datasets)]
        frames.append(compare(paper, ours, on=["method", "scale", "dataset"], values=["psnr", "ssim"])
                      .assign(network=label))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


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
