#!/usr/bin/env python
"""One curriculum stage of the reference CSRCNN inside one GPU window (issue 6).

The lent GPU host (H100 / H200, its own torch, no internet) receives the checkout, the
git-ignored ``.devdata/`` folder (the training images, carried) and runs srlib from the tree
(``PYTHONPATH=.``). One call trains one stage (x2, x4 or x8) from the last committed stage's
weights, stops itself before a wall-clock budget and writes to ``$OUT``:

    weights_fp16.safetensors   the stage's model, fp16, srlib header kept (loads with
                               srlib.inference.load_checkpoint / evaluate / upscale / --init)
    log.csv                    the engine's training log
    provenance.json            profile, every override, steps, device, torch, wall time,
                               images, git commit, the speed probe, the stage's status
    resume.tar.partNN          only when the stage was stopped before its last step: the run
                               directory's newest checkpoint (weights + optimiser state), split
                               into parts of < 16 MiB (``unpack`` puts it back together)
    stage.log                  (when the command tees its output there)

Subcommands::

    # here (CPU machine): build .devdata/ from $SRLIB_DATA_DIR and check the travelling size
    python scripts/gpu_stage.py prepare
    # on the GPU host (scripts/gpu_stage.sh wraps this with PYTHONPATH=. and $OUT):
    python scripts/gpu_stage.py run --scale 4 --init results/reference/x2/weights_fp16.safetensors
    python scripts/gpu_stage.py run --scale 4 --resume          # continue runs/gpu-x4 (same warm machine)
    # here: make a returned bundle a run directory again (then carry it, and run --resume)
    python scripts/gpu_stage.py unpack <fetched $OUT folder> --run-dir runs/gpu-x4
    # any srlib checkpoint -> fp16 safetensors (header kept)
    python scripts/gpu_stage.py export runs/x2/final.safetensors results/reference/x2/weights_fp16.safetensors

Budget: ``--max-minutes`` (default 8.5) counts from the start of the script. A speed probe
(``--probe-steps`` steps of the real configuration, which also builds the data cache and
compiles nothing unless asked) gives seconds per step; the stage's ``steps`` are then sized to
what is left after the measured fixed costs (data loading, final validation, saving) and a
safety margin, capped by the profile's steps. The learning-rate milestones, fade-in and L1 phase
are fractions of ``steps``, so the schedule fits the reduced count; ``alternate_every`` is
scaled to keep the profile's ratio (``steps / 20``). A watchdog interrupts the engine at the
hard deadline in any case: the engine then writes a checkpoint of the current step (its Ctrl-C
path), and the stage is exported as ``interrupted`` with its resume bundle.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import _thread
from pathlib import Path

T_START = time.monotonic()
REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # PYTHONPATH=. is the documented way; this makes `python scripts/...` work too
    sys.path.insert(0, str(REPO))

PART_BYTES = 15 * 2**20  # each file back from $OUT must stay below 16 MiB
MAX_WEIGHTS_BYTES = 16 * 2**20
TRAVEL_LIMIT = 64 * 2**20  # the working tree that travels (code + carried .devdata)
TRAIN_SETS = ("T91", "BSD200")


# ------------------------------------------------------------------------------------ helpers
def git_commit(repo: Path = REPO) -> str:
    try:
        out = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                             check=True, timeout=20).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=20).stdout.strip()
        return out + ("+dirty" if dirty else "")
    except Exception:  # no git / no .git on the host: SRLIB_GIT_COMMIT=<sha> on the command line, or 'unknown'
        return os.environ.get("SRLIB_GIT_COMMIT", "unknown")


def device_name(device: str = "auto") -> str:
    import torch
    if device != "cpu" and torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} logical cores)"


def export_fp16(src: str | Path, dst: str | Path, extra_meta: dict | None = None) -> Path:
    """Write ``src`` (an srlib checkpoint) as fp16 safetensors with the same header (+ ``extra_meta``).

    Float tensors become float16 (refused if any value would overflow fp16); others are kept.
    ``load_checkpoint`` loads the result into the float32 model (``load_state_dict`` casts).
    """
    import torch
    from srlib.training import checkpoint as ck

    tensors, meta = ck.load_weights(src)
    out = {}
    for k, v in tensors.items():
        if v.is_floating_point():
            if v.abs().max().item() > torch.finfo(torch.float16).max:
                raise ValueError(f"{k} has values beyond the float16 range; keep float32")
            out[k] = v.to(torch.float16)
        else:
            out[k] = v
    meta = {k: v for k, v in meta.items() if k not in ("format", "srlib_version")}
    meta.update({"dtype": "float16", "converted_from": Path(src).name})
    meta.update(extra_meta or {})
    path = ck.save_weights(dst, out, meta)
    size = Path(path).stat().st_size
    if size >= MAX_WEIGHTS_BYTES:
        raise ValueError(f"{dst} is {size / 2**20:.1f} MiB, over the 16 MiB limit")
    return Path(path)


def check_fp16_reload(weights: Path, data_root: Path, scale: int, dataset: str = "Set5", limit: int = 0,
                      device: str = "auto") -> dict:
    """Reload the fp16 file through srlib.inference and evaluate it (the protocol's PSNR / SSIM)."""
    import torch
    from srlib.evaluation import evaluate
    from srlib.inference import load_checkpoint, load_upscaler
    from srlib.training import checkpoint as ck

    loaded = load_checkpoint(weights)
    dtypes = sorted({str(p.dtype) for p in loaded.model.parameters()})
    file_dtypes = sorted({str(t.dtype) for t in ck.load_weights(weights)[0].values()})
    up, name = load_upscaler(weights, scale=scale, device=device, progress=False)
    res = evaluate(up, dataset, scale, method=name, root=data_root, progress=False, limit=limit or None)
    return {"dataset": dataset, "scale": scale, "images": len(res.images), "psnr": round(res.psnr, 4),
            "ssim": round(res.ssim, 5), "file_dtypes": file_dtypes, "model_dtypes_after_load": dtypes,
            "torch": torch.__version__}


def tree_bytes(paths: list[Path]) -> int:
    total = 0
    for p in paths:
        if p.is_file():
            total += p.stat().st_size
        elif p.is_dir():
            total += sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
    return total


def travelling_code_bytes(repo: Path = REPO) -> int:
    """Tracked + untracked-not-ignored files: what travels besides the carried paths."""
    try:
        names = subprocess.run(["git", "-C", str(repo), "ls-files", "-z", "--cached", "--others",
                                "--exclude-standard"], capture_output=True, check=True, timeout=30).stdout
    except Exception:
        return 0
    return sum((repo / n).stat().st_size for n in names.decode().split("\0") if n and (repo / n).is_file())


# ------------------------------------------------------------------------------------ prepare
def cmd_prepare(args: argparse.Namespace) -> int:
    """Copy the training images (and validation HR) into .devdata/, as optimised lossless PNG."""
    import numpy as np
    from PIL import Image

    from srlib.data import dataset_paths

    src_root = Path(args.data_dir or os.environ.get("SRLIB_DATA_DIR") or "data")
    dest = Path(args.dest)
    sets = [(name, f"train/{name}") for name in TRAIN_SETS]
    sets += [(name, f"benchmark/{name}/HR") for name in args.val_sets.split(",") if name]
    manifest = {"source_root": str(src_root), "prepared_at_commit": git_commit(), "sets": {}}
    for name, sub in sets:
        files = dataset_paths(name, src_root)
        out_dir = dest / sub
        out_dir.mkdir(parents=True, exist_ok=True)
        n_src = n_out = 0
        for f in files:
            target = out_dir / (f.stem + ".png")
            n_src += f.stat().st_size
            if not target.is_file() or args.force:
                with Image.open(f) as im:
                    im.load()
                    if f.suffix.lower() == ".png" and not args.reencode:
                        shutil.copyfile(f, target)
                    else:
                        buf = io.BytesIO()
                        im.save(buf, format="PNG", optimize=True)
                        with Image.open(io.BytesIO(buf.getvalue())) as back:  # lossless, checked
                            if not np.array_equal(np.asarray(back), np.asarray(im)):
                                raise RuntimeError(f"re-encoding {f} changed its pixels")
                        target.write_bytes(buf.getvalue())
            n_out += target.stat().st_size
        manifest["sets"][name] = {"folder": sub, "images": len(files), "source_bytes": n_src, "bytes": n_out}
        print(f"{name:8s} {len(files):4d} images  {n_src / 2**20:6.1f} MiB -> {n_out / 2**20:6.1f} MiB  ({sub})")
    (dest / "MANIFEST.json").write_text(json.dumps(manifest, indent=2))
    data = tree_bytes([dest])
    code = travelling_code_bytes()
    total = data + code
    print(f".devdata {data / 2**20:.1f} MiB + working tree {code / 2**20:.1f} MiB = {total / 2**20:.1f} MiB "
          f"(limit 64 MiB{'; OVER' if total >= TRAVEL_LIMIT else ''})")
    return 1 if total >= TRAVEL_LIMIT else 0


# ------------------------------------------------------------------------------------ run
def _parse_set(items: list[str]) -> dict:
    from dataclasses import fields
    import typing

    from srlib.training.config import TrainConfig

    hints = typing.get_type_hints(TrainConfig)
    names = {f.name for f in fields(TrainConfig)}
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if key not in names:
            raise SystemExit(f"--set {item}: unknown config field {key!r}")
        tp = hints[key]
        if tp is bool:
            out[key] = value.lower() in ("1", "true", "yes", "on")
        elif tp is int:
            out[key] = int(value)
        elif tp is float:
            out[key] = float(value)
        elif tp is dict:
            out[key] = json.loads(value)
        else:
            out[key] = value  # tuples: TrainConfig splits "a,b" itself
    return out


class Watchdog:
    """Interrupts the main thread (KeyboardInterrupt) at ``deadline`` (monotonic seconds)."""

    def __init__(self, deadline: float):
        self.fired = False
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        print(f"[gpu_stage] watchdog: wall-clock budget reached at {time.monotonic() - T_START:.0f} s; "
              "interrupting (the engine checkpoints the current step)", flush=True)
        _thread.interrupt_main()

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()
        return False


def _bundle(run_dir: Path, out: Path) -> list[str]:
    """The run directory's newest checkpoint (+ config, log, latest.json) as tar parts < 16 MiB."""
    from srlib.runfolder import RunFolder

    run = RunFolder(run_dir)
    latest = run.latest_checkpoint()
    if latest is None:
        return []
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for p in (run.config_json, run.log_csv, run.latest_json, Path(latest[1]),
                  Path(latest[2])):
            if p.is_file():
                tar.add(p, arcname=str(p.relative_to(run_dir)))
    data = buf.getvalue()
    names = []
    for i in range(0, len(data), PART_BYTES):
        name = f"resume.tar.part{i // PART_BYTES:02d}"
        (out / name).write_bytes(data[i:i + PART_BYTES])
        names.append(name)
    return names


def cmd_run(args: argparse.Namespace) -> int:
    import torch

    from srlib.data.fetch import file_sha256
    from srlib.runfolder import RunFolder
    from srlib.training import TrainConfig, preset, train
    from srlib.training import checkpoint as ck

    deadline = T_START + args.max_minutes * 60.0
    # The watchdog (and a SIGTERM, e.g. from `timeout`) must reach the engine as KeyboardInterrupt even
    # when the command was started in the background with SIGINT ignored (interrupt_main does nothing then).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: _thread.interrupt_main())
    out = Path(args.out or os.environ.get("OUT") or "gpu_stage_out")
    out.mkdir(parents=True, exist_ok=True)
    run_dir = Path(args.run_dir or f"runs/gpu-x{args.scale}")
    data_root = Path(args.data_root).resolve()
    commit = git_commit()
    overrides = _parse_set(args.set or [])
    print(f"[gpu_stage] torch {torch.__version__}, device {device_name(args.device)}, commit {commit}", flush=True)

    probe: dict = {}
    if args.resume:
        if ck.latest_checkpoint(run_dir) is None:
            raise SystemExit(f"--resume: {run_dir} holds no checkpoint (unpack a resume bundle there first)")
        cfg = TrainConfig.load(run_dir / "config.json")
        runtime = {k: v for k, v in overrides.items()}
        cfg = cfg.replace(data_root=str(data_root), device=args.device, **runtime)
    else:
        if (run_dir / "checkpoints").is_dir() and ck.latest_checkpoint(run_dir) is not None:
            raise SystemExit(f"{run_dir} already holds checkpoints: pass --resume, or --run-dir elsewhere")
        val_sets = ",".join(s for s in ("Set5", "Set14") if (data_root / "benchmark" / s / "HR").is_dir()) or "Set5"
        base = dict(data_root=str(data_root), device=args.device, val_every=0, val_sets=val_sets,
                    keep_checkpoints=1, progress=False, workers=args.workers, threads=args.threads)
        if args.init:
            base["init"] = str(Path(args.init).resolve())
        base.update(overrides)
        cfg = preset(args.profile, args.scale, **base)
        cap = int(overrides.get("steps", cfg.steps if not args.steps_cap else args.steps_cap))

    if not args.resume and args.fixed_steps:
        cfg = cfg.replace(ckpt_every=max(1, cfg.steps // args.checkpoints))
    elif not args.resume:
        # ---- speed probe: the real configuration for a few steps (also builds the data cache)
        with tempfile.TemporaryDirectory(prefix="gpu_stage_probe_") as tmp:
            pcfg = cfg.replace(steps=args.probe_steps, ckpt_every=args.probe_steps, log_every=args.probe_steps)
            t0 = time.monotonic()
            with Watchdog(deadline - args.reserve_s):
                res = train(pcfg, Path(tmp) / "probe")
            probe_wall = time.monotonic() - t0
        warm = min(len(res.step_seconds) - 1, max(1, args.probe_steps // 5))
        s_step = statistics.median(res.step_seconds[warm:])
        fixed = max(0.0, probe_wall - sum(res.step_seconds))  # data load, model build, validation, save
        left = deadline - time.monotonic() - fixed - args.reserve_s
        steps = int(left / (s_step * (1.0 + args.margin)))
        steps = max(1, min(cap, steps))
        probe = {"steps": args.probe_steps, "s_per_step_median": s_step, "first_step_s": res.step_seconds[0],
                 "wall_s": probe_wall, "fixed_costs_s": fixed, "seconds_left_for_steps": left,
                 "steps_cap": cap, "steps_chosen": steps, "probe_psnr": res.scores}
        print(f"[gpu_stage] probe: {s_step * 1000:.1f} ms/step (median of {len(res.step_seconds) - warm}), "
              f"fixed {fixed:.1f} s, {left:.0f} s left -> {steps} steps (cap {cap})", flush=True)
        sized = dict(steps=steps, ckpt_every=max(1, steps // args.checkpoints),
                     log_every=max(1, min(cfg.log_every, steps // 50 or 1)))
        if "alternate_every" not in overrides:
            sized["alternate_every"] = max(1, steps // 20)  # the reference profile's ratio (1000 of 20000)
        cfg = cfg.replace(**sized)

    # ---- the stage
    status = "completed"
    t0 = time.monotonic()
    result = None
    try:
        with Watchdog(deadline - args.reserve_s):
            result = train(cfg, run_dir, resume=args.resume)
    except KeyboardInterrupt:
        status = "interrupted"
    train_wall = time.monotonic() - t0

    # ---- export
    weights_out = out / "weights_fp16.safetensors"
    latest = ck.latest_checkpoint(run_dir)
    src = RunFolder(run_dir).final_weights if status == "completed" else (Path(latest[1]) if latest else None)
    files = []
    verify = None
    if src is not None and src.is_file():
        export_fp16(src, weights_out, {"stage_status": status, "device": device_name(args.device)})
        files.append(weights_out.name)
        if args.verify_dataset and time.monotonic() < deadline + args.reserve_s * 0.5:
            verify = check_fp16_reload(weights_out, data_root, cfg.scale, args.verify_dataset, args.verify_limit,
                                       device=args.device)
    if (run_dir / "log.csv").is_file():
        shutil.copyfile(run_dir / "log.csv", out / "log.csv")
        files.append("log.csv")
    if status != "completed" or args.keep_resume:
        files += _bundle(run_dir, out)
    summary = RunFolder(run_dir).summary() if RunFolder(run_dir).summary_json.is_file() else {}
    step_done = latest[0] if latest else 0
    if status == "completed" and result is not None:
        step_done = result.step
    manifest = {}
    if (data_root / "MANIFEST.json").is_file():
        manifest = json.loads((data_root / "MANIFEST.json").read_text())
    provenance = {
        "status": status,
        "profile": cfg.profile,
        "scale": cfg.scale,
        "overrides": {k: v for k, v in cfg.to_dict().items()
                      if json.dumps(v, sort_keys=True) != json.dumps(preset(cfg.profile, cfg.scale).to_dict().get(k),
                                                                     sort_keys=True)},
        "config": cfg.to_dict(),
        "steps_planned": cfg.steps,
        "steps_done": step_done,
        "resumed": bool(args.resume),
        "init": cfg.init,
        "device": device_name(args.device),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "python": platform.python_version(),
        "wall_time_s_script": time.monotonic() - T_START,
        "wall_time_s_stage_call": train_wall,
        "engine_summary": summary,
        "speed_probe": probe,
        "fp16_reload_check": verify,
        "training_images": {k: v for k, v in manifest.get("sets", {}).items() if k in cfg.train_sets}
        or list(cfg.train_sets),
        "weights_sha256": file_sha256(weights_out) if weights_out.is_file() else None,
        "git_commit": commit,
        "devdata_prepared_at_commit": manifest.get("prepared_at_commit"),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "max_minutes": args.max_minutes,
        "files": files + ["provenance.json"],
        "resume_hint": (None if status == "completed" else
                        f"python scripts/gpu_stage.py unpack <this folder> --run-dir {run_dir}; then carry "
                        f"{run_dir} and .devdata and run: scripts/gpu_stage.sh --scale {cfg.scale} --resume"),
    }
    (out / "provenance.json").write_text(json.dumps(provenance, indent=2, sort_keys=True, default=str))
    psnr = summary.get("scores", {})
    print(f"[gpu_stage] {status}: {step_done}/{cfg.steps} steps in {train_wall:.0f} s; scores {psnr}; "
          f"fp16 check {verify}; total {time.monotonic() - T_START:.0f} s; files {provenance['files']}", flush=True)
    return 0 if status == "completed" else 2


# ------------------------------------------------------------------------------------ unpack / export
def cmd_unpack(args: argparse.Namespace) -> int:
    src = Path(args.bundle)
    parts = sorted(src.glob("resume.tar.part*"))
    if not parts:
        raise SystemExit(f"no resume.tar.part* in {src}")
    data = b"".join(p.read_bytes() for p in parts)
    run_dir = Path(args.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
        tar.extractall(run_dir, filter="data")
    print(f"unpacked {len(parts)} part(s) into {run_dir}: {sorted(p.name for p in run_dir.rglob('*') if p.is_file())}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    path = export_fp16(args.src, args.dst)
    print(f"{path}: {path.stat().st_size / 2**20:.2f} MiB fp16")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    q = sub.add_parser("prepare", help="build .devdata/ (training + validation images) from $SRLIB_DATA_DIR")
    q.add_argument("--data-dir", default=None)
    q.add_argument("--dest", default=str(REPO / ".devdata"))
    q.add_argument("--val-sets", default="Set5", help="validation HR sets to include (comma-separated; Set14 adds 4.8 MiB)")
    q.add_argument("--no-reencode", dest="reencode", action="store_false", help="copy PNG sources as they are (default: re-encode them as optimised PNG, lossless, checked)")
    q.add_argument("--force", action="store_true")
    q.set_defaults(func=cmd_prepare)

    r = sub.add_parser("run", help="train one stage inside the time budget and export to $OUT")
    r.add_argument("--scale", type=int, required=True)
    r.add_argument("--profile", default="reference")
    r.add_argument("--init", default="", help="previous stage's weights (the committed fp16 file works)")
    r.add_argument("--resume", action="store_true", help="continue --run-dir from its newest checkpoint")
    r.add_argument("--run-dir", default="", help="default runs/gpu-x<scale> (git-ignored)")
    r.add_argument("--out", default="", help="default $OUT")
    r.add_argument("--data-root", default=str(REPO / ".devdata"))
    r.add_argument("--max-minutes", type=float, default=8.5, help="wall-clock budget of the whole script")
    r.add_argument("--reserve-s", type=float, default=45.0,
                   help="seconds kept back for export, fp16 check and writing (the watchdog fires before)")
    r.add_argument("--margin", type=float, default=0.08, help="safety factor on the probed step time")
    r.add_argument("--probe-steps", type=int, default=30)
    r.add_argument("--fixed-steps", action="store_true",
                   help="no probe: train the profile's (or --set steps=N) steps; the watchdog still stops it")
    r.add_argument("--steps-cap", type=int, default=0, help="at most this many steps (default: the profile's)")
    r.add_argument("--checkpoints", type=int, default=10, help="checkpoints over the stage (resume granularity)")
    r.add_argument("--device", default="auto")
    r.add_argument("--workers", type=int, default=4)
    r.add_argument("--threads", type=int, default=0)
    r.add_argument("--set", action="append", metavar="FIELD=VALUE", help="override any TrainConfig field")
    r.add_argument("--verify-dataset", default="Set5", help="reload the fp16 file and evaluate it here ('' = skip)")
    r.add_argument("--verify-limit", type=int, default=0)
    r.add_argument("--keep-resume", action="store_true", help="also return the resume bundle when completed")
    r.set_defaults(func=cmd_run)

    u = sub.add_parser("unpack", help="rebuild a run directory from a returned resume bundle")
    u.add_argument("bundle")
    u.add_argument("--run-dir", required=True)
    u.set_defaults(func=cmd_unpack)

    e = sub.add_parser("export", help="srlib checkpoint -> fp16 safetensors")
    e.add_argument("src")
    e.add_argument("dst")
    e.set_defaults(func=cmd_export)

    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
