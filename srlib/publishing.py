"""What every writer of a published result (:mod:`srlib.published`'s one layout) shares:
``scripts/publish_reference.py``, ``scripts/gpu_stage.py`` and :func:`srlib.campaign.publish`.

* :func:`export_fp16`: a checkpoint as the fp16 ``weights_fp16.safetensors`` (srlib header kept);
* :func:`check_fp16_reload`: that file reloaded through :mod:`srlib.inference` and evaluated;
* :func:`evaluate_weights`: the paper's protocol on one benchmark, beside bicubic, optionally
  split over single-thread processes (the same per-image loop as :func:`srlib.evaluation.evaluate`);
* :func:`add_evaluations`: benchmarks a published result was not (fully) evaluated on, added to
  its ``metrics.json`` from its fp16 weights, without the run folder that trained it;
* :func:`write_provenance`: ``provenance.json`` with its lineage (``parent``,
  ``train_flops_total``: :func:`srlib.published.lineage`) recorded at publish time;
* :func:`pack_resume` / :func:`unpack_resume`: a run folder's newest checkpoint as parts that a
  size-limited transfer carries back, and the run folder rebuilt from them.
"""
from __future__ import annotations

import io
import json
import tarfile
import time
from pathlib import Path

from .files import atomic_write
from .provenance import now_utc
from .published import lineage

__all__ = ["export_fp16", "check_fp16_reload", "bicubic_scores", "evaluate_weights", "add_evaluations", "write_provenance",
           "pack_resume", "unpack_resume"]


def export_fp16(src: str | Path, dst: str | Path, extra_meta: dict | None = None,
                max_bytes: int | None = None) -> Path:
    """Write ``src`` (an srlib checkpoint) as fp16 safetensors with the same header (+ ``extra_meta``).

    Float tensors become float16 (refused if any value would overflow fp16); others are kept.
    ``load_checkpoint`` loads the result into the float32 model (``load_state_dict`` casts).
    ``max_bytes``: refuse a file of that size or more (a transfer's limit)."""
    import torch

    from .training import checkpoint as ck

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
    path = Path(ck.save_weights(dst, out, meta))
    size = path.stat().st_size
    if max_bytes is not None and size >= max_bytes:
        raise ValueError(f"{dst} is {size / 2**20:.1f} MiB, over the {max_bytes / 2**20:.0f} MiB limit")
    return path


def check_fp16_reload(weights: Path, data_root: Path, scale: int, dataset: str = "Set5", limit: int = 0,
                      device: str = "auto") -> dict:
    """Reload the fp16 file through srlib.inference and evaluate it (the protocol's PSNR / SSIM)."""
    import torch

    from .evaluation import evaluate
    from .inference import load_checkpoint, load_upscaler
    from .training import checkpoint as ck

    loaded = load_checkpoint(weights)
    dtypes = sorted({str(p.dtype) for p in loaded.model.parameters()})
    file_dtypes = sorted({str(t.dtype) for t in ck.load_weights(weights)[0].values()})
    up, name = load_upscaler(weights, scale=scale, device=device, progress=False)
    res = evaluate(up, dataset, scale, method=name, root=data_root, progress=False, limit=limit or None)
    return {"dataset": dataset, "scale": scale, "images": len(res.images), "psnr": round(res.psnr, 4),
            "ssim": round(res.ssim, 5), "file_dtypes": file_dtypes, "model_dtypes_after_load": dtypes,
            "torch": torch.__version__}


def bicubic_scores(dataset: str, scale: int, root: Path, limit: int | None) -> dict:
    """``{images, psnr, ssim}`` of bicubic on ``dataset`` (the paper's protocol)."""
    from .evaluation import bicubic_upscaler, evaluate

    bic = evaluate(bicubic_upscaler, dataset, scale, root=root, progress=False, limit=limit)
    return {"images": len(bic.images), "psnr": round(bic.psnr, 4), "ssim": round(bic.ssim, 5)}


