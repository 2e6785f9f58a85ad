"""What the ablation tables need: the budgets, the rows of each table, and the *units* (one
variant's curriculum for one seed) that train them."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..training.runs import stage_config
from ..training.flops import training_flops_per_step
from ..paper import load_paper_table
from ..profiles import ABLATION_BUDGETS, AblationBudget

__all__ = ["RESULTS_DIR", "DATASETS", "Budget", "BUDGETS", "TABLE_ROWS", "TABLE_SCALES", "TAGS", "TABLE4_EXTRA",
           "ALL_TABLES", "END_TO_END", "BUDGET_TABLES", "Unit", "units", "unit_flops", "training_preset"]

#: Where committed ablation records live (one folder per profile).
RESULTS_DIR = Path("results/ablations")
#: Benchmarks every record is evaluated on (per image): the paper's ablation columns.
DATASETS = ("Set5", "Set14")


#: An ablation set's budget and the budgets per profile: defined with every other profile in
#: :mod:`srlib.profiles` (``quick``: the committed sets; ``scale``: Tables II and III with the
#: campaign's network; ``smoke``: seconds, for tests and CI).
Budget = AblationBudget
BUDGETS: dict[str, Budget] = ABLATION_BUDGETS

#: The tables each budget trains (Table IV and the loss schedules only at the smaller budgets).
BUDGET_TABLES: dict[str, tuple[str, ...]] = {"scale": ("table2", "table3")}

#: Table rows and what builds each: a variant of ``srlib.training.runs.stage_config``, optionally with a
#: tag of :data:`TAGS` (``"full:l1only"``). ``losses`` is no table of the paper: it tests Sec. III-C's
#: claim that fine-tuning with alternating L2 / L1 after L1 helps. Table IV's rows are the paper's
#: notations (``srlib.paper``) plus :data:`TABLE4_EXTRA`.
TABLE_ROWS: dict[str, dict[str, str]] = {
    "table2": {"FSRCNN": "fsrcnn", "Model1": "model1", "Model2": "model2", "Model3": "tu", "Full": "full"},
    "table3": {"T-U": "tu", "BP-U": "full"},
    "losses": {"L1, then L2 / L1 alternating": "full", "L1 only": "full:l1only"},
}
TABLE_SCALES = {"table2": (4,), "table3": (4, 8), "table4": (4,), "losses": (4,)}
#: Variants trained end to end (one stage at the final scale) rather than through the curriculum.
END_TO_END = ("model2", "fsrcnn")
#: Config overrides a tag applies to every stage of a unit.
TAGS: dict[str, dict[str, Any]] = {"l1only": {"loss_schedule": "l1"}}
#: Table IV rows that are not in the paper: U2TR1 is the hybrid counterpart of the paper's U2TU1
#: (the same blocks per level, the HR-space block refined instead of BP-U), which the paper's
#: claim "hybrid beats U blocks only" needs and its table lacks.
TABLE4_EXTRA = ("U2TR1 U2TR1",)
ALL_TABLES = ("table2", "table3", "table4", "losses")


@dataclass(frozen=True)
class Unit:
    """One variant's curriculum for one seed, recorded at each of ``scales``."""

    variant: str
    seed: int
    scales: tuple[int, ...]
    notation: str = ""
    tag: str = ""

    @property
    def stem(self) -> str:
        parts = [self.variant, self.notation.replace(" ", "_"), self.tag]
        return "-".join(p for p in parts if p)

    @property
    def name(self) -> str:
        return f"{self.stem}-seed{self.seed}"

    def record_name(self, scale: int) -> str:
        return f"{self.stem}-x{scale}-seed{self.seed}.json"


def _table4_notations() -> list[str]:

    return [*load_paper_table("table4").notation, *TABLE4_EXTRA]


def units(profile: str = "quick", tables: Sequence[str] = ALL_TABLES) -> list[Unit]:
    """Every unit the ``tables`` need at ``profile``'s budget (shared stages listed once)."""
    budget = BUDGETS[profile]
    if profile in BUDGET_TABLES:
        tables = [t for t in tables if t in BUDGET_TABLES[profile]]
    wanted: dict[tuple[str, str, str, int], set[int]] = {}
    for table in tables:
        if table == "table4":
            for notation in _table4_notations():
                for seed in range(budget.table4_seeds):
                    wanted.setdefault(("full", notation, "", seed), set()).add(4)
            continue
        if table not in TABLE_ROWS:
            raise ValueError(f"unknown ablation table {table!r}; expected some of {ALL_TABLES}")
        for spec in TABLE_ROWS[table].values():
            variant, _, tag = spec.partition(":")
            for seed in range(budget.seeds):
                wanted.setdefault((variant, "", tag, seed), set()).update(TABLE_SCALES[table])
    return [Unit(v, seed, tuple(sorted(scales)), n, t) for (v, n, t, seed), scales in wanted.items()]


def _unit_steps(unit: Unit, budget: Budget) -> dict[int, int]:
    steps = dict(budget.table4_steps) if unit.notation else dict(budget.steps)
    factor = budget.step_factor.get(unit.variant, 1)
    return {s: n * factor for s, n in steps.items()}


def training_preset(profile: str) -> str:
    """The training preset behind ablation budget ``profile`` (its own name unless it names one)."""
    return BUDGETS[profile].preset or profile


def _options(unit: Unit, profile: str, budget: Budget) -> dict[str, Any]:
    extra: dict[str, Any] = {"seed": unit.seed, "threads": 1, "val_every": budget.val_every, "val_limit": 0,
                             "val_sets": ("Set5",), "profile": profile}
    if unit.notation:
        extra["notation"] = unit.notation
    extra.update(TAGS.get(unit.tag, {}) if unit.tag else {})
    return extra


def unit_flops(unit: Unit, profile: str = "quick") -> float:
    """Training FLOPs of ``unit`` (forward + backward, :func:`srlib.training.flops.training_flops_per_step`)."""

    budget = BUDGETS[profile]
    steps = _unit_steps(unit, budget)
    final = max(unit.scales)
    total = 0.0
    for scale in (2, 4, 8):
        if scale > final:
            break
        if unit.variant in END_TO_END and scale != final:
            continue
        config = stage_config(training_preset(profile), scale, unit.variant, final_scale=final, stage_steps=steps,
                              **_options(unit, profile, budget))
        total += training_flops_per_step(config) * config.steps
    return total
