#!/usr/bin/env python
"""Publish a finished training run as a reference result folder.

::

    PYTHONPATH=. SRLIB_DATA_DIR=/path/to/data python scripts/publish_reference.py runs/ref-x2-cpu/run results/reference/x2 \\
        --device-label "CPU (2 cores, shared)" --command "$(cat runs/ref-x2-cpu.cmd)" \\
        --start-info runs/ref-x2-cpu/start_info.txt --datasets Set5,Set14,B100

writes into the destination folder:

    weights_fp16.safetensors  the run's final.safetensors in fp16 (srlib header kept)
    log.csv                   the engine's training log
    metrics.json              the fp16 weights on each benchmark (the paper's protocol, Y channel),
                              next to bicubic (measured here) and the paper's Table V rows
    provenance.json           profile, every override, steps, device, threads, torch, wall time,
                              training images, git commit at the start of the run, dates, and the
                              published result it started from (srlib.publishing.write_provenance)

The folder is one published result (srlib.published); the helpers are srlib.publishing's.

Every number comes from the run's own files or from an evaluation done here.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from srlib.data.fetch import file_sha256
from srlib.publishing import bicubic_scores, evaluate_weights, export_fp16, write_provenance
from srlib.repository import REPO_ROOT


def _targets() -> dict:
    from srlib.paper import paper_cell

    return {s: paper_cell("table5", method="CSRCNN", scale=s, dataset="Set5", column="psnr") for s in (2, 4, 8)}


def write_readme(dest: Path, metrics: dict, prov: dict) -> None:
    """README.md of a results folder, every number taken from metrics.json / provenance.json."""
    scale = prov["scale"]
    targets = _targets()
    rows = []
    for ds, r in metrics["results"].items():
        paper = metrics["paper_table5"].get(ds, {})
        p = paper.get("CSRCNN_psnr")
        rows.append(f"| {ds}{' (' + r['subset'] + ')' if r['subset'] else ''} | {r['images']} | "
                    f"{r['psnr']:.2f} / {r['ssim']:.4f} | {r['bicubic_psnr']:.2f} / {r['bicubic_ssim']:.4f} | "
                    f"{r['gain_over_bicubic_db']:+.2f} | {p if p is not None else '-'} | "
                    f"{(r['psnr'] - p) if (p is not None and not r['subset']) else float('nan'):+.2f} |")
    set5 = metrics["results"].get("Set5", {})
    status = (f"was stopped after step {prov['steps']} of its {prov['config']['steps']}-step schedule (weights: "
              f"{prov['weights_source']}, in fp16)" if prov.get("stopped_early") else
              f"completed its {prov['steps']}-step schedule")
    notes = "\n".join(f"* {n}" for n in prov.get("notes", []))
    from srlib.training import preset

    ref_steps = preset("reference", scale).steps
    text = f"""# Reference CSRCNN x{scale} -- interim CPU result

**This is an interim result trained on a shared 2-core CPU, not the reference the project aims
at.** It is the paper's architecture at full width (64 channels, U blocks (6, 4, 2) in levels 1-3, of which
x{scale} uses {'level 1' if scale == 2 else f'levels 1-{scale.bit_length() - 1}'}, one refined block per level; the `reference` profile, whose
deviations from the paper, the bicubic image skip and PyTorch's default init, are measured in
docs/training.md), trained for only {prov['steps']} steps of batch {prov['batch_size']}
({prov['patches_seen']} LR patches of 32x32, ~{prov['s_per_step']:.1f} s per step on
{prov['device']}, {prov['threads']} thread; {prov['wall_time_s'] / 60:.1f} min of wall time). The run
{status}. The `reference` profile's x{scale} stage is {ref_steps} steps; the paper trained for
about four days on a GTX 1080Ti with DIV2K.

## Results (fp16 weights in this folder; the paper's protocol: Y channel, {scale} pixels shaved, MATLAB bicubic LR, MATLAB SSIM)

| set | images | this model PSNR / SSIM | bicubic (measured) | gain over bicubic (dB) | paper CSRCNN PSNR | this - paper (dB) |
|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Urban100 is not evaluated here: at full width its 100 large images cost hours on a CPU (it is
the largest of the four sets, 130 MB of HR images);
`python -m srlib evaluate results/reference/x{scale}/weights_fp16.safetensors --dataset Urban100 --scale {scale}`
gives it.

**Distance to the targets** (Set5 PSNR, data/paper/table5_benchmarks.csv): x2 target {targets[2]}
dB, this model {set5.get('psnr', float('nan')):.2f} dB: **{set5.get('psnr', float('nan')) - targets[2]:+.2f} dB**.
x4 (target {targets[4]} dB) and x8 (target {targets[8]} dB): no weights yet; those stages are
trained on GPU windows with `scripts/gpu_stage.sh` (scripts/README.md).

fp16 check: the float32 weights of the run give {metrics['fp32_check']['Set5_psnr']:.4f} dB on Set5,
the fp16 file {set5.get('psnr', float('nan')):.4f} dB ({metrics['fp32_check']['fp16_minus_fp32_db']:+.4f} dB).

