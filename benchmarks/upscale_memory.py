"""Peak memory of ``upscale`` against image size: one fresh process per size, peak RSS measured.

    python benchmarks/upscale_memory.py                       # a random quick-profile x8 CSRCNN, LR 64..256
    python benchmarks/upscale_memory.py --sizes 500 1000 2000 --weights runs/c/x8/final.safetensors

Prints, per LR side: the output size, the output's bytes as uint8 (what must be held at least),
the process's resident memory before upscaling (torch + model) and its peak during it, and the
time. Tiles are written straight into the uint8 output (``srlib.inference.run_tiled_uint8``), so
the peak grows with the uint8 output, not with a float copy of it.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

_CHILD = r"""
import json, resource, sys, time
import numpy as np, torch
torch.set_num_threads(int(sys.argv[4]))
from srlib.inference import load_checkpoint, _upscaler_for
from srlib.models import build_model
side, scale, weights = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
if weights:
    loaded = load_checkpoint(weights)
else:
    import tempfile
    from srlib.training.checkpoint import save_weights
    kwargs = {"scale": scale, "channels": 32, "blocks_per_level": [4, 2, 1][: scale.bit_length() - 1],
              "hr_blocks": 0, "image_skip": "bicubic"}
    path = tempfile.mkdtemp() + "/m.safetensors"
    save_weights(path, build_model("csrcnn", **kwargs).state_dict(),
                 {"model": "csrcnn", "model_kwargs": kwargs, "scale": scale, "step": 0, "fade_alpha": 1.0})
    loaded = load_checkpoint(path)
img = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
up, _, _ = _upscaler_for(loaded, scale, "cpu", None, 24, False)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
sr = up(img, scale)
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"shape": list(sr.shape), "before_kb": before, "peak_kb": peak, "seconds": seconds}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256], help="LR sides")
    ap.add_argument("--scale", type=int, default=8, choices=[2, 4, 8])
    ap.add_argument("--weights", default="", help="a checkpoint (default: a random quick-profile CSRCNN)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    root = str(Path(__file__).resolve().parents[1])
    print(f"{'LR side':>8} {'output':>13} {'uint8 MB':>9} {'RSS before MB':>14} {'peak RSS MB':>12} "
          f"{'peak - before':>14} {'seconds':>8}")
    for side in args.sizes:
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(side), str(args.scale), args.weights,
                               str(args.threads)], capture_output=True, text=True, cwd=root,
                              env={"PYTHONPATH": root, "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": str(args.threads)})
        if proc.returncode:
            print(f"{side:>8} failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        h, w, c = r["shape"]
        mb = h * w * c / 2**20
        before, peak = r["before_kb"] / 1024, r["peak_kb"] / 1024
        print(f"{side:>8} {f'{w}x{h}':>13} {mb:9.1f} {before:14.0f} {peak:12.0f} {peak - before:14.0f} "
              f"{r['seconds']:8.1f}")


if __name__ == "__main__":
    main()