def _shard(job: tuple) -> list[tuple[int, str, float, float]]:
    """Per-image scores (srlib.evaluation.evaluate's loop) of the images ``index % shards == shard``
    among those not named in ``skip``; with ``partial``, every score is also written to that JSON
    file (``{name: [psnr, ssim]}``) as soon as it is measured, so a stopped evaluation resumes."""
    weights, dataset, scale, root, limit, shard, shards, skip, partial, progress = job
    import numpy as np
    import torch
    from tqdm.auto import tqdm

    from .data import dataset_paths, load_image, make_lr
    from .inference import load_upscaler
    from .metrics import evaluate_pair

    torch.set_num_threads(1)
    up, _ = load_upscaler(weights, scale=scale, device="cpu", progress=False)
    todo = [(i, p) for i, p in enumerate(dataset_paths(dataset, root)[:limit]) if p.stem not in skip]
    out, done = [], {}
    for i, path in tqdm(todo[shard::shards], desc=f"{dataset}, process {shard + 1} of {shards}", disable=not progress):
        hr, lr = make_lr(load_image(path), scale)
        sr = np.asarray(up(lr, scale))
        score = evaluate_pair(sr[..., None] if sr.ndim == 2 else sr, hr, scale)
        out.append((i, path.stem, float(score.psnr), float(score.ssim)))
        if partial:
            done[path.stem] = [float(score.psnr), float(score.ssim)]
            atomic_write(Path(partial), json.dumps(done).encode())
    return out


def _entry(scores: list, bicubic: dict, seconds: float, limit: int | None) -> dict:
    """One benchmark's ``metrics.json`` entry from ``[(index, name, psnr, ssim)]`` in the dataset's order."""
    import numpy as np

    n = len(scores)
    psnr, ssim = float(np.mean([x[2] for x in scores])), float(np.mean([x[3] for x in scores]))
    return {"images": n, "psnr": round(psnr, 4), "ssim": round(ssim, 5),
            "bicubic_psnr": bicubic["psnr"], "bicubic_ssim": bicubic["ssim"],
            "gain_over_bicubic_db": round(psnr - bicubic["psnr"], 4), "eval_seconds": round(seconds, 1),
            "subset": None if not limit else f"first {limit} images (sorted by name) only",
            "per_image": [{"name": name, "psnr": round(float(p), 4), "ssim": round(float(q), 5)}
                          for _, name, p, q in scores]}


def evaluate_weights(weights: Path, dataset: str, scale: int, root: Path, limit: int | None = None,
                     bicubic: dict | None = None, shards: int = 1, progress: bool = False) -> dict:
    """The weights on one benchmark, as ``metrics.json`` stores it: images, PSNR, SSIM, bicubic
    beside them (``bicubic``, measured before, when it covers the same images; else measured
    now), the gain, the seconds, the subset and each image's scores. ``shards`` > 1: the per-image
    loop of :func:`srlib.evaluation.evaluate` split over that many single-thread processes (the
    same means); ``progress``: a progress bar over the images (one process)."""
    from .evaluation import evaluate
    from .inference import load_upscaler

    t0 = time.perf_counter()
    if shards <= 1:
        up, name = load_upscaler(weights, scale=scale, device="cpu", progress=False)
        res = evaluate(up, dataset, scale, method=name, root=root, progress=progress, limit=limit)
        scores = [(i, s.name, s.psnr, s.ssim) for i, s in enumerate(res.images)]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(shards) as pool:
            parts = list(pool.map(_shard, [(str(weights), dataset, scale, str(root), limit, k, shards, frozenset(), None, False)
                                           for k in range(shards)]))
        scores = sorted(x for part in parts for x in part)
    if bicubic is None or bicubic.get("images") != len(scores):
        bicubic = bicubic_scores(dataset, scale, root, limit)
    return _entry(scores, bicubic, time.perf_counter() - t0, limit)


