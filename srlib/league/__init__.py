"""The equal-budget league: Table V's peers and CSRCNN trained here, on the same images, with the
same data pipeline, optimiser family and evaluation protocol, for the same single-core CPU time.

* :data:`ENTRANTS`: who plays, at which size (their papers' sizes where the budget allows).
* :data:`BUDGETS`: the training budget per run (single-core CPU-seconds; see below), seeds, and
  which images each record is scored on.
* :func:`pilot`: measures each entrant's CPU-seconds per training step here; the step counts of
  every run follow from it and are stored (``results/league/<profile>/pilot.json``), so a run is
  a fixed, repeatable number of steps.
* :func:`run_unit`: trains one entrant at one scale for one seed (CSRCNN: its curriculum
  x2 -> x4 (-> x8) inside the same budget) and writes its record in the ablation record format
  (:func:`srlib.ablations.running.evaluated_record`).
* :func:`run_ensemble`: test-time augmentation, the x8 geometric self-ensemble
  (:func:`srlib.inference.dihedral_ensemble`) on :data:`ENSEMBLE_DATASETS`, stored under the
  record's own ``self_ensemble`` key, apart from its plain ``metrics``. :func:`run_unit` evaluates
  it at once for a network that works at LR size (CSRCNN, FSRCNN, LapSRN, EDSR-baseline: a minute
  or two, while the run's weights are at hand); a pre-upsampling one (SRCNN, VDSR, DRRN) waits
  for ``league ensemble`` after the runs, which evaluates it only where the book shows it, for
  CSRCNN and the best peer at each scale (:func:`ensemble_records`), training the run again
  when its folder is gone and then keeping its fp16 weights: 8 forward passes of DRRN on the
  league's four benchmarks cost about 10 times its training (measured: DRRN x4, ~13,000 CPU-s
  against 1200), and on Set5 and Set14 still more than its training.

Why CPU-seconds and not FLOPs: the question is which architecture wins per CPU-hour, and FLOPs
misprice what runs at very different speeds on a CPU (an FSRCNN step costs 1/50 of a CSRCNN
step in FLOPs, far less in time): a FLOP-equal FSRCNN would train for hours. The records give
both, so either reading is possible.
"""
from __future__ import annotations

import json
import math
import statistics
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..ablations.running import evaluated_record
from ..profiles import LEAGUE_BUDGETS, LeagueBudget  # noqa: F401 (league.LeagueBudget)
from ..repository import resolve
from ..training import preset, train
from ..files import atomic_write
from ..training.runs import find_or_train

__all__ = ["RESULTS_DIR", "Entrant", "ENTRANTS", "LeagueBudget", "BUDGETS", "Unit", "units", "stage_steps",
           "league_config", "pilot", "train_unit", "run_unit", "missing_units", "load_records", "CITED", "SAME_AS_CITED",
           "scores", "standings",
           "paired_to", "budget_spent", "pareto_front", "claim_ahead", "inference_costs", "estimated_wall_seconds", "ENSEMBLE_DATASETS", "TTA_LABEL",
           "best_peer", "ensemble_records", "run_ensemble", "ensemble_scores", "learning_curves", "late_gain"]

RESULTS_DIR = Path("results/league")


@dataclass(frozen=True)
class Entrant:
    """One model of the league: ``model`` (registered name) with ``options``; ``size``: what
    size it plays at and why; ``curriculum``: trained x2 -> x4 -> x8 (CSRCNN); ``pyramid``:
    the loss on every level (LapSRN's deep supervision)."""

    name: str
    model: str
    options: dict = field(default_factory=dict)
    size: str = ""
    curriculum: bool = False
    pyramid: bool = False

    @property
    def slug(self) -> str:
        return self.name.lower().replace(" ", "-")


#: The CPU variant of CSRCNN: the campaign's network (48 channels, U blocks 6/4/2, no refined block).
_CSRCNN = {"channels": 48, "blocks_per_level": (6, 4, 2), "hr_blocks": 0, "image_skip": "bicubic",
           "weight_init": "pytorch"}

