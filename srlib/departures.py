"""What it would take to reach the paper: its departures from this build, ranked by their effect.

Each departure of the CPU campaign's x2 network from the paper (its training data, its width,
its refined block, its compute, its initialisation and optimiser) gets one estimate of what the
paper's choice would change on Set5 x2 (dB), with the evidence behind it and its kind:

* ``measured``: stored runs of this repository (``results/campaign``), with a 95 % interval from
  the noise of one run (the pooled seed spread of repeated runs, :func:`srlib.campaign.seed_spread`);
* ``extrapolated``: the saturation law through the finished runs (:func:`srlib.campaign.stage_ceiling`);
* ``cited``: published numbers of other work (``data/cited/``), never this repository's;
* ``not measured``: no stored run isolates it (no estimate, ranked last).

:func:`departure_effects` ranks them by estimate, largest first.
"""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pandas as pd

from .campaign import SCRATCH_RECIPE, read_continuations, read_pilots, seed_spread, stage_ceiling
from .campaign.records import last_validation
from .repository import resolve
from .stats import difference_interval
from .training import TrainConfig

__all__ = ["DEPARTURE_COLUMNS", "CITED_DIR", "PILOTS", "cited_data_effect", "departure_pilots", "departure_effects"]

DEPARTURE_COLUMNS = ["departure", "paper", "here", "effect_db", "low_db", "high_db", "kind", "evidence"]
#: Published numbers of other work (``data/cited/README.md``).
CITED_DIR = resolve("data/cited")


def cited_data_effect(scale: int = 2, dataset: str = "Set5") -> dict[str, float | str]:
    """The cited gain of one network retrained on a large set over its 291-image training
    (``data/cited/training_data_effect.csv``): ``{"effect", "model", "large_set", "source",
    "psnr_291", "psnr_large"}``."""
    with open(CITED_DIR / "training_data_effect.csv", newline="") as f:
        for row in csv.DictReader(f):
            if int(row["scale"]) == scale and row["dataset"] == dataset:
                small, large = float(row["psnr_291_images"]), float(row["psnr_large_set"])
                return {"effect": large - small, "model": row["model"], "large_set": row["large_set"],
                        "source": row["source"], "psnr_291": small, "psnr_large": large}
    raise LookupError(f"data/cited/training_data_effect.csv has no row for {dataset} x{scale}")


#: The equal-CPU-time x2 pilots that chose the CPU variant's network, by the name the book quotes:
#: (channels, U blocks, refined blocks, seed).
PILOTS = {"c48": (48, "6/4/2", 0, 0), "c48_seed1": (48, "6/4/2", 0, 1), "c64": (64, "6/4/2", 0, 0),
          "c32_refined": (32, "6/4/2", 1, 0), "c32": (32, "6/4/2", 0, 0)}


def departure_pilots(campaign_dir: Path | str = "results/campaign") -> pd.DataFrame:
    """The stored pilots of :data:`PILOTS` (index: their names), with their Set5 x2 PSNR,
    training FLOPs and steps; a pilot missing from ``<campaign_dir>/pilots`` raises ``LookupError``."""
    pilots = read_pilots(resolve(campaign_dir) / "pilots")
    rows = {}
    for name, (channels, blocks, refined, seed) in PILOTS.items():
        hit = pilots[(pilots.channels == channels) & (pilots.u_blocks == blocks) & (pilots.refined_blocks == refined)
                     & (pilots.seed == seed)]
        if hit.empty:
            raise LookupError(f"no stored pilot with {channels} channels, U blocks {blocks}, {refined} refined "
                              f"block(s), seed {seed}")
        rows[name] = hit.iloc[0][["pilot", "set5_psnr", "train_flops", "steps"]]
    return pd.DataFrame(rows).T.astype({"set5_psnr": float, "train_flops": float, "steps": int})


def _published(folder: Path) -> tuple[TrainConfig, float, float]:
    """A published campaign folder's config, Set5 PSNR (its metrics) and training FLOPs."""
    record = json.loads((folder / "provenance.json").read_text())
    metrics = json.loads((folder / "metrics.json").read_text())
    return TrainConfig.from_dict(record["config"]), float(metrics["results"]["Set5"]["psnr"]), \
        float(record["train_flops"])


