"""Measured training speed of the engine: steps/s and patches/s per profile and scale.

Runs the real training step of :func:`srlib.training.train` (batch sampling, forward, loss,
backward, optimiser step; no validation, no checkpoints) on synthetic in-memory images, so no
dataset is needed. A script, not a test::

    python benchmarks/train_speed.py                       # quick profile, x2 x4 x8, this device
    python benchmarks/train_speed.py --profiles quick reference --scales 2 4 --steps 10
    python benchmarks/train_speed.py --profiles quick --set channels_last=off --threads 1

Prints one row per (profile, scale): model size, batch, LR patch, seconds per step (median of
the timed steps, after ``--warmup`` untimed ones), steps/s, patches/s, the projected time of the
profile's ``steps`` for that stage, and the achieved GFLOP/s (``srlib.training.flops.
training_flops_per_step``: 6 FLOPs per forward convolution MAC) beside the machine's practical
peak: a plain 3x3, 64 -> 64 convolution's forward + backward on 16 x 64 x 48 x 48, timed in
the same run (``--no-peak`` skips it). ``--ops`` adds the operators that take the time
(torch.profiler, self CPU time of a few training steps), to say where the rest goes.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from srlib.training.flops import training_flops_per_step
from srlib.training import TrainingSet, preset, train


def _images(n: int, size: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    out = []
    for _ in range(n):
        img = np.zeros((size, size, 3))
        for c in range(3):
            for _ in range(4):
                img[..., c] += np.sin(rng.uniform(0.01, 0.3) * x + rng.uniform(0.01, 0.3) * y + rng.uniform(0, 6.3))
        out.append(((img - img.min()) / (img.max() - img.min()) * 255).round().astype(np.uint8))
    return out


def conv_peak_gflops(repeats: int = 10) -> float:
    """GFLOP/s of a plain 3x3, 64 -> 64 convolution, forward + backward (input and weight
    gradients), on a 16 x 64 x 48 x 48 float32 batch: the best this device does on the
    operation that dominates the models (median of ``repeats`` after 2 warm-ups)."""
    conv = torch.nn.Conv2d(64, 64, 3, padding=1)
    x = torch.randn(16, 64, 48, 48, requires_grad=True)
    macs = 16 * 64 * 48 * 48 * 64 * 9
    times = []
    for i in range(repeats + 2):
        t = time.perf_counter()
        conv(x).sum().backward()
        if i >= 2:
            times.append(time.perf_counter() - t)
    return 6 * macs / statistics.median(times) / 1e9


def top_ops(cfg, data, steps: int = 3, n: int = 8) -> list[tuple[str, float]]:
    """``(operator, share of self CPU time)`` of the ``n`` costliest operators over ``steps``
    training steps of ``cfg``."""
    from torch.profiler import ProfilerActivity, profile

    with tempfile.TemporaryDirectory() as tmp, profile(activities=[ProfilerActivity.CPU]) as prof:
        train(cfg.replace(steps=steps), Path(tmp) / "run", data=data)
    events = [e for e in prof.key_averages() if e.self_cpu_time_total > 0]
    total = sum(e.self_cpu_time_total for e in events)
    events.sort(key=lambda e: -e.self_cpu_time_total)
    return [(e.key, e.self_cpu_time_total / total) for e in events[:n]]


def _parse_set(items: list[str]) -> dict:
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profiles", nargs="+", default=None, help="default: quick (CPU); quick reference paper (CUDA)")
    ap.add_argument("--scales", nargs="+", type=int, default=[2, 4, 8])
    ap.add_argument("--steps", type=int, default=8, help="timed steps per row")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: leave as is)")
    ap.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE", help="config overrides, e.g. channels=32")
    ap.add_argument("--json", action="store_true", help="print JSON rows instead of a table")
    ap.add_argument("--no-peak", action="store_true", help="skip the plain-convolution peak measurement")
    ap.add_argument("--ops", action="store_true", help="also print the costliest operators per row")
    args = ap.parse_args(argv)
    cuda = torch.cuda.is_available()
    profiles = args.profiles or (["quick", "reference", "paper"] if cuda else ["quick", "campaign"])
    device = torch.cuda.get_device_name() if cuda else f"CPU ({torch.get_num_threads()} threads)"
    if args.threads:
        torch.set_num_threads(args.threads)
        device = f"CPU ({args.threads} threads)" if not cuda else device
    overrides = _parse_set(args.set)
    print(f"# srlib training speed on {device}; torch {torch.__version__}; {args.warmup} warm-up + "
          f"{args.steps} timed steps per row", file=sys.stderr)
    data = TrainingSet.from_arrays(_images(6, 512))
    peak = math.nan if args.no_peak or cuda else conv_peak_gflops()
    if not math.isnan(peak):
        print(f"# plain 3x3 64->64 convolution, forward + backward: {peak:.1f} GFLOP/s (the practical peak)",
              file=sys.stderr)
    rows = []
    for profile in profiles:
        for scale in args.scales:
            cfg = preset(profile, scale, curriculum="none", val_every=-1, progress=False, threads=args.threads,
                         ckpt_every=10**9, log_every=10**9, workers=0, **overrides)
            run_cfg = cfg.replace(steps=args.warmup + args.steps, warmup_steps=0)
            with tempfile.TemporaryDirectory() as tmp:
                t = time.perf_counter()
                res = train(run_cfg, Path(tmp) / "run", data=data)
                total = time.perf_counter() - t
            timed = res.step_seconds[args.warmup:]
            sec = statistics.median(timed)
            params = sum(p.numel() for p in res.model.parameters())
            gflops = training_flops_per_step(cfg) / sec / 1e9 if cfg.model == "csrcnn" else math.nan
            row = {"profile": profile, "scale": scale, "device": device, "channels": cfg.channels,
                   "params": params, "batch": cfg.batch_size, "patch": cfg.patch_size,
                   "sec_per_step": sec, "steps_per_s": 1 / sec, "patches_per_s": cfg.batch_size / sec,
                   "profile_steps": cfg.steps, "projected_stage_s": cfg.steps * sec, "run_s": total,
                   "gflop_per_s": gflops, "peak_gflop_per_s": peak, "share_of_peak": gflops / peak}
            rows.append(row)
            if args.json:
                print(json.dumps(row))
            else:
                print(f"{profile:<10} x{scale}  {params / 1e3:8.1f}K params  batch {cfg.batch_size:3d}  "
                      f"LR {cfg.patch_size:2d}  {sec:7.3f} s/step  {1 / sec:7.2f} steps/s  "
                      f"{cfg.batch_size / sec:8.1f} patches/s  {cfg.steps} steps ~ {cfg.steps * sec / 60:6.1f} min  "
                      f"{gflops:6.1f} GFLOP/s ({gflops / peak:.0%} of peak)", flush=True)
            if args.ops:
                for op, share in top_ops(run_cfg, data):
                    print(f"    {share:6.1%}  {op}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