ENTRANTS: tuple[Entrant, ...] = (
    Entrant("SRCNN", "srcnn", {}, "9-5-5, 64/32 filters, Y channel: its paper's"),
    Entrant("FSRCNN", "fsrcnn", {}, "d=56, s=12, m=4, Y channel: its paper's"),
    Entrant("VDSR", "vdsr", {}, "20 layers of 64 channels: its paper's"),
    Entrant("LapSRN", "lapsrn", {}, "10 layers of 64 channels per level: its paper's", pyramid=True),
    Entrant("EDSR-baseline", "edsr", {"features": 64, "blocks": 16, "res_scale": 1.0},
            "16 residual blocks of 64 channels: EDSR's published small configuration"),
    Entrant("DRRN", "drrn", {"units": 9},
            "B1U9 (128 channels, 9 recursions): its paper's smallest; B1U25 costs 2.8x more per step"),
    Entrant("CSRCNN", "csrcnn", {}, "the CPU variant (48 channels, U blocks 6/4/2, no refined block)",
            curriculum=True),
)


#: The league's budgets (:data:`srlib.profiles.LEAGUE_BUDGETS`; :class:`~srlib.profiles.LeagueBudget`).
BUDGETS = LEAGUE_BUDGETS


@dataclass(frozen=True)
class Unit:
    entrant: Entrant
    scale: int
    seed: int

    @property
    def name(self) -> str:
        return f"{self.entrant.slug}-x{self.scale}-seed{self.seed}"

    @property
    def stages(self) -> tuple[int, ...]:
        """The curriculum's scales (CSRCNN: x2 up to the unit's), else the unit's scale."""
        return tuple(2**i for i in range(1, self.scale.bit_length())) if self.entrant.curriculum else (self.scale,)


def units(profile: str = "full", seeds: int | None = None) -> list[Unit]:
    """Every run of the league at ``profile``, seed by seed: the budget's seeds at each scale, or at
    least ``seeds`` at every scale."""
    budget = BUDGETS[profile]
    count = {s: max(budget.seeds_for(s), seeds or 0) for s in budget.scales}
    return [Unit(e, s, seed) for seed in range(max(count.values()))
            for s in budget.scales if seed < count[s] for e in ENTRANTS]