def _pilot(pilots: pd.DataFrame, **network) -> pd.DataFrame:
    pick = pilots
    for column, value in network.items():
        pick = pick[pick[column] == value]
    return pick


def departure_effects(campaign_dir: Path | str = "results/campaign") -> pd.DataFrame:
    """One row per departure (:data:`DEPARTURE_COLUMNS`), largest estimated effect of the paper's
    choice first (``effect_db``: Set5 x2, dB; positive: the paper's choice would gain), the
    unmeasured ones last. ``campaign_dir``: the CPU campaign's published runs."""
    base = resolve(campaign_dir)
    config, stage_psnr, stage_flops = _published(base / "x2")
    pilots = read_pilots(base / "pilots")
    scratch = {"pilot": pilots, "schedule": read_pilots(base / "schedules")}
    from_scratch = pd.concat([t for t in scratch.values() if len(t)])
    sd, dof = seed_spread(from_scratch[from_scratch.scale == 2], SCRATCH_RECIPE)
    rows = []

    def add(departure, paper, here, effect, low, high, kind, evidence):
        rows.append(dict(zip(DEPARTURE_COLUMNS, (departure, paper, here, effect, low, high, kind, evidence))))

    data = cited_data_effect(2, "Set5")
    add("training data", "DIV2K (800 images of about 2K)", "T91 + BSD200 (291 small images)", data["effect"],
        math.nan, math.nan, "cited",
        f"{data['model']} retrained on {data['large_set']}: {data['psnr_large']:.2f} dB against "
        f"{data['psnr_291']:.2f} dB on 291 images ({data['source'].removeprefix('cited: ')})")

    continued = read_continuations(base, 2, stage_flops)
    _, est = stage_ceiling(config, stage_flops, last_validation(base / "x2"), scratch, continued)
    if est and est["fit"]["identified"]:
        p_inf = est["fit"]["p_inf"]
        add("training compute", "about four days on one GPU", "CPU-hours on 2 cores", p_inf - est["best"],
            est["low"] - est["best"], est["high"] - est["best"], "extrapolated",
            f"the ceiling of the saturation law through {est['points']} finished runs of the campaign's x2 "
            f"network ({p_inf:.3f} dB) against its best finished run ({est['best']:.3f} dB): what any amount "
            "of the same training could still add")

    wide, narrow = _pilot(pilots, channels=64, refined_blocks=0), _pilot(pilots, channels=48, refined_blocks=0)
    if len(wide) and len(narrow):
        d = difference_interval(wide.set5_psnr, narrow.set5_psnr, sd, dof)
        add("width", "64 channels", f"{config.channels} channels", d["difference"], d["low"], d["high"], "measured",
            f"equal-CPU-time pilots, U blocks 6-4-2: {len(wide)} run(s) at 64 channels, {len(narrow)} at 48")

    with_r, without_r = (_pilot(pilots, channels=32, u_blocks="6/4/2", refined_blocks=r) for r in (1, 0))
    if len(with_r) and len(without_r):
        d = difference_interval(with_r.set5_psnr, without_r.set5_psnr, sd, dof)
        add("refined block", "one per level", "none", d["difference"], d["low"], d["high"], "measured",
            "equal-CPU-time pilots, 32 channels, U blocks 6-4-2: with against without the refined block "
            "(a step with it costs several times the FLOPs, so it gets fewer steps)")

    if (base / "paper-x2").is_dir():
        paper_cfg, paper_psnr, paper_flops = _published(base / "paper-x2")
        d = difference_interval([paper_psnr], [stage_psnr], sd, dof)
        add("width and refined block together", "64 channels, one refined block per level",
            f"{config.channels} channels, none", d["difference"], d["low"], d["high"], "measured",
            f"the paper's architecture trained x2 from scratch ({paper_flops:.2e} training FLOPs) against the "
            f"campaign's x2 stage ({stage_flops:.2e}), same recipe otherwise")

    add("initialisation", "He", "PyTorch's default", math.nan, math.nan, math.nan, "not measured",
        "no stored run isolates it")
    add("optimiser", "SGD, momentum 0.9, weight decay 1e-4", "Adam with a cosine decay", math.nan, math.nan,
        math.nan, "not measured", "no stored run isolates it")
    table = pd.DataFrame(rows, columns=DEPARTURE_COLUMNS)
    return table.sort_values("effect_db", ascending=False, na_position="last", kind="stable").reset_index(drop=True)
