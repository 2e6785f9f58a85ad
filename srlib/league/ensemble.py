"""The league's test-time augmentation rows: the x8 geometric self-ensemble
(:func:`srlib.inference.dihedral_ensemble`) of CSRCNN and the best peer at each scale
(:func:`ensemble_records`), evaluated after the runs (``league ensemble``) on
:data:`ENSEMBLE_DATASETS` and stored under each record's own ``self_ensemble`` key, apart from its
plain ``metrics``, with the network's fp16 weights."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import srlib.league as league

from ..repository import resolve
from ..files import atomic_write

__all__ = ["ENSEMBLE_DATASETS", "TTA_LABEL", "best_peer", "ensemble_records", "run_ensemble", "ensemble_scores"]

#: The benchmarks of the self-ensemble rows (8 forward passes each: the two small sets).
ENSEMBLE_DATASETS = ("Set5", "Set14")
#: How the book and the records name the self-ensemble rows.
TTA_LABEL = "test-time augmentation (x8 self-ensemble)"


def best_peer(records: list[dict[str, Any]], scale: int, reference: str = "CSRCNN",
              datasets: tuple[str, ...] = ENSEMBLE_DATASETS) -> str | None:
    """The entrant other than ``reference`` with the highest plain PSNR at ``scale``, averaged
    over its seeds and ``datasets`` (None without records)."""
    df = league.scores(records)
    df = df[(df.scale == scale) & df.entrant.ne(reference) & df.dataset.isin(datasets)]
    return None if df.empty else str(df.groupby("entrant").psnr.mean().idxmax())


def ensemble_records(records: list[dict[str, Any]], reference: str = "CSRCNN") -> list[dict[str, Any]]:
    """The records whose self-ensemble :func:`run_ensemble` evaluates: ``reference`` and the
    :func:`best_peer` at each scale, every seed."""
    wanted = {(best_peer(records, scale, reference), scale) for scale in {r["scale"] for r in records}}
    wanted |= {(reference, scale) for _, scale in wanted}
    return [r for r in records if (r["entrant"], r["scale"]) in wanted]


def _weights(record: dict[str, Any], profile: str, runs_dir: Path | str, data_root: str | None) -> Path:
    """The final weights ``record`` was scored with: its last stage's run folder, trained again
    (deterministically) when the folder is gone, e.g. on another machine; checked by sha256."""
    from ..data.fetch import file_sha256
    from ..errors import InvalidValueError
    from ..runfolder import RunFolder

    run = resolve(record["stages"][-1]["run"])
    weights = RunFolder(run).weights() if run.is_dir() else None
    if weights is None or not weights.is_file():
        unit = next(u for u in league.units(profile, seeds=record["seed"] + 1) if u.name == record["name"])
        weights = league.train_unit(unit, profile, runs_dir=runs_dir, data_root=data_root).weights
    if file_sha256(weights) != record["weights_sha256"]:
        raise InvalidValueError(f"{record['name']}: {weights} are not the weights its record was scored with "
                                "(sha256 differs); the self-ensemble needs those")
    return weights


def run_ensemble(record: dict[str, Any], profile: str = "full", data_root: str | None = None,
                 runs_dir: Path | str = "runs/league", store_weights: bool = True) -> Path:
    """Evaluate the x8 self-ensemble of ``record``'s network (its run's final weights, trained
    again when its run folder is gone, checked against the record's sha256) on
    :data:`ENSEMBLE_DATASETS` with the paper's protocol and store the scores under the record's
    ``self_ensemble`` key (the plain ``metrics`` untouched); ``store_weights``: also its fp16
    weights as ``weights/<name>.safetensors`` beside the records (a later evaluation then needs no
    retraining). Returns the record's path."""
    import time

    import torch

    from ..evaluation import evaluate
    from ..inference import load_upscaler
    from ..training import checkpoint as ck

    torch.set_num_threads(1)
    folder = resolve(league.RESULTS_DIR) / profile
    path = folder / f"{record['name']}.json"
    weights = _weights(record, profile, runs_dir, data_root)
    budget = league.BUDGETS[profile]
    up, method = load_upscaler(weights, scale=record["scale"], device="cpu", self_ensemble=True)
    start, metrics = time.process_time(), {}
    for ds in (d for d in ENSEMBLE_DATASETS if d in budget.datasets):
        limit = budget.limits.get(ds)
        res = evaluate(up, ds, record["scale"], method=method, root=data_root, progress=False, limit=limit)
        metrics[ds] = {"psnr": round(res.psnr, 4), "ssim": round(res.ssim, 5), "images": len(res.images),
                       **({"subset": f"first {limit}"} if limit else {}),
                       "per_image": [[s.name, round(s.psnr, 4), round(s.ssim, 5)] for s in res.images]}
    tta = {"label": TTA_LABEL, "transforms": 8, "weights": "fp32 (the run's)",
           "cpu_seconds": round(time.process_time() - start, 2), "metrics": metrics}
    if store_weights:
        state, meta = ck.load_weights(weights)
        stored = folder / "weights" / f"{record['name']}.safetensors"
        stored.parent.mkdir(parents=True, exist_ok=True)
        ck.save_weights(stored, {k: v.half() if v.is_floating_point() else v for k, v in state.items()}, meta)
        tta["weights_fp16"] = f"weights/{stored.name}"
    record = {**record, "self_ensemble": tta}
    atomic_write(path, (json.dumps(record, indent=1) + "\n").encode())
    return path


def ensemble_scores(records: list[dict[str, Any]]):
    """Per entrant, scale and dataset with a stored self-ensemble: its PSNR and SSIM (mean and 95 %
    interval over seeds, n) and its gain over the same networks' plain PSNR, paired by seed."""
    import pandas as pd

    from ..ablations import mean_ci

    rows = [{"entrant": r["entrant"], "scale": r["scale"], "seed": r["seed"], "dataset": ds, "psnr": m["psnr"],
             "ssim": m["ssim"], "gain": m["psnr"] - r["metrics"][ds]["psnr"], "subset": m.get("subset", "")}
            for r in records for ds, m in r.get("self_ensemble", {}).get("metrics", {}).items()]
    columns = ["entrant", "scale", "dataset", "n", "psnr", "psnr_low", "psnr_high", "ssim", "gain", "gain_low",
               "gain_high", "subset"]
    out = []
    for (entrant, scale, ds), g in pd.DataFrame(rows).groupby(["entrant", "scale", "dataset"], sort=False) if rows else []:
        psnr, low, high = mean_ci(g.psnr.values)
        gain, gain_low, gain_high = mean_ci(g.gain.values)
        out.append({"entrant": entrant, "scale": scale, "dataset": ds, "n": len(g), "psnr": psnr, "psnr_low": low,
                    "psnr_high": high, "ssim": float(g.ssim.mean()), "gain": gain, "gain_low": gain_low,
                    "gain_high": gain_high, "subset": g.subset.iloc[0]})
    return pd.DataFrame(out, columns=columns)
