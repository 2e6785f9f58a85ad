"""The ablation result sets behind Tables II-IV and Figures 5-6: every variant trained from several
seeds at one budget, stored once under ``results/ablations/``, read by the notebooks.

A *unit* is one variant's curriculum for one seed (x2, then x4 from x2, then x8 from x4), trained
through :func:`srlib.training.runs.curriculum_run` (so a stage shared by two tables is trained once).
Each stage a table reads gives one *record*, a small JSON file::

    results/ablations/<profile>/<variant>[-<notation>]-x<scale>-seed<k>.json
        spec (variant, notation, scale, seed), the budget, per-stage training cost (steps,
        wall / CPU seconds, FLOPs per step, the run key and its config) and validation curve
        (step, CPU seconds, Set5 PSNR: Figure 5's convergence measure), the weights' sha256,
        per-image PSNR / SSIM on Set5 and Set14 beside bicubic, provenance (commit, device,
        torch, threads, date).

Units are independent, so ``python -m srlib ablations run --jobs 2`` trains them side by side,
one thread each, longest first; a unit whose records exist is skipped, and an interrupted stage
resumes from its checkpoint. Seeds are paired: the seed fixes every variant's batch stream (a
batch is a function of seed and step, :mod:`srlib.training.data`) and its initial random stream.

The package, one concern a module; each name is defined once and re-exported here:

* :mod:`.plan`: what the tables need: :class:`Budget` (:data:`BUDGETS`), :data:`TABLE_ROWS`,
  :class:`Unit`, :func:`units`, :func:`unit_flops`.
* :mod:`.running`: training units and storing their records (:func:`run_unit`,
  :func:`run_units`, :func:`missing_units`, :func:`load_records`, :func:`records_for`,
  :func:`table_status`) and the
  ``ablations`` command of the CLI.
* :mod:`.statistics`: reading the records: :func:`scores`, :func:`table_scores`,
  :func:`mean_ci`, :func:`paired_differences`, :func:`verdict` (:data:`VERDICT_RULE`),
  :func:`convergence`, :func:`summary`, :func:`describe`, :func:`budget_text`.
* :mod:`.budgets`: Tables II and III at every stored budget side by side with the paper
  (:func:`shown_budgets`, :func:`paper_value`, :func:`budget_summary`, :func:`budget_table`).
"""
from __future__ import annotations

from .plan import (ALL_TABLES, BUDGET_TABLES, BUDGETS, DATASETS, END_TO_END, RESULTS_DIR, TABLE4_EXTRA, TABLE_ROWS, TABLE_SCALES, TAGS, Budget,
                   Unit, unit_flops, units)
from .budgets import NOT_TRAINED, budget_summary, budget_table, paper_value, shown_budgets
from .running import (estimated_wall_seconds, load_records, missing_units, records_for, run_unit, run_units,
                      table_status)
from .statistics import (VERDICT_RULE, budget_text, convergence, describe, mean_ci, paired_differences,
                         record_cpu_seconds, record_train_flops, schedule_text, scores, summary, table_records, table_scores, verdict)

__all__ = [
    # plan
    "ALL_TABLES", "BUDGET_TABLES", "BUDGETS", "DATASETS", "END_TO_END", "RESULTS_DIR", "TABLE4_EXTRA", "TABLE_ROWS", "TABLE_SCALES", "TAGS", "Budget",
    "Unit", "unit_flops", "units",
    # running
    "estimated_wall_seconds", "load_records", "missing_units", "records_for", "run_unit", "run_units",
    "table_status",
    # statistics
    "VERDICT_RULE", "budget_text", "convergence", "describe", "mean_ci", "paired_differences", "record_cpu_seconds", "record_train_flops",
    "schedule_text", "scores", "summary", "table_records", "table_scores", "verdict",
    # budgets
    "NOT_TRAINED", "budget_summary", "budget_table", "paper_value", "shown_budgets",
]