## What would close the gap

* Steps: the `reference` profile's x2 stage is 20000 steps; this run did {prov['steps']}.
  `scripts/gpu_stage.sh --scale 2` trains as many as its speed probe says fit in one ~8-minute
  GPU window (bf16, channels_last); how many that is was not measured here (no GPU was used).
* The curriculum: x4 from these weights, x8 from x4, one stage per GPU window.
* Data: the paper trains on DIV2K (800 2K images); this run used the 291 images of T91 + BSD200.

## Files

* `weights_fp16.safetensors`: the model, float16 tensors with srlib's header (model, arguments,
  training config); `srlib.inference.load_checkpoint`, `python -m srlib evaluate` / `upscale`
  and `hubconf.py` load it into the float32 model. sha256 `{prov['weights_sha256']}`.
* `log.csv`: the engine's training log (step, epoch, loss, lr, wall time, loss kind, patches/s).
* `metrics.json`: the table above with per-set timings and the paper's cells.
* `provenance.json`: profile, every override of it, the whole config, steps, device, threads,
  torch version, wall time, training images, the git commit at the start of the run
  ({prov['git_commit']}), dates, the command.
{notes}

## Reproduce

```bash
git checkout {prov['git_commit']}   # the commit the run started from
{prov['command']}
# if stopped (Ctrl-C / SIGINT writes a checkpoint), continue with the same command plus --resume.
# A run stopped early (provenance.json: stopped_early) is published from its checkpoint at that step:
# on a CPU with the same thread count that checkpoint is the same bit for bit however long the run goes on.
PYTHONPATH=. SRLIB_DATA_DIR=/work/shared/data python scripts/publish_reference.py runs/ref-x2-cpu/run results/reference/x2 \\
    --device-label "{prov['device']}" --command "<the command>" --start-info runs/ref-x2-cpu/start_info.txt
```