def league_config(entrant: Entrant, scale: int, steps: int, seed: int = 0, profile: str = "full", **overrides):
    """The training config of ``entrant`` at (stage) ``scale``: the campaign recipe (T91 + BSD200 with
    scale augmentation, LR patches 24 / 16 / 12 at x2 / x4 / x8, batch 16, Adam 1e-3 with a cosine decay,
    L1 then L2 / L1 alternating) with the entrant's network; a non-curriculum entrant is trained
    directly at ``scale``. Validation on Set5 every 10 % of the steps (the learning curve)."""
    network = dict(_CSRCNN) if entrant.curriculum else {"model": entrant.model, "model_options": dict(entrant.options),
                                                          "curriculum": "none"}
    if entrant.pyramid:
        network["loss_levels"] = "all"
    values = {**network, "steps": steps, "seed": seed, "profile": profile, "threads": 1, "progress": False,
              "val_every": max(1, steps // 10), "val_limit": BUDGETS[profile].limits.get("Set5", 0), "val_sets": ("Set5",),
              "ckpt_every": max(1, steps // 6), **overrides}
    return preset("campaign", scale, **values)


def _pilot_path(profile: str) -> Path:
    return resolve(RESULTS_DIR) / profile / "pilot.json"


def stage_steps(unit: Unit, profile: str = "full") -> dict[int, int]:
    """Steps of each stage of ``unit``: the budget's CPU-seconds (split equally between a
    curriculum's stages) over the pilot's CPU-seconds per step."""
    budget = BUDGETS[profile]
    if budget.steps:
        return {s: budget.steps for s in unit.stages}
    path = _pilot_path(profile)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no pilot measurements yet; run `python -m srlib league pilot` first")
    seconds = json.loads(path.read_text())["seconds_per_step"]
    share = budget.cpu_seconds / len(unit.stages)
    return {s: max(1, round(share / seconds[unit.entrant.name][f"x{s}"])) for s in unit.stages}


def _seconds_per_step(config, steps: int = 12, warmup: int = 4) -> float:
    """Median single-core CPU-seconds per step of ``config`` over ``steps`` steps after ``warmup``."""
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        train(config.replace(steps=warmup + steps, val_every=-1, log_every=1, ckpt_every=warmup + steps), Path(tmp))
        log = pd.read_csv(Path(tmp) / "log.csv")
    return float(statistics.median(log.cpu_time.diff().iloc[warmup:]))


def pilot(profile: str = "full", entrants: tuple[Entrant, ...] = ENTRANTS) -> dict[str, Any]:
    """Measure every entrant's CPU-seconds per step at each stage it trains and store them; each
    measurement is written as it is made, and one already stored is not made again (a stopped
    pilot resumes). A curriculum's later stage is timed without its ``init`` (the same steps)."""
    from tqdm.auto import tqdm

    from ..training.flops import training_flops_per_step

    budget, path = BUDGETS[profile], _pilot_path(profile)
    stages = {(e.name, s): league_config(e, s, steps=100, profile=profile, **({"curriculum": "none"} if s > 2 else {}))
              for e in entrants for scale in budget.scales for s in Unit(e, scale, 0).stages}
    result = json.loads(path.read_text()) if path.is_file() else {}
    result.update(budget=asdict(budget))
    seconds, flops = result.setdefault("seconds_per_step", {}), result.setdefault("train_flops_per_step", {})
    for (name, s), config in tqdm(stages.items(), desc="league pilot"):
        if f"x{s}" in seconds.get(name, {}):
            continue
        seconds.setdefault(name, {})[f"x{s}"] = round(_seconds_per_step(config), 4)
        flops.setdefault(name, {})[f"x{s}"] = training_flops_per_step(config)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, (json.dumps(result, indent=1) + "\n").encode())
    return result


def train_unit(unit: Unit, profile: str = "full", *, runs_dir: Path | str = "runs/league", data_root: str | None = None):
    """Train ``unit``'s stages (finding finished ones under ``runs_dir``); returns the last stage's run.
    Training is deterministic, so a run trained again gives the same weights, bit for bit."""
    import torch

    torch.set_num_threads(1)
    steps = stage_steps(unit, profile)
    init, run = "", None
    for s in unit.stages:
        extra = {"init": init} if init else {}
        if data_root:
            extra["data_root"] = data_root
        config = league_config(unit.entrant, s, steps[s], unit.seed, profile, **extra)
        run = find_or_train(config, label=f"{unit.name}-x{s}" if unit.entrant.curriculum else unit.name,
                            runs_dir=runs_dir)
        init = str(run.weights)
    return run


def run_unit(unit: Unit, profile: str = "full", *, runs_dir: Path | str = "runs/league",
             data_root: str | None = None) -> Path:
    """Train ``unit`` (finding finished stages) and write its record; returns the record's path."""
    budget = BUDGETS[profile]
    run = train_unit(unit, profile, runs_dir=runs_dir, data_root=data_root)
    identity = {"entrant": unit.entrant.name, "model": unit.entrant.model, "size": unit.entrant.size,
                "seed": unit.seed, "profile": profile, "budget": asdict(budget), "name": unit.name}
    record = evaluated_record(run, unit.scale, identity, budget.datasets, data_root, budget.limits)
    path = resolve(RESULTS_DIR) / profile / f"{unit.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, (json.dumps(record, indent=1) + "\n").encode())
    if not _pre_upsampling(unit.entrant):  # its self-ensemble now, while its weights are at hand: minutes
        run_ensemble(record, profile, data_root=data_root, runs_dir=runs_dir, store_weights=False)
    return path


def _pre_upsampling(entrant: Entrant) -> bool:
    """Whether ``entrant`` works at HR size on a bicubic-upsampled input (SRCNN, VDSR, DRRN): its 8
    passes of the self-ensemble cost several times its training, so they wait for ``league ensemble``."""
    from ..models import build_model

    name, kwargs = league_config(entrant, 4, steps=1).model_spec()  # the same at every scale
    return bool(getattr(build_model(name, **kwargs), "pre_upsample", False))


def estimated_wall_seconds(unit: Unit, profile: str = "full") -> float:
    """How long ``unit`` will take, wall-clock: the budget's CPU-seconds of training and its
    evaluation's CPU-seconds, at the wall / CPU ratio of the stored records' training (2 when none).
    The evaluation's: the mean of the stored records of the same entrant and scale, else the dearest
    stored at that scale, else a quarter of the budget (a pre-upsampling network evaluates at HR
    size: DRRN's evaluation costs more than its training)."""
    records = load_records(profile)
    stages = [st for r in records for st in r["stages"] if st.get("cpu_seconds")]
    ratio = (sum(st["wall_seconds"] for st in stages) / sum(st["cpu_seconds"] for st in stages)) if stages else 2.0

    def evaluation(r):  # its benchmarks' and its self-ensemble's CPU-seconds
        return sum(r.get("eval_cpu_seconds", {}).values()) + r.get("self_ensemble", {}).get("cpu_seconds", 0.0)

    same = [evaluation(r) for r in records if r["entrant"] == unit.entrant.name and r["scale"] == unit.scale]
    timed = [evaluation(r) for r in records if r["scale"] == unit.scale and evaluation(r) > 0]
    budget = BUDGETS[profile].cpu_seconds
    seconds = statistics.mean(same) if same and min(same) > 0 else max(timed) if timed else 0.25 * budget
    return (budget + seconds) * ratio


def missing_units(profile: str = "full", seeds: int | None = None) -> list[Unit]:
    folder = resolve(RESULTS_DIR) / profile
    return [u for u in units(profile, seeds) if not (folder / f"{u.name}.json").is_file()]


def load_records(profile: str = "full") -> list[dict[str, Any]]:
    """Every stored league record of ``profile`` (``[]`` when none)."""
    folder = resolve(RESULTS_DIR) / profile
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*-seed*.json"))] if folder.is_dir() else []


#: The row of the paper's Table V cited beside each entrant.
CITED = {"SRCNN": "SRCNN", "FSRCNN": "FSRCNN", "VDSR": "VDSR", "LapSRN": "LapSRN", "EDSR-baseline": "EDSR",
         "DRRN": "DRRN", "CSRCNN": "CSRCNN"}
#: The entrants that play the very network of their cited row, so that ours minus cited measures the
#: training alone. The others play a smaller one: EDSR's baseline against the full-size EDSR, DRRN
#: B1U9 against B1U25 (the same weights, fewer recursions), and CSRCNN's CPU variant against the
#: paper's architecture.
SAME_AS_CITED = frozenset({"SRCNN", "FSRCNN", "VDSR", "LapSRN"})


def scores(records: list[dict[str, Any]]):
    """One row per record x dataset: entrant, scale, seed, dataset, psnr, ssim, bicubic_psnr, images,
    subset, cpu_seconds, train_flops, parameters."""
    import pandas as pd

    rows = [{"entrant": r["entrant"], "scale": r["scale"], "seed": r["seed"], "dataset": ds, "psnr": m["psnr"],
             "ssim": m["ssim"], "bicubic_psnr": m["bicubic_psnr"], "images": m.get("images"),
             "subset": m.get("subset") or "", "cpu_seconds": r["cpu_seconds"], "train_flops": r["train_flops"],
             "parameters": r["parameters"]} for r in records for ds, m in r["metrics"].items()]
    columns = ["entrant", "scale", "seed", "dataset", "psnr", "ssim", "bicubic_psnr", "images", "subset",
               "cpu_seconds", "train_flops", "parameters"]
    return pd.DataFrame(rows, columns=columns)


def standings(records: list[dict[str, Any]]):
    """Per entrant, scale and dataset: PSNR and SSIM means with their 95 % Student-t intervals
    over seeds (``n``), the paper's cited Table V value and ours minus it (NaN where the record
    covers a subset of the dataset or the entrant plays a smaller network than the cited row's,
    :data:`SAME_AS_CITED`: no like-for-like difference), and the training spent."""
    import pandas as pd

    from ..ablations import mean_ci
    from ..paper import load_paper_table

    df = scores(records)
    table5 = load_paper_table("table5").set_index(["method", "scale", "dataset"])
    rows = []
    for (entrant, scale, ds), g in df.groupby(["entrant", "scale", "dataset"], sort=False):
        psnr, low, high = mean_ci(g.psnr.values)
        ssim, ssim_low, ssim_high = mean_ci(g.ssim.values)
        key = (CITED.get(entrant, entrant), int(scale), ds)
        cited = float(table5.psnr.get(key, math.nan))
        subset = g.subset.iloc[0]
        rows.append({"entrant": entrant, "scale": scale, "dataset": ds, "n": len(g), "psnr": psnr, "psnr_low": low,
                     "psnr_high": high, "ssim": ssim, "ssim_low": ssim_low, "ssim_high": ssim_high,
                     "subset": subset, "cited_psnr": cited,
                     "ours_minus_cited": psnr - cited if not subset and entrant in SAME_AS_CITED else math.nan,
                     "cpu_seconds": g.cpu_seconds.mean(), "train_flops": g.train_flops.mean(),
                     "parameters": int(g.parameters.iloc[0])})
    return pd.DataFrame(rows)


def paired_to(records: list[dict[str, Any]], reference: str = "CSRCNN"):
    """Every entrant minus ``reference`` in PSNR, paired by seed (the same seed gives both the same
    patches in the same order), per scale and dataset, with its 95 % interval
    (:func:`srlib.ablations.paired_differences`)."""
    from ..ablations import paired_differences

    return paired_differences(scores(records).rename(columns={"entrant": "row"}), reference)


def budget_spent(records: list[dict[str, Any]], profile: str = "full", tolerance: float = 0.3):
    """Each run's training CPU-seconds against the budget (the steps were fixed from the pilot's
    rates, so a run on a busier or another processor spends more or less): entrant, scale, seed,
    cpu_seconds, share (of the budget) and within (``|share - 1| <= tolerance``)."""
    import pandas as pd

    budget = BUDGETS[profile].cpu_seconds
    rows = [{"entrant": r["entrant"], "scale": r["scale"], "seed": r["seed"], "cpu_seconds": float(r["cpu_seconds"]),
             "share": float(r["cpu_seconds"]) / budget if budget else math.nan} for r in records]
    frame = pd.DataFrame(rows, columns=["entrant", "scale", "seed", "cpu_seconds", "share"])
    return frame.assign(within=(frame.share - 1).abs() <= tolerance)


def pareto_front(points) -> list[str]:
    """The entrants of ``points`` (one row each: ``entrant``, ``psnr``, ``time_ms``) that no other
    one beats on both accuracy and speed (at least as accurate and as fast, better on one), fastest
    first: by the means, so a neighbour within its interval may swap places with them."""
    rows = list(points[["entrant", "psnr", "time_ms"]].itertuples(index=False))
    front = [r for r in rows if not any(o.psnr >= r.psnr and o.time_ms <= r.time_ms and
                                        (o.psnr > r.psnr or o.time_ms < r.time_ms) for o in rows)]
    return [r.entrant for r in sorted(front, key=lambda r: r.time_ms)]


def claim_ahead(records: list[dict[str, Any]], scale: int = 8, reference: str = "CSRCNN") -> tuple[Any, str]:
    """The paper's claim that CSRCNN is ahead at ``scale``, judged here: per peer and dataset,
    ``reference`` minus the peer paired by seed with the verdict rule of the ablations
    (:func:`srlib.ablations.verdict`); overall "held" when it holds against every peer on every
    dataset, "not held" when some peer is ahead beyond its interval, else "inconclusive at this
    budget" ("not run yet" without records). Returns ``(rows, overall)``."""
    from ..ablations import verdict

    diff = paired_to(records, reference)
    rows = diff[(diff.scale == scale) & diff.row.ne(reference)].copy()
    rows = rows.assign(ahead=-rows.difference, ahead_low=-rows.ci_high, ahead_high=-rows.ci_low)
    rows["verdict"] = [verdict(lo, hi, n) for lo, hi, n in zip(rows.ahead_low, rows.ahead_high, rows.n)]
    if rows.empty:
        return rows, "not run yet"
    if (rows.verdict == "not held").any():
        return rows, "not held"
    return rows, "held" if (rows.verdict == "held").all() else "inconclusive at this budget"


def inference_costs(scales: tuple[int, ...] = (4, 8), size: int = 48, device: str = "cpu", repeats: int = 2):
    """Each entrant's forward pass measured here (:func:`srlib.profiling.profile_model`, a ``size`` x
    ``size`` LR input; a pre-upsampling network gets the bicubic-upsampled input, whose cost is not
    counted, as in Table VI): entrant, scale, parameters, GFLOPs (2 x multiply-adds), median time (ms)."""
    import pandas as pd

    from ..models import build_model
    from ..profiling import profile_model

    rows = []
    for entrant in ENTRANTS:
        for scale in scales:
            name, kwargs = league_config(entrant, scale, steps=1).model_spec()
            r = profile_model(build_model(name, **kwargs).eval(), scale, size=size, device=device, repeats=repeats,
                              warmup=1, max_seconds=10.0)
            rows.append({"entrant": entrant.name, "scale": scale, "parameters": r["params"],
                         "gflops": 2 * r["gmacs"], "time_ms": r["time_ms"], "device": r["device_name"]})
    return pd.DataFrame(rows)


# Learning curves (is the budget enough?) and the self-ensemble rows (test-time augmentation) read
# the records above: defined in .curves and .ensemble.
from .curves import late_gain, learning_curves  # noqa: E402
from .ensemble import (ENSEMBLE_DATASETS, TTA_LABEL, best_peer, ensemble_records, ensemble_scores,  # noqa: E402
                       run_ensemble)
