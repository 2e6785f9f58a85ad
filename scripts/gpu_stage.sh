#!/usr/bin/env bash
# One curriculum stage of the reference CSRCNN on a lent GPU host, inside one window.
# Run from the repository root on the host (the device tool's command), e.g.
#   bash scripts/gpu_stage.sh --scale 4 --init results/reference/x2/weights_fp16.safetensors
#   bash scripts/gpu_stage.sh --scale 4 --resume                 # same warm machine: runs/gpu-x4 is still there
# carrying .devdata (built here by `python scripts/gpu_stage.py prepare`). Everything the stage
# produces lands in $OUT (weights_fp16.safetensors, log.csv, provenance.json, stage.log and, if the
# stage was stopped early, resume.tar.partNN). Options: see `python scripts/gpu_stage.py run --help`.
set -o pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
OUT="${OUT:-$PWD/gpu_stage_out}"
mkdir -p "$OUT"
# srlib's data cache (uint8 pyramids) goes to the host's disk, outside what travels back
export SRLIB_CACHE_DIR="${SRLIB_CACHE_DIR:-$PWD/.cache/srlib}"
PY="${PYTHON:-python3}"
"$PY" -c "import torch, safetensors, numpy, PIL; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" || exit 10
test -d .devdata/train/T91 || { echo "gpu_stage.sh: .devdata/ is missing: carry it (built by scripts/gpu_stage.py prepare)" >&2; exit 11; }
"$PY" scripts/gpu_stage.py run --out "$OUT" "$@" 2>&1 | tee "$OUT/stage.log"