On a CPU with the same seed and thread count the run is repeatable bit for bit (docs/training.md);
the timings are this machine's, shared with another job.
"""
    (dest / "README.md").write_text(text)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run", nargs="?", default="", help="the run directory (final.safetensors, config.json, summary.json, log.csv)")
    p.add_argument("dest", nargs="?", default="", help="results folder, e.g. results/reference/x2")
    p.add_argument("--datasets", default="Set5,Set14,B100")
    p.add_argument("--limit", action="append", default=[], metavar="DATASET=N",
                   help="evaluate only the first N images of DATASET (labelled as a subset)")
    p.add_argument("--device-label", default="", help='e.g. "CPU (2 cores, shared)"')
    p.add_argument("--command", default="", help="the exact training command")
    p.add_argument("--start-info", default="", help="file: git commit, UTC start date (written at the start)")
    p.add_argument("--note", action="append", default=[])
    p.add_argument("--bicubic-json", default="",
                   help="bicubic scores measured before ({dataset: {images, psnr, ssim}}, from --bicubic-only)")
    p.add_argument("--bicubic-only", default="", metavar="JSON",
                   help="only measure bicubic on --datasets at --scale into this file, then exit")
    p.add_argument("--scale", type=int, default=2)
    p.add_argument("--shards", type=int, default=1, help="evaluate each set in this many 1-thread processes")
    p.add_argument("--skip-eval", action="store_true", help="keep the dest's metrics.json (provenance only)")
    args = p.parse_args(argv)

    if args.bicubic_only:
        root = Path(os.environ.get("SRLIB_DATA_DIR") or "data")
        scores = {ds: bicubic_scores(ds, args.scale, root, None) for ds in args.datasets.split(",") if ds}
        Path(args.bicubic_only).write_text(json.dumps(scores, indent=2))
        print(scores)
        return 0
    import torch

    from srlib.training.data import resolve_train_sets
    from srlib.paper import paper_cell
    from srlib.runfolder import RunFolder
    from srlib.training import TrainConfig, preset

    run, dest = Path(args.run), Path(args.dest)
    dest.mkdir(parents=True, exist_ok=True)
    cfg = TrainConfig.load(run / "config.json")
    root = Path(os.environ.get("SRLIB_DATA_DIR") or "data")
    if RunFolder(run).complete:
        source = RunFolder(run).final_weights
        summary = RunFolder(run).summary()
    else:  # stopped (Ctrl-C / SIGINT) before its last step: publish the newest checkpoint, labelled so
        from srlib.training import checkpoint as ck

        step, wpath, spath = RunFolder(run).latest_checkpoint()
        state = ck.load_state(spath)
        source = Path(wpath)
        summary = {"steps": int(state["step"]), "wall_time": float(state["wall_time"]),
                   "train_seconds": float(state["train_seconds"]), "scores": {},
                   "stopped_early": f"checkpoint {source.name}: step {state['step']} of {cfg.steps}"}
        args.note.append(f"published from the newest checkpoint, step {state['step']} of the {cfg.steps}-step "
                         f"schedule ({source.name}); the run is resumable with the same command plus --resume")

    weights = export_fp16(source, dest / "weights_fp16.safetensors", {"device": args.device_label})
    shutil.copyfile(run / "log.csv", dest / "log.csv")

    limits = {k: int(v) for k, _, v in (s.partition("=") for s in args.limit)}
    bic_cache = json.loads(Path(args.bicubic_json).read_text()) if args.bicubic_json else {}
    if not args.skip_eval:
        results = {}
        for ds in [d for d in args.datasets.split(",") if d]:
            print(f"evaluating {ds} ...", flush=True)
            results[ds] = evaluate_weights(weights, ds, cfg.scale, root, limits.get(ds), bic_cache.get(ds), args.shards)
            print(f"  {ds}: {results[ds]}", flush=True)
        fp32 = evaluate_weights(source, "Set5", cfg.scale, root, None, bic_cache.get("Set5") or results.get("Set5") and
                         {"images": results["Set5"]["images"], "psnr": results["Set5"]["bicubic_psnr"],
                          "ssim": results["Set5"]["bicubic_ssim"]})
        paper = {}
        for ds in ("Set5", "Set14", "B100", "Urban100"):
            try:
                paper[ds] = {"CSRCNN_psnr": paper_cell("table5", method="CSRCNN", scale=cfg.scale, dataset=ds,
                                                       column="psnr"),
                             "CSRCNN_ssim": paper_cell("table5", method="CSRCNN", scale=cfg.scale, dataset=ds,
                                                       column="ssim"),
                             "Bicubic_psnr": paper_cell("table5", method="Bicubic", scale=cfg.scale, dataset=ds,
                                                        column="psnr")}
            except Exception as err:  # pragma: no cover - a cell the paper lacks
                paper[ds] = {"error": str(err)}
        gap = {ds: round(r["psnr"] - paper[ds]["CSRCNN_psnr"], 4) for ds, r in results.items()
               if "CSRCNN_psnr" in paper.get(ds, {}) and not r["subset"]}
        metrics = {
            "weights": weights.name, "scale": cfg.scale,
            "protocol": "srlib.evaluation.evaluate: PSNR/SSIM on Y (BT.601), scale pixels shaved, MATLAB bicubic "
                        "LR, MATLAB SSIM window; outputs rounded to uint8 (the paper's protocol)",
            "results": results,
            "paper_table5": paper,
            "psnr_minus_paper_db": gap,
            "fp32_check": {"weights": f"{source.name} of the run (float32, not committed)", "Set5_psnr": fp32["psnr"],
                           "Set5_ssim": fp32["ssim"],
                           "fp16_minus_fp32_db": round(results.get("Set5", {}).get("psnr", float("nan")) - fp32["psnr"], 4)},
            "torch": torch.__version__,
            "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (dest / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")

    start = Path(args.start_info).read_text().split() if args.start_info else []
    ref = preset(cfg.profile, cfg.scale).to_dict()
    overrides = {k: v for k, v in cfg.to_dict().items() if json.dumps(v, sort_keys=True) != json.dumps(ref.get(k), sort_keys=True)}
    srlib_changes = subprocess.run(["git", "-C", str(REPO_ROOT), "diff", "--name-only", start[0] if start else "HEAD", "--",
                                    "srlib"], capture_output=True, text=True).stdout.split()
    steps = int(summary["steps"])
    train_s = float(summary.get("train_seconds", 0.0))
    images = {label: len(paths) for label, paths in resolve_train_sets(cfg.train_sets, root)}  # sets or folders
    provenance = {
        "status": "completed" if steps == cfg.steps else "incomplete",
        "kind": "interim CPU reference; not the paper's training",
        "profile": cfg.profile,
        "scale": cfg.scale,
        "overrides": overrides,
        "config": cfg.to_dict(),
        "steps": steps,
        "batch_size": cfg.batch_size,
        "patches_seen": steps * cfg.batch_size,
        "device": args.device_label,
        "threads": cfg.threads,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "wall_time_s": round(float(summary["wall_time"]), 1),
        "train_seconds": round(train_s, 1),
        "s_per_step": round(train_s / steps, 3) if steps else None,
        "in_run_validation": summary.get("scores", {}),
        "stopped_early": summary.get("stopped_early"),
        "weights_source": source.name,
        "training_images": {"sets": images, "total": sum(images.values()), "aug_scales": list(cfg.aug_scales),
                            "source": "$SRLIB_DATA_DIR/train (T91 .bmp, BSD200 .png)"},
        "git_commit": start[0] if start else None,
        "srlib_changed_since_commit": srlib_changes,
        "started_utc": start[1] if len(start) > 1 else None,
        "published_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": args.command,
        "weights_sha256": file_sha256(weights),
        "weights_dtype": "float16 (trained in float32; loads into the float32 model)",
        "notes": args.note,
    }
    write_provenance(dest, provenance, dest.parent.parent)  # with its parent and compute from scratch
    if (dest / "metrics.json").is_file():
        write_readme(dest, json.loads((dest / "metrics.json").read_text()), provenance)
    print(f"wrote {dest}: {sorted(p.name for p in dest.iterdir())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
