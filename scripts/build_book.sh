#!/usr/bin/env bash
# Build the companion book:
#   notebooks/*.py --jupytext--> .ipynb --papermill (parameters)--> book/notebooks/*.ipynb
#   --> jupyter-book build . -W -n --keep-going --all   (strict; the book executes nothing itself)
#
# scripts/run_notebooks.py executes the notebooks as the dependency graph of notebooks/build_graph.tsv,
# JOBS at a time: the training notebook runs once per curriculum stage (x2, then x4 from x2, then x8
# from x4) and the chapters that read those runs after them; the others run beside them; the
# notebooks whose numbers are timings run alone. Any cell error stops the build (papermill's exit code is checked: jupyter-book -W would not
# notice an error stored in a notebook's outputs).
#
# Environment:
#   PROFILE=quick|smoke|reference|paper   training profile (default quick)
#   DEVICE=auto|cpu|cuda                  device for training / inference (default auto)
#   PYTHON=.venv/bin/python               interpreter whose environment has the 'book' extra
#   JOBS=2                                notebooks at a time (default: the CPU cores; 1: one after the other)
#   NOTEBOOKS="protocol table6_efficiency"  run only these (the book then needs the others'
#                                         outputs from an earlier build)
#   SKIP_EXECUTE=1                        only rebuild the HTML from the executed notebooks
#   RETRAIN=1                             re-run every stored result set the notebooks read (the ablation
#                                         records of Tables II-IV, Figure 5 and the claims) from scratch, into
#                                         _build/retrained/ (papermill: retrain=1, results_dir, runs_dir);
#                                         without it the notebooks read results/ablations/<profile>/
#   EXECUTE_ONLY=1                        execute the notebooks but build no HTML (the smoke check of CI)
#   OUT=book/notebooks                    where executed notebooks go
#   OMP_NUM_THREADS=1                     torch threads per notebook (default 1; see below)
#   SRLIB_DATA_DIR                        data root (default ../shared/data when it exists, else ./data;
#                                         missing files are fetched first: python -m srlib data fetch)
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE="${PROFILE:-quick}"
DEVICE="${DEVICE:-auto}"
PYTHON="${PYTHON:-.venv/bin/python}"
OUT="${OUT:-book/notebooks}"
RETRAIN="${RETRAIN:-}"
RETRAIN_DIR="${RETRAIN_DIR:-_build/retrained}"
JOBS="${JOBS:-0}"
NOTEBOOKS="${NOTEBOOKS:-}"
if [[ -z "${SRLIB_DATA_DIR:-}" && -d ../shared/data/benchmark ]]; then
  export SRLIB_DATA_DIR="$(cd ../shared/data && pwd)"
fi
export PYTHONUNBUFFERED=1
# One torch thread per notebook unless the caller sets another count: JOBS notebooks share the cores,
# and on this 2-core CPU one training thread is faster than two even on an idle machine
# (issue 10: quick x2 0.13-0.20 against 0.42 s/step); on a busy one two threads collapse: in a CI
# dry run with a training job on the other core, train_x2 took 2.2 s/step with two threads (stopped
# after 20 minutes) and 69 s for the whole notebook with one.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"

# Data: download only what is missing (a quick presence-and-size check first; CI's complete
# ../shared/data passes it, so CI never downloads). Offline, `data fetch` stops with one message
# naming what is missing, the URL and how to place the files by hand.
if [[ -z "${SKIP_EXECUTE:-}" ]] && ! "$PYTHON" -m srlib data check --quick --quiet; then
  echo "== data: fetching the missing files (python -m srlib data fetch)"
  "$PYTHON" -m srlib data fetch || exit 1
fi

mkdir -p "$OUT" _build
# Marks a complete, successful build (tests/test_book.py checks the HTML only when it exists).
DONE=_build/html/.book-complete
[[ -n "${EXECUTE_ONLY:-}" ]] || rm -f "$DONE"  # an execute-only run leaves the built book alone
# The figures' save-time report (srlib.book.figure_checks; tests/test_book.py fails on any line of
# it) starts empty with each full build.
[[ -n "${EXECUTE_ONLY:-}${NOTEBOOKS:-}${SKIP_EXECUTE:-}" ]] || rm -f _build/figure_checks.tsv
# Seconds, start and end of the latest execution of each notebook (a NOTEBOOKS subset replaces only
# its own rows); the book shows them (book/notebooks/build_times.md and build_wall.md, included by
# book/reproduce.md). Each notebook's output: logs/<name>.log beside it.
TIMES=_build/book_times.tsv
[[ -z "${EXECUTE_ONLY:-}" ]] || TIMES="$OUT/book_times.tsv"
RUNNER=("$PYTHON" scripts/run_notebooks.py --out "$OUT" --times "$TIMES" --jobs "$JOBS")

if [[ -z "${SKIP_EXECUTE:-}" ]]; then
  # notebooks/build_graph.tsv: which notebook needs which (train_x2 -> train_x4 -> train_x8 -> the
  # chapters that read their runs), the papermill arguments of each, and the exclusive ones
  "${RUNNER[@]}" run --profile "$PROFILE" --device "$DEVICE" --only "$NOTEBOOKS" \
    ${RETRAIN:+--retrain-dir "$RETRAIN_DIR"}
fi

if [[ -n "${EXECUTE_ONLY:-}" ]]; then
  echo "build_book: notebooks executed into $OUT (EXECUTE_ONLY: no HTML)"
  exit 0
fi

# The per-chapter time table and the wall-time sentence of the book (book/reproduce.md includes them).
"${RUNNER[@]}" pages --out book/notebooks

echo "== jupyter-book build (strict: -W -n --keep-going; --all)"
t0=$SECONDS
# --all: a page that glues a notebook's number (limitations.md, reproduce.md) is not rebuilt by
# sphinx when only the notebook changed, so an incremental build would keep the old number
"$PYTHON" -c 'import sys; from jupyter_book.cli.main import main; sys.exit(main())' \
  build . --builder html -W -n --keep-going --all
echo "   jupyter-book: $((SECONDS - t0)) s"
test -f _build/html/index.html
printf 'profile=%s\ndevice=%s\nnotebooks=%s\n' "$PROFILE" "$DEVICE" "${NOTEBOOKS:-all}" > "$DONE"
echo "book: _build/html/index.html"
