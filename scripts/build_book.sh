#!/usr/bin/env bash
# Build the companion book:
#   notebooks/*.py --jupytext--> .ipynb --papermill (parameters)--> book/notebooks/*.ipynb
#   --> jupyter-book build . -W -n --keep-going --all   (strict; the book executes nothing itself)
#
# The training notebook runs once per curriculum stage: x2, then x4 from x2, then x8 from x4.
# Any cell error stops the build (papermill's exit code is checked: jupyter-book -W would not
# notice an error stored in a notebook's outputs).
#
# Environment:
#   PROFILE=quick|smoke|reference|paper   training profile (default quick)
#   DEVICE=auto|cpu|cuda                  device for training / inference (default auto)
#   PYTHON=.venv/bin/python               interpreter whose environment has the 'book' extra
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
if [[ -z "${SRLIB_DATA_DIR:-}" && -d ../shared/data/benchmark ]]; then
  export SRLIB_DATA_DIR="$(cd ../shared/data && pwd)"
fi
export PYTHONUNBUFFERED=1
# One torch thread per notebook unless the caller sets another count. The notebooks run one after
# the other, and on this 2-core CPU one training thread is faster than two even on an idle machine
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

ALL="protocol train_x2 train_x4 train_x8 campaign_compute table5_benchmarks table2_ablation table3_ublock figure5_convergence \
table4_depth table6_efficiency figure6_feature_maps figure10_psnr_vs_params figures7_9_visual try_it claims"
NOTEBOOKS="${NOTEBOOKS:-$ALL}"

mkdir -p "$OUT" _build
# Marks a complete, successful build (tests/test_book.py checks the HTML only when it exists).
DONE=_build/html/.book-complete
[[ -n "${EXECUTE_ONLY:-}" ]] || rm -f "$DONE"  # an execute-only run leaves the built book alone
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# Seconds per notebook of the latest execution of each (a NOTEBOOKS subset replaces only its own
# rows); the book shows them (book/notebooks/build_times.md, included by book/reproduce.md).
TIMES=_build/book_times.tsv
[[ -z "${EXECUTE_ONLY:-}" ]] || TIMES="$OUT/book_times.tsv"
if [[ ! -f "$TIMES" ]] || [[ "$(head -n 1 "$TIMES")" != $'notebook\tseconds\tprofile\tdevice\tfinished_utc' ]]; then
  printf 'notebook\tseconds\tprofile\tdevice\tfinished_utc\n' > "$TIMES"
fi

# run NAME SOURCE [papermill args...]: jupytext SOURCE -> papermill -> $OUT/NAME.ipynb
run() {
  local name="$1" source="$2"; shift 2
  local t0=$SECONDS
  echo "== $name (notebooks/$source.py, profile $PROFILE)"
  "$PYTHON" -m jupytext --quiet --to ipynb --output "$TMP/$name.ipynb" "notebooks/$source.py"
  local retrain=()
  # the notebooks that read stored result sets take retrain / results_dir / runs_dir
  if [[ -n "$RETRAIN" ]] && grep -q '^retrain = ' "notebooks/$source.py"; then
    retrain=(-p retrain 1 -r results_dir "$RETRAIN_DIR/ablations" -r runs_dir "$RETRAIN_DIR/runs")
  fi
  if ! "$PYTHON" -m papermill "$TMP/$name.ipynb" "$OUT/$name.ipynb" \
        --kernel python3 --cwd . --no-progress-bar --log-level WARNING \
        -r profile "$PROFILE" -r device "$DEVICE" "${retrain[@]}" "$@"; then
    echo "build_book: notebook $name failed (a cell raised); its partial output is $OUT/$name.ipynb" >&2
    exit 1
  fi
  # In the rendered book code cells start collapsed (a toggle shows them); outputs stay visible.
  "$PYTHON" - "$OUT/$name.ipynb" <<'PY'
import sys
import nbformat
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
for cell in nb.cells:
    if cell.cell_type == "code" and "hide-input" not in cell.metadata.setdefault("tags", []):
        cell.metadata["tags"].append("hide-input")
nbformat.write(nb, path)
PY
  grep -v -P "^\Q$name\E\t" "$TIMES" > "$TMP/times" || true
  printf '%s\t%d\t%s\t%s\t%s\n' "$name" $((SECONDS - t0)) "$PROFILE" "$DEVICE" "$(date -u +%FT%TZ)" >> "$TMP/times"
  cp "$TMP/times" "$TIMES"
  echo "   $name: $((SECONDS - t0)) s"
}