def add_evaluations(folder: Path, datasets, root: Path, shards: int = 1, progress: bool = True) -> list[str]:
    """Evaluate the published result in ``folder`` (its fp16 weights, as when it was published) on
    those of ``datasets`` that its ``metrics.json`` lacks or holds for a subset of the images only,
    in ``shards`` single-thread processes, and store each benchmark there when its last image is
    scored, with the commit and time it was added. Every image's scores are kept under
    ``partial/`` beside it as soon as they are measured, so a stopped evaluation (commit that
    folder) resumes where it stopped. Returns the benchmarks completed now. The run folder that
    trained the weights is not needed. ``progress``: the first process's progress bar."""
    from concurrent.futures import ProcessPoolExecutor

    from .data import dataset_paths
    from .repository import git_commit, uncommitted_paths

    folder = Path(folder)
    path = folder / "metrics.json"
    if not path.is_file():
        raise FileNotFoundError(f"{folder} is not a published result: it has no metrics.json")
    metrics = json.loads(path.read_text())
    scale = int(metrics.get("scale") or json.loads((folder / "provenance.json").read_text())["scale"])
    todo = [d for d in datasets if d not in metrics["results"] or metrics["results"][d].get("subset")]
    names = {d: [p.stem for p in dataset_paths(d, root)] for d in todo}  # every benchmark readable first
    weights = str(folder / metrics.get("weights", "weights_fp16.safetensors"))
    for dataset in todo:
        commit, uncommitted, t0 = git_commit(), uncommitted_paths(), time.perf_counter()
        stored = sorted((folder / "partial").glob(f"{dataset}-*.json"))
        done = {k: v for f in stored for k, v in json.loads(f.read_text()).items()}
        before = len(done)  # scored by an earlier, stopped evaluation
        tag = f"{dataset}-{now_utc().replace(':', '')}"
        jobs = [(weights, dataset, scale, str(root), None, k, shards, frozenset(done),
                 str(folder / "partial" / f"{tag}-{k}.json"), progress and k == 0) for k in range(shards)]
        with ProcessPoolExecutor(shards) as pool:
            for part in pool.map(_shard, jobs):
                done.update({name: [p, q] for _, name, p, q in part})
        scores = [(i, name, *done[name]) for i, name in enumerate(names[dataset])]
        entry = _entry(scores, bicubic_scores(dataset, scale, root, None), time.perf_counter() - t0, None)
        entry["added"] = {"utc": now_utc(), "commit": commit, "uncommitted_paths": uncommitted,
                          "images_scored_before": before}
        metrics["results"][dataset] = entry
        atomic_write(path, (json.dumps(metrics, indent=2) + "\n").encode())
        for f in (folder / "partial").glob(f"{dataset}-*.json"):
            f.unlink()
        if (folder / "partial").is_dir() and not any((folder / "partial").iterdir()):
            (folder / "partial").rmdir()
    return todo


def write_provenance(dest: Path, provenance: dict, results: Path | str | None = None, **dump) -> Path:
    """``<dest>/provenance.json``: ``provenance`` with its lineage recorded now (``parent`` and
    ``train_flops_total`` from its ``init`` (a path or ``{'path': ...}``; else its config's) and its ``train_flops``,
    against the published results under ``results``; fields already given are kept)."""
    init = provenance.get("init") or (provenance.get("config") or {}).get("init") or ""
    init = init.get("path", "") if isinstance(init, dict) else str(init)
    record = {**provenance}
    for key, value in lineage(init, provenance.get("train_flops"), results).items():
        record.setdefault(key, value)
    path = Path(dest) / "provenance.json"
    path.write_text(json.dumps(record, indent=2, **dump) + "\n")
    return path


def pack_resume(run_dir: Path, out: Path, part_bytes: int) -> list[str]:
    """The run folder's newest checkpoint (+ config, log, latest.json) as ``resume.tar.partNN``
    files of at most ``part_bytes`` in ``out``; their names (``[]``: no checkpoint)."""
    from .runfolder import RunFolder

    run = RunFolder(run_dir)
    latest = run.latest_checkpoint()
    if latest is None:
        return []
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for p in (run.config_json, run.log_csv, run.latest_json, Path(latest[1]), Path(latest[2])):
            if p.is_file():
                tar.add(p, arcname=str(p.relative_to(run_dir)))
    data = buf.getvalue()
    names = []
    for i in range(0, len(data), part_bytes):
        name = f"resume.tar.part{i // part_bytes:02d}"
        (out / name).write_bytes(data[i:i + part_bytes])
        names.append(name)
    return names


def unpack_resume(src: Path, run_dir: Path) -> list[Path]:
    """Rebuild ``run_dir`` from the ``resume.tar.part*`` files in ``src`` (:func:`pack_resume`);
    the files it now holds. FileNotFoundError when ``src`` holds no part."""
    parts = sorted(Path(src).glob("resume.tar.part*"))
    if not parts:
        raise FileNotFoundError(f"no resume.tar.part* in {src}")
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(b"".join(p.read_bytes() for p in parts)), mode="r") as tar:
        tar.extractall(run_dir, filter="data")
    return sorted(p for p in run_dir.rglob("*") if p.is_file())
