"""The CPU training campaign: long single-thread trainings of the curriculum, run in pieces.

A campaign stage is an ordinary engine run (:func:`srlib.training.train`) of the ``campaign``
profile, trained in pieces of a few hours, each resuming exactly from the state the last one
committed under ``results/campaign/<name>/state/``. A published stage
(``results/campaign/<name>/``: ``weights_fp16.safetensors``, ``metrics.json``, ``log.csv``,
``provenance.json``) is read by the book like ``results/reference/x<s>/``. Commands
(``python -m srlib campaign ...``):

* ``run NAME --scale S [--init W]``: restore the committed state if the live folder has no
  checkpoint, then train (resume) until the stage's steps are done or the process is stopped;
* ``save NAME``: copy the newest checkpoint and the logs into ``state/`` (then commit it);
* ``publish NAME``: evaluate the newest weights on the benchmarks (per image, beside bicubic)
  and write the published files, with the training log extended by cumulative FLOPs.

The package, one concern a module; each name is defined once and re-exported here:

* :mod:`.state`: the folders, a stage's committed state (:func:`restore`, :func:`save`);
* :mod:`.stages`: :func:`campaign_config`, :func:`run` (and :func:`training_flops_per_step`, from
  :mod:`srlib.training.flops`);
* :mod:`.records`: :func:`publish`, :func:`publish_pilot` and their readers
  (:func:`read_pilots`, :func:`read_continuations`, :func:`read_log`, :func:`last_validation`);
* :mod:`.fits`: the saturation law of PSNR against compute (:func:`fit_saturation`, ...);
* :mod:`.analysis`: noise, ceilings, gains and width comparisons of the stored runs;
* :mod:`.architectures`: two networks' chains compared at equal compute (:func:`equal_compute`);
* the ``campaign`` command is :mod:`srlib.cli.campaign`.
"""
from __future__ import annotations

from .analysis import (CONTINUED_RECIPE, NETWORK, SCRATCH_RECIPE, SET5_TARGETS, ceiling_estimate, compute_spent,
                       continuation_gains, difference_interval, finished_runs, last_period, period_gains, same_network,
                       seed_spread, stage_ceiling, width_comparisons, widened_comparisons)
from .architectures import chain_curve, equal_compute, psnr_at
from .fits import (FIT_B_MIN, FIT_CEILING_MARGIN, compute_to_reach, fit_saturation, fit_saturation_interval,
                   saturation_psnr)
from .records import last_validation, publish, publish_pilot, read_continuations, read_log, read_pilots
from .stages import campaign_config, run, training_flops_per_step
from .state import RESULTS_ROOT, RUNS_ROOT, check_stage_name, restore, save

__all__ = [
    # state and training
    "RESULTS_ROOT", "RUNS_ROOT", "check_stage_name", "restore", "save", "campaign_config", "training_flops_per_step",
    "run",
    # records
    "publish", "publish_pilot", "read_pilots", "read_continuations", "read_log", "last_validation",
    # fits
    "FIT_B_MIN", "FIT_CEILING_MARGIN", "fit_saturation", "fit_saturation_interval", "saturation_psnr",
    "compute_to_reach",
    # analysis
    "CONTINUED_RECIPE", "NETWORK", "SCRATCH_RECIPE", "SET5_TARGETS", "seed_spread", "difference_interval",
    "same_network", "finished_runs", "ceiling_estimate", "stage_ceiling", "continuation_gains", "period_gains",
    "last_period", "width_comparisons", "widened_comparisons", "compute_spent",
    # two networks at equal compute
    "chain_curve", "psnr_at", "equal_compute",
    # CLI
]
