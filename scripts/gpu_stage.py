#!/usr/bin/env python
"""One curriculum stage of the reference CSRCNN inside one GPU window (issue 6).

The lent GPU host (H100 / H200, its own torch, no internet) receives the checkout, the
git-ignored ``.devdata/`` folder (the training images, carried) and runs srlib from the tree
(``PYTHONPATH=.``, as every command below). One call trains one stage (x2, x4 or x8) from the last committed stage's
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
    PYTHONPATH=. python scripts/gpu_stage.py prepare
    # on the GPU host (scripts/gpu_stage.sh wraps this with PYTHONPATH=. and $OUT):
    python scripts/gpu_stage.py run --scale 4 --init results/reference/x2/weights_fp16.safetensors
    python scripts/gpu_stage.py run --scale 4 --resume          # continue runs/gpu-x4 (same warm machine)
    # here: make a returned bundle a run directory again (then carry it, and run --resume)
    PYTHONPATH=. python scripts/gpu_stage.py unpack <fetched $OUT folder> --run-dir runs/gpu-x4
    # any srlib checkpoint -> fp16 safetensors (header kept)
    PYTHONPATH=. python scripts/gpu_stage.py export runs/x2/final.safetensors results/reference/x2/weights_fp16.safetensors

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

import time

T_START = time.monotonic()  # the budget counts from here, before torch is imported

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import _thread  # noqa: E402
from pathlib import Path  # noqa: E402

from srlib.device import describe_device  # noqa: E402
from srlib.publishing import check_fp16_reload, export_fp16, pack_resume, unpack_resume, write_provenance  # noqa: E402
from srlib.repository import REPO_ROOT as REPO, git_commit  # noqa: E402
from srlib.stage_window import Watchdog, config_overrides, probe_steps, travelling_code_bytes, tree_bytes  # noqa: E402,E501

PART_BYTES = 15 * 2**20  # each file back from $OUT must stay below 16 MiB
MAX_WEIGHTS_BYTES = 16 * 2**20
TRAVEL_LIMIT = 64 * 2**20  # the working tree that travels (code + carried .devdata)
TRAIN_SETS = ("T91", "BSD200")


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
    try:
        overrides = config_overrides(args.set or [])
    except ValueError as err:  # an unknown field: one line, exit 1
        raise SystemExit(str(err))
    print(f"[gpu_stage] torch {torch.__version__}, device {describe_device(args.device)}, commit {commit}", flush=True)

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
        probe = probe_steps(cfg, deadline, probe=args.probe_steps, reserve_s=args.reserve_s, margin=args.margin,
                            cap=cap, started=T_START)
        steps, measured = probe["steps_chosen"], probe.pop("steps_measured")
        print(f"[gpu_stage] probe: {probe['s_per_step_median'] * 1000:.1f} ms/step (median of {measured}), "
              f"fixed {probe['fixed_costs_s']:.1f} s, {probe['seconds_left_for_steps']:.0f} s left -> {steps} steps "
              f"(cap {cap})", flush=True)
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
        with Watchdog(deadline - args.reserve_s, T_START):
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
        export_fp16(src, weights_out, {"stage_status": status, "device": describe_device(args.device)},
                    max_bytes=MAX_WEIGHTS_BYTES)
        files.append(weights_out.name)
        if args.verify_dataset and time.monotonic() < deadline + args.reserve_s * 0.5:
            verify = check_fp16_reload(weights_out, data_root, cfg.scale, args.verify_dataset, args.verify_limit,
                                       device=args.device)
    if (run_dir / "log.csv").is_file():
        shutil.copyfile(run_dir / "log.csv", out / "log.csv")
        files.append("log.csv")
    if status != "completed" or args.keep_resume:
        files += pack_resume(run_dir, out, PART_BYTES)
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
        "device": describe_device(args.device),
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
                        f"PYTHONPATH=. python scripts/gpu_stage.py unpack <this folder> --run-dir {run_dir}; then carry "
                        f"{run_dir} and .devdata and run: scripts/gpu_stage.sh --scale {cfg.scale} --resume"),
    }
    write_provenance(out, provenance, REPO / "results", sort_keys=True, default=str)  # + parent (its init's)
    psnr = summary.get("scores", {})
    print(f"[gpu_stage] {status}: {step_done}/{cfg.steps} steps in {train_wall:.0f} s; scores {psnr}; "
          f"fp16 check {verify}; total {time.monotonic() - T_START:.0f} s; files {provenance['files']}", flush=True)
    return 0 if status == "completed" else 2


# ------------------------------------------------------------------------------------ unpack / export
def cmd_unpack(args: argparse.Namespace) -> int:
    try:
        files = unpack_resume(Path(args.bundle), Path(args.run_dir))
    except FileNotFoundError as err:
        raise SystemExit(str(err))
    print(f"unpacked into {args.run_dir}: {sorted(p.name for p in files)}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    path = export_fp16(args.src, args.dst, max_bytes=MAX_WEIGHTS_BYTES)
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
