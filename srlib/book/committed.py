"""Results committed under ``results/`` (fp16 weights, provenance, stored scores): read, ranked
and described.

``results/reference/x<s>/`` is written by ``scripts/publish_reference.py``,
``results/campaign/x<s>/`` by :func:`srlib.campaign.publish`; every folder laid out the same way
is a :class:`ReferenceResult`. The book reads their stored scores instead of re-running a
full-width evaluation (``tests/test_reference_results.py`` checks that they agree with the weights).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd
from safetensors import safe_open

from .. import published
from ..inference import load_upscaler
from ..repository import display_path, resolve
from ..training import TrainConfig, preset
from .grid import EVAL_COLUMNS
from ..provenance import Provenance, format_duration

__all__ = ["REFERENCE_FILES", "ReferenceResult", "reference_runs", "campaign_runs", "campaign_stages", "committed_runs",
           "best_committed_runs", "committed_results", "describe_committed"]


#: File names of a committed reference result (``results/reference/x<s>/``, written by
#: ``scripts/publish_reference.py``): fp16 weights, the run's provenance, stored evaluations.
REFERENCE_FILES = ("weights_fp16.safetensors", "provenance.json", "metrics.json")


@dataclass
class ReferenceResult:
    """A committed reference result: ``<folder>/weights_fp16.safetensors`` (fp16 weights),
    ``provenance.json`` (config, steps, device, commit, wall time, notes) and ``metrics.json``
    (PSNR / SSIM per benchmark, evaluated once when the result was published and stored: the
    book reads them instead of re-running a full-width evaluation; ``tests/
    test_reference_results.py`` re-evaluates Set5 from the weights and checks they agree).

    Has the same reading interface as :class:`~srlib.training.runs.RunRecord` where the notebooks need it
    (``weights``, ``upscaler``, ``parameters``, ``provenance``).
    """

    scale: int
    folder: Path
    kind: str = "reference"  # or "campaign" (results/campaign/x<s>/, written by srlib.campaign.publish)

    @property
    def label(self) -> str:
        return f"{self.kind}-x{self.scale}"

    @property
    def weights(self) -> Path:
        return self.folder / REFERENCE_FILES[0]

    @property
    def record(self) -> dict:
        """``provenance.json``."""
        return json.loads((self.folder / "provenance.json").read_text())

    @property
    def metrics(self) -> dict:
        """``metrics.json``."""
        return json.loads((self.folder / "metrics.json").read_text())

    @property
    def config(self):
        return TrainConfig.from_dict(self.record["config"])

    def scores(self, method: str = "CSRCNN") -> pd.DataFrame:
        """The stored evaluations as rows ``method, scale, dataset, psnr, ssim, images, seconds,
        status, cached`` (``status`` ``'ok'`` or ``'first N images'``; ``cached`` is True: the
        numbers were computed when the result was published, not now)."""
        rows = []
        for dataset, r in self.metrics.get("results", {}).items():
            subset = r.get("subset")
            rows.append({"method": method, "scale": self.scale, "dataset": dataset, "psnr": float(r["psnr"]),
                         "ssim": float(r["ssim"]), "images": int(r["images"]),
                         "seconds": float(r.get("eval_seconds", math.nan)),
                         "status": "ok" if not subset else f"first {r['images']} images", "cached": True})
        return pd.DataFrame(rows, columns=EVAL_COLUMNS)

    def provenance(self, what: str | None = None) -> Provenance:
        rec = self.record
        images = (rec.get("training_images") or {}).get("total")
        extra = {"run": display_path(self.folder)}
        if rec.get("status") and rec["status"] != "complete":
            extra["status"] = rec["status"]
        return Provenance(what or self.label, profile=rec.get("profile"), steps=rec.get("steps"),
                          training_images=images, device=rec.get("device", ""),
                          commit=str(rec.get("git_commit", "unknown"))[:10], wall_s=rec.get("wall_time_s"),
                          extra=extra)

    def upscaler(self, scale: int | None = None, device: str = "auto"):
        """``(lr uint8, scale) -> sr uint8`` of the committed weights (loaded in float32)."""
        return load_upscaler(self.weights, scale=scale, device=device)[0]

    def parameters(self) -> int:
        with safe_open(str(self.weights), framework="pt") as f:
            return int(sum(math.prod(f.get_slice(k).get_shape()) for k in f.keys()))


def _set5_psnr(ref: ReferenceResult) -> float:
    set5 = ref.metrics.get("results", {}).get("Set5", {})
    return float(set5["psnr"]) if "psnr" in set5 and not set5.get("subset") else -math.inf


def reference_runs(reference_dir: Path | str = "results/reference", scales: Sequence[int] = (2, 4, 8),
                   continuations: bool = True) -> dict[int, ReferenceResult]:
    """Committed results under ``<reference_dir>/x<s>/`` (see :class:`ReferenceResult`; its
    ``kind`` is the folder's name, e.g. ``'reference'`` or ``'campaign'``), ``{scale: result}``
    for the scales whose three files are all present (empty when none is).

    ``continuations``: a folder ``x<s>-<name>/`` laid out the same way holds a training continued
    from a finished stage's weights (:func:`srlib.campaign.read_continuations`); per scale the one
    of ``x<s>/`` and these with the highest stored Set5 PSNR (on all images) is returned, ties to
    ``x<s>/``. ``False``: the folders ``x<s>/`` alone (the stages as trained from the previous one).
    """
    base = resolve(reference_dir)
    out: dict[int, ReferenceResult] = {}
    for s in scales:
        folders = [base / f"x{s}"] + (sorted(base.glob(f"x{s}-*")) if continuations else [])
        found = [ReferenceResult(int(s), folder, kind=base.name) for folder in folders
                 if all((folder / name).is_file() for name in REFERENCE_FILES)]
        if found:
            out[int(s)] = max(found, key=_set5_psnr)  # max keeps the first of equals
    return out


def campaign_runs(campaign_dir: Path | str = "results/campaign", scales: Sequence[int] = (2, 4, 8)
                  ) -> dict[int, ReferenceResult]:
    """The best published weights of the CPU campaign (:mod:`srlib.campaign`) per scale: a stage,
    or a published continuation of it, ``{scale: result}``."""
    return reference_runs(campaign_dir, scales)


def campaign_stages(campaign_dir: Path | str = "results/campaign", scales: Sequence[int] = (2, 4, 8)
                    ) -> dict[int, ReferenceResult]:
    """The published stages of the CPU campaign (``x<s>/``, each trained from the previous
    stage's weights), without their continuations, ``{scale: result}``."""
    return reference_runs(campaign_dir, scales, continuations=False)


def committed_results(scales: Sequence[int] = (2, 4, 8), results_dir: Path | str = "results"
                      ) -> dict[int, ReferenceResult]:
    """The best committed weights per scale (:func:`best_committed_runs` on Set5)."""
    return best_committed_runs(results_dir, "Set5", scales)


def committed_runs(results_dir: Path | str = "results", scales: Sequence[int] = (2, 4, 8)
                   ) -> dict[str, dict[int, ReferenceResult]]:
    """Every committed result folder under ``results_dir``: ``{folder name: {scale:
    ReferenceResult}}`` for each sub-folder laid out like ``results/reference`` (``x<s>/`` with
    the three :data:`REFERENCE_FILES`), e.g. ``{'reference': {2: ...}}``. Empty when none."""
    base = resolve(results_dir)
    out: dict[str, dict[int, ReferenceResult]] = {}
    if not base.is_dir():
        return out
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        found = reference_runs(folder, scales)
        if found:
            out[folder.name] = found
    return out


def best_committed_runs(results_dir: Path | str = "results", dataset: str = "Set5",
                        scales: Sequence[int] = (2, 4, 8)) -> dict[int, ReferenceResult]:
    """Per scale, the committed result (any folder of :func:`committed_runs`) with the highest
    stored PSNR on ``dataset`` (a result that did not evaluate ``dataset`` ranks last; ties go to
    the first folder in name order). ``{}`` when nothing is committed. The choice is
    :func:`srlib.published.best_per_scale`'s (the one the command line and torch.hub use)."""
    picks = published.best_per_scale(resolve(results_dir), dataset, scales)
    return {s: ReferenceResult(s, r.folder, kind=r.kind) for s, r in picks.items()}


def describe_committed(ref: ReferenceResult) -> str:
    """One sentence on what a committed result is, read from its ``provenance.json`` alone: its
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