if [[ -z "${SKIP_EXECUTE:-}" ]]; then
  for nb in $NOTEBOOKS; do
    case "$nb" in
      train_x2) run train_x2 train_stage -p scale 2 -r init "" ;;
      train_x4) run train_x4 train_stage -p scale 4 -r init "previous" ;;
      train_x8) run train_x8 train_stage -p scale 8 -r init "previous" ;;
      *) run "$nb" "$nb" ;;
    esac
  done
fi

if [[ -n "${EXECUTE_ONLY:-}" ]]; then
  echo "build_book: notebooks executed into $OUT (EXECUTE_ONLY: no HTML)"
  exit 0
fi

# The per-chapter time table of the book (book/reproduce.md includes it).
"$PYTHON" - "$TIMES" book/notebooks/build_times.md "$ALL" <<'PY'
import csv, sys
from pathlib import Path
times, out = Path(sys.argv[1]), Path(sys.argv[2])
rows = list(csv.DictReader(times.open(), delimiter="\t")) if times.is_file() else []
order = sys.argv[3].split()  # the book's order (ALL)
rows.sort(key=lambda r: order.index(r["notebook"]) if r["notebook"] in order else len(order))
def fmt(s):
    s = int(s)
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"
def title(name):  # the chapter's heading, from its notebook source ("# # Table V: ...")
    source = Path("notebooks") / f"{'train_stage' if name.startswith('train_x') else name}.py"
    heads = [l[4:].strip() for l in source.read_text().splitlines() if l.startswith("# # ")] if source.is_file() else []
    head = heads[0] if heads else name
    return f"{head} (x{name[-1]})" if name.startswith("train_x") else head
lines = ["| chapter (notebook) | seconds | time | profile | device | finished (UTC) |", "|---|---|---|---|---|---|"]
lines += [f"| {title(r['notebook'])} (`{r['notebook']}`) | {r['seconds']} | {fmt(r['seconds'])} | {r['profile']} "
          f"| {r['device']} | {r['finished_utc']} |" for r in rows]
total = sum(int(r["seconds"]) for r in rows)
profiles = sorted({r["profile"] for r in rows})
if rows:
    lines.append(f"| **all {len(rows)} notebooks** | {total} | **{fmt(total)}** | {', '.join(profiles)} | | |")
    text = ("Measured by `scripts/build_book.sh` when it executed each notebook of this build "
            "(`_build/book_times.tsv`; a notebook reused from an earlier execution keeps that time). "
            "Rendering the HTML comes on top.\n\n" + "\n".join(lines) + "\n")
else:
    text = "This build executed no notebook (`SKIP_EXECUTE=1` on a fresh checkout): no times were measured.\n"
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(text)
PY

echo "== jupyter-book build (strict: -W -n --keep-going; --all)"
t0=$SECONDS
# --all: a page that glues a notebook's number (limitations.md, reproduce.md) is not rebuilt by
# sphinx when only the notebook changed, so an incremental build would keep the old number
"$PYTHON" -c 'import sys; from jupyter_book.cli.main import main; sys.exit(main())' \
  build . --builder html -W -n --keep-going --all
echo "   jupyter-book: $((SECONDS - t0)) s"
test -f _build/html/index.html
printf 'profile=%s\ndevice=%s\nnotebooks=%s\n' "$PROFILE" "$DEVICE" "$NOTEBOOKS" > "$DONE"
echo "book: _build/html/index.html"
