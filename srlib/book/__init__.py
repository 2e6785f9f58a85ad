"""What the book's notebooks share: the run behind every reproduced number, paper | ours |
difference tables, cached benchmark evaluations and "find or run the training for this config".

The notebooks (``notebooks/*.py``) hold narrative and plots only; everything they compute goes
through :mod:`srlib`, so a reader can re-run any number from Python. A notebook writes
``from srlib import book`` and calls ``book.curriculum_run(...)``, ``book.styled(...)``; each name
below is defined in exactly one module of this package (or of a lower layer) and only re-exported
here:

* :mod:`.grid`: :func:`evaluate_grid`, PSNR / SSIM on datasets x scales, cached on disk.
* :mod:`.tables`: :func:`compare`, :func:`comparison_table`, :func:`comparison_long`,
  :func:`gain_share`, :func:`styled`: the paper's values beside ours.
* :mod:`.runs`: :func:`run_options`, :func:`evaluate_runs`: a notebook's training options and
  the cached scores of its runs.
* :mod:`.committed`: the published results (:mod:`srlib.published`) in the book: one in a
  sentence (:func:`describe_committed`), each network's best beside the paper's CSRCNN rows
  (:func:`best_by_network`, :func:`compare_by_network`).
* :mod:`.protocol_checks`: :func:`matlab_lr_check`, :func:`protocol_deviations`.
* :mod:`.parameters`: :func:`shared_parameters` (:func:`check_parameters`, then :class:`Shared`):
  a notebook's papermill parameters checked first and what the notebooks derive from them.
* :mod:`.figures`: :func:`benchmark_image`, :func:`error_crop`, :func:`detail_crop`,
  :func:`save_figure`.
* :mod:`.campaign_views`: the campaign chapter's tables and its compute-fidelity figure
  (imported as ``from srlib.book import campaign_views``).
* from lower layers: :func:`srlib.repository.git_commit`, :func:`~srlib.repository.resolve`,
  :func:`~srlib.repository.display_path`, :func:`srlib.runfolder.weights_fingerprint`;
  :class:`srlib.provenance.Provenance` (the one line printed under each table);
  :mod:`srlib.formatting` (a number, an interval, a mean with its interval as text);
  :mod:`srlib.training.runs` (:func:`stage_config`, :func:`find_or_train`,
  :func:`curriculum_run`, :class:`RunRecord`: every training found or run by configuration).

Table VI's helpers are :mod:`srlib.efficiency` (next to :mod:`srlib.profiling`) and Figure 6's
:mod:`srlib.feature_maps` (next to :mod:`srlib.inference`). Nothing else in :mod:`srlib` imports
this package (see the README's "Layout and layering").
"""
from __future__ import annotations

from ..repository import REPO_ROOT, display_path, git_commit, resolve
from ..runfolder import weights_fingerprint
from .committed import best_by_network, compare_by_network, describe_committed
from .figures import benchmark_image, detail_crop, error_crop, save_figure
from .grid import EVAL_COLUMNS, MISSING, code_fingerprint, dataset_fingerprint, evaluate_grid
from .parameters import NotebookParameterError, Shared, check_parameters, shared_parameters
from .protocol_checks import PROTOCOL_DEVIATIONS, matlab_lr_check, protocol_deviations
from ..formatting import NO_VALUE, format_interval, format_mean_ci, format_number
from ..provenance import Provenance, format_duration
from ..training.runs import (STAGE_VARIANTS, RunRecord, architecture_signature, curriculum_run,
                             find_or_train, run_key, stage_config)
from .runs import evaluate_runs, run_options
from .tables import best_beside_cited, compare, comparison_long, comparison_table, gain_share, gain_share_display, styled

__all__ = [
    # repository and run folders (lower layers)
    "REPO_ROOT", "display_path", "git_commit", "resolve", "weights_fingerprint",
    # committed results
    "describe_committed", "best_by_network", "compare_by_network",
    # figures
    "benchmark_image", "detail_crop", "error_crop", "save_figure",
    # cached evaluations
    "EVAL_COLUMNS", "MISSING", "code_fingerprint", "dataset_fingerprint", "evaluate_grid",
    # the protocol's checks
    "PROTOCOL_DEVIATIONS", "matlab_lr_check", "protocol_deviations",
    # notebook parameters
    "NotebookParameterError", "Shared", "check_parameters", "shared_parameters",
    # provenance
    "Provenance", "format_duration",
    # trainings
    "BOOK_VAL_LIMIT", "STAGE_VARIANTS", "RunRecord", "architecture_signature", "curriculum_run",
    "evaluate_runs", "find_or_train", "run_key", "run_options", "stage_config",
    # paper | ours | difference
    "NO_VALUE", "compare", "comparison_long", "comparison_table", "format_interval", "format_mean_ci", "format_number",
    "gain_share",
    "gain_share_display", "styled", "best_beside_cited",
]
