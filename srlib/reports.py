"""What the book's notebooks share: provenance of every reproduced number, paper | ours |
difference tables, cached benchmark evaluations and "find or run the training for this config".

The notebooks (``notebooks/*.py``) hold narrative and plots only; everything they compute goes
through :mod:`srlib` and this module, so a reader can re-run any number from Python.

* :func:`git_commit`, :class:`Provenance`: the run behind a number (profile, steps, training
  images, device, git commit, wall time), as one line the book prints under each table.
* :func:`evaluate_grid`: PSNR/SSIM of one upscaler on datasets x scales with the paper's
  protocol. A dataset absent from the data root gives a row whose ``status`` says so (the
  table shows that instead of a number), never an exception. Results can be cached on disk,
  keyed by the upscaler's identity, the protocol code and the dataset files.
* :func:`compare` / :func:`comparison_table`: the paper's values beside ours with differences.
* :func:`find_or_train`: reuse a finished training with the same configuration, or run it
  (the training engine lives in :mod:`srlib.training`).
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from .runfolder import weights_fingerprint  # the one owner (re-exported: run and cache keys use it)

REPO_ROOT = Path(__file__).resolve().parents[1]

#: What a table shows instead of a number for a dataset that is not under the data root.
MISSING = "not available"
#: What a table shows where the paper has no value (e.g. DRCN at x8).
NO_VALUE = "—"

__all__ = [
    "MISSING", "NO_VALUE", "REPO_ROOT", "Provenance", "git_commit", "code_fingerprint",
    "dataset_fingerprint", "evaluate_grid", "matlab_lr_check", "compare", "comparison_table",
    "format_number", "find_or_train", "curriculum_run", "stage_config", "reference_runs",
    "campaign_runs", "committed_results",
    "ReferenceResult", "REFERENCE_FILES", "run_options", "steps_parameter",
    "ablation_run", "evaluate_runs", "describe_steps", "NOISE_SEEDS", "forward_flops",
    "efficiency_table", "TABLE6_GFLOP_BUDGET", "TABLE4_STEPS", "TABLE4_ROWS", "TABLE5_PARTIAL", "ABLATION_STEPS",
    "average_feature_maps", "run_key", "architecture_signature", "RunRecord", "file_sha256", "weights_fingerprint", "resolve",
    "styled", "save_figure", "display_path",
]


# --------------------------------------------------------------------------------------------
# provenance
# --------------------------------------------------------------------------------------------
def git_commit(repo: Path | str = REPO_ROOT) -> str:
    """Short commit hash of ``repo``'s HEAD, with ``+dirty`` when tracked files differ from it;
    ``'unknown'`` outside a git checkout (e.g. an unpacked archive)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=repo, capture_output=True,
                              text=True, timeout=20)
        if head.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                               capture_output=True, text=True, timeout=20)
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


@dataclass
class Provenance:
    """The run behind a reproduced number.

    Attributes:
        what: what was produced, e.g. ``'CSRCNN x4, Set14'`` or ``'Bicubic'``.
        profile: training profile (``'quick'``, ``'reference'``, ...) or ``None`` (no training).
        steps: optimisation steps of the training (``None``: no training).
        training_images: number (or description) of training images (``None``: no training).
        device: the device the number was computed on (e.g. ``'cpu (2 threads)'``).
        commit: git commit of the code (see :func:`git_commit`).
        wall_s: wall time in seconds (training + evaluation where both apply).
        extra: anything else worth printing (run folder, seed, ...).
    """

    what: str
    profile: str | None = None
    steps: int | None = None
    training_images: int | str | None = None
    device: str = ""
    commit: str = field(default_factory=git_commit)
    wall_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        """One human line, e.g. ``'CSRCNN x4: profile quick, 400 steps, 291 training images, ...'``."""
        parts = []
        if self.profile is None and self.steps is None:
            parts.append("no training")
        else:
            parts.append(f"profile {self.profile}")
            if self.steps is not None:
                parts.append(f"{self.steps} steps")
            if self.training_images is not None:
                parts.append(f"{self.training_images} training images")
        if self.device:
            parts.append(f"device {self.device}")
        parts.append(f"commit {self.commit}")
        if self.wall_s is not None and not math.isnan(self.wall_s):
            parts.append(f"wall time {format_duration(self.wall_s)}")
        parts += [f"{k} {v}" for k, v in self.extra.items()]
        return f"{self.what}: " + ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def format_duration(seconds: float) -> str:
    """``42.3 s``, ``3 min 12 s`` or ``1 h 05 min``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


# --------------------------------------------------------------------------------------------
# fingerprints (cache keys)
# --------------------------------------------------------------------------------------------
def file_sha256(path: Path | str, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def code_fingerprint(modules: Sequence[str] = ("matlab.py", "metrics.py", "evaluation.py", "data/io.py",
                                                 "data/__init__.py")) -> str:
    """sha256 (16 hex digits) of the srlib source files that define the evaluation protocol.
    A cached score is reused only while these files are unchanged."""
    h = hashlib.sha256()
    base = Path(__file__).resolve().parent
    for name in modules:
        path = base / name
        h.update(name.encode())
        h.update(path.read_bytes() if path.is_file() else b"<absent>")
    return h.hexdigest()[:16]


def dataset_fingerprint(dataset: str, root: Path | str | None = None) -> str:
    """Fingerprint (16 hex digits) of a dataset's files: names, sizes and modification times."""
    from .data import dataset_paths

    h = hashlib.sha256()
    for p in dataset_paths(dataset, root):
        st = p.stat()
        h.update(f"{p.name}\0{st.st_size}\0{int(st.st_mtime)}\n".encode())
    return h.hexdigest()[:16]


# --------------------------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------------------------
EVAL_COLUMNS = ["method", "scale", "dataset", "psnr", "ssim", "images", "seconds", "status", "cached"]


def evaluate_grid(upscaler: Callable[[np.ndarray, int], np.ndarray] | Callable[[int], Callable],
                  *, method: str, datasets: Iterable[str], scales: Iterable[int],
                  root: Path | str | None = None, cache_dir: Path | str | None = None,
                  cache_key: str | None = None, limit: int | None = None, ssim_window: str = "matlab",
                  per_scale: bool = False, progress: bool = False) -> pd.DataFrame:
    """Evaluate an upscaler on every ``dataset`` x ``scale`` with the paper's protocol.

    Args:
        upscaler: ``(lr uint8, scale) -> sr uint8`` (see :mod:`srlib.evaluation`); with
            ``per_scale=True``, a function ``scale -> upscaler`` (one trained model per scale).
        method: the name shown in tables.
        datasets / scales: what to evaluate. A dataset that is not complete under the data root
            gives a row with ``status = MISSING``-message and NaN scores.
        root: data root (default ``$SRLIB_DATA_DIR`` or ``./data``).
        cache_dir: where to keep one JSON result per cell; ``None``: no cache.
        cache_key: identity of the upscaler (e.g. ``'bicubic'`` or a checkpoint's sha256);
            required with ``cache_dir``. The key is combined with the protocol code's and the
            dataset files' fingerprints, ``limit`` and ``ssim_window``.
        limit: only the first ``limit`` images of each dataset (marked in ``status``).

    Returns:
        One row per cell: ``method, scale, dataset, psnr, ssim, images, seconds, status, cached``;
        ``status`` is ``'ok'``, ``'first N images'`` or the reason the dataset is missing.
    """
    from .data import DatasetNotFoundError, dataset_paths
    from .evaluation import evaluate

    if cache_dir is not None and not cache_key:
        raise ValueError("cache_dir needs a cache_key that identifies the upscaler")
    rows = []
    protocol = code_fingerprint() if cache_dir is not None else ""
    for scale in scales:
        for dataset in datasets:
            row = {"method": method, "scale": int(scale), "dataset": dataset, "psnr": math.nan,
                   "ssim": math.nan, "images": 0, "seconds": 0.0, "status": "ok", "cached": False}
            try:
                n_files = len(dataset_paths(dataset, root))
            except DatasetNotFoundError as exc:
                row["status"] = f"{MISSING}: {exc.spec.name} is not under the data root"
                rows.append(row)
                continue
            cache_file = None
            if cache_dir is not None:
                key = json.dumps([cache_key, protocol, dataset_fingerprint(dataset, root), int(scale), limit,
                                  ssim_window])
                digest = hashlib.sha256(key.encode()).hexdigest()[:20]
                cache_file = Path(cache_dir) / f"{_slug(method)}-{dataset}-x{scale}-{digest}.json"
                if cache_file.is_file():
                    rows.append({**json.loads(cache_file.read_text()), "method": method, "cached": True})
                    continue
            fn = upscaler(int(scale)) if per_scale else upscaler
            result = evaluate(fn, dataset, int(scale), method=method, root=root, ssim_window=ssim_window,
                              progress=progress, limit=limit)
            row.update(psnr=result.psnr, ssim=result.ssim, images=len(result.images), seconds=result.seconds)
            if limit is not None and len(result.images) < n_files:
                row["status"] = f"first {len(result.images)} of {n_files} images"
            if cache_file is not None:
                cache_file.parent.mkdir(parents=True, exist_ok=True)
                tmp = cache_file.with_suffix(".tmp")
                tmp.write_text(json.dumps({k: v for k, v in row.items() if k != "cached"}))
                os.replace(tmp, cache_file)
            rows.append(row)
    return pd.DataFrame(rows, columns=EVAL_COLUMNS)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:60]


def matlab_lr_check(root: Path | str | None = None) -> pd.DataFrame:
    """Compare :func:`srlib.imresize` with every MATLAB-made LR file under the data root.

    The shared data holds MATLAB's own bicubic LR images for Set5 (x2, x3, x4, x8) and Set14
    (x2, x3, x4) in ``benchmark/<set>/LR_bicubic/X<s>/<name>x<s>.png``. The x8 files were made
    from ``im2double`` images (one rounding at the end), the others on uint8 (MATLAB rounds
    after each 1-D pass); both code paths are reproduced here.

    Returns one row per file: ``dataset, scale, image, matlab_path, identical, max_abs_diff``
    (empty when no LR files are present).
    """
    from .data import data_root, load_image
    from .matlab import imresize, modcrop, quantize

    base = data_root(root)
    rows = []
    for dataset in ("Set5", "Set14"):
        lr_root = base / "benchmark" / dataset / "LR_bicubic"
        for scale in (2, 3, 4, 8):
            folder = lr_root / f"X{scale}"
            if not folder.is_dir():
                continue
            path = "double" if scale == 8 else "uint8"
            for hr_path in sorted((base / "benchmark" / dataset / "HR").glob("*.png")):
                lr_path = folder / f"{hr_path.stem}x{scale}.png"
                if not lr_path.is_file():
                    continue
                hr = modcrop(load_image(hr_path), scale)
                if path == "uint8":
                    ours = imresize(hr, 1 / scale)
                else:
                    ours = quantize(imresize(hr.astype(np.float64) / 255.0, 1 / scale))
                theirs = load_image(lr_path)
                same_shape = ours.shape == theirs.shape
                diff = int(np.abs(ours.astype(int) - theirs.astype(int)).max()) if same_shape else -1
                rows.append({"dataset": dataset, "scale": scale, "image": hr_path.stem, "matlab_path": path,
                             "identical": bool(same_shape and diff == 0), "max_abs_diff": diff})
    return pd.DataFrame(rows, columns=["dataset", "scale", "image", "matlab_path", "identical", "max_abs_diff"])


# --------------------------------------------------------------------------------------------
# paper | ours | difference
# --------------------------------------------------------------------------------------------
def compare(paper: pd.DataFrame, ours: pd.DataFrame, on: Sequence[str], values: Sequence[str]) -> pd.DataFrame:
    """Merge the paper's values with ours on the key columns ``on``.

    For each ``v`` in ``values`` the result has ``v_paper``, ``v_ours`` and ``v_diff``
    (ours - paper). Rows of ``paper`` without a match in ``ours`` keep NaN in ``v_ours``; a
    ``status`` column of ``ours`` is carried over (``'not run'`` where there is no row).
    """
    p = paper[list(on) + list(values)].rename(columns={v: f"{v}_paper" for v in values})
    o = ours.assign(status=ours["status"] if "status" in ours.columns else "ok")
    o = o[list(on) + list(values) + ["status"]].rename(columns={v: f"{v}_ours" for v in values})
    merged = p.merge(o, on=list(on), how="left")
    merged["status"] = merged["status"].fillna("not run")
    for v in values:
        merged[f"{v}_diff"] = merged[f"{v}_ours"] - merged[f"{v}_paper"]
    return merged


def format_number(value: Any, decimals: int, signed: bool = False) -> str:
    """A number as text with ``decimals`` digits (``+`` sign when ``signed``); NaN -> :data:`NO_VALUE`."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NO_VALUE
    return f"{value:+.{decimals}f}" if signed else f"{value:.{decimals}f}"


def comparison_table(compared: pd.DataFrame, index: Sequence[str], value: str, decimals: int = 2,
                     columns: str | None = None) -> pd.DataFrame:
    """A display table (strings) with paper | ours | difference for ``value``.

    Args:
        compared: the output of :func:`compare`.
        index: key columns that make the rows (e.g. ``['method', 'scale']``).
        value: which value (``'psnr'``, ``'ssim'``, ...).
        columns: a key column whose values become column groups (e.g. ``'dataset'``), each with
            ``paper``, ``ours``, ``difference``; ``None``: a single group named ``value``.

    Where ours is missing, the ``ours`` cell shows the row's ``status`` (e.g. ``not available:
    Manga109 is not under the data root``) and the difference :data:`NO_VALUE`.
    """
    df = compared.copy()

    def ours_text(r):
        v = r[f"{value}_ours"]
        if v is None or (isinstance(v, float) and math.isnan(v)):
            status = str(r.get("status", "not run"))
            return status.split(":")[0] if status.startswith(MISSING) else status
        text = format_number(v, decimals)
        status = str(r.get("status", "ok"))
        return text if status == "ok" else f"{text} ({status})"

    df["paper"] = df[f"{value}_paper"].map(lambda v: format_number(v, decimals))
    df["ours"] = df.apply(ours_text, axis=1)
    df["difference"] = df[f"{value}_diff"].map(lambda v: format_number(v, decimals, signed=True))
    if columns is None:
        out = df[list(index) + ["paper", "ours", "difference"]].set_index(list(index))
        out.columns = pd.MultiIndex.from_product([[value], ["paper", "ours", "difference"]])
        return out
    order = list(dict.fromkeys(df[columns]))
    wide = df.pivot(index=list(index), columns=columns, values=["paper", "ours", "difference"])
    wide = wide.swaplevel(0, 1, axis=1)
    wide = wide.reindex(columns=pd.MultiIndex.from_product([order, ["paper", "ours", "difference"]]))
    return wide


# --------------------------------------------------------------------------------------------
# trainings
# --------------------------------------------------------------------------------------------
#: Variants of the curriculum notebooks and ablation tables (see :func:`stage_config`).
STAGE_VARIANTS = ("full", "model1", "model2", "model3", "tu", "fsrcnn")


def run_key(config) -> str:
    """sha256 of what a training computes: every :class:`~srlib.training.TrainConfig` field except
    the runtime ones (device, paths, logging, ...), plus the *content* of the ``init``
    checkpoint (:func:`weights_fingerprint`). Two configs with the same key train the same
    network the same way."""
    from .training import RUNTIME_FIELDS

    data = {k: v for k, v in config.to_dict().items() if k not in RUNTIME_FIELDS}
    data["architecture"] = architecture_signature(config)
    if config.init:
        data["init_sha256"] = weights_fingerprint(resolve(config.init))
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def architecture_signature(config) -> str:
    """sha256 (16 hex digits) of the network a training config builds *as the code builds it
    now*: every parameter's name and shape, and for CSRCNN its full resolved configuration
    (defaults included). A run trained before a change of the model code (e.g. a new default)
    therefore gets a different :func:`run_key` and is not reused."""
    import torch

    from .models import build_model

    name, kwargs = config.model_spec()
    with torch.device("meta"):
        model = build_model(name, **kwargs)
    shapes = [[k, list(v.shape)] for k, v in model.state_dict().items()]
    resolved = getattr(getattr(model, "config", None), "to_dict", lambda: {})()
    blob = json.dumps([name, shapes, resolved], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass
class RunRecord:
    """A finished training run (one curriculum stage or one baseline) in ``out_dir``."""

    label: str
    out_dir: Path
    config: Any  # srlib.training.TrainConfig
    reused: bool

    @property
    def weights(self) -> Path:
        return self.out_dir / "final.safetensors"

    @property
    def summary(self) -> dict:
        return json.loads((self.out_dir / "summary.json").read_text())

    @property
    def info(self) -> dict:
        """The engine's ``config.json`` (train config, model, parameters, device, data, ...)."""
        path = self.out_dir / "config.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    @property
    def book(self) -> dict:
        """What :func:`find_or_train` recorded (commit, device description, dates)."""
        path = self.out_dir / "book_run.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    def log(self) -> pd.DataFrame:
        """The training log (``log.csv``: step, epoch, loss, lr, psnr, ssim, wall_time, ...)."""
        return pd.read_csv(self.out_dir / "log.csv")

    def training_images(self) -> int | None:
        sets = self.info.get("data", {}).get("sets", [])
        counts = [e.get("images") for e in sets if isinstance(e, dict)]
        return sum(counts) if counts and all(isinstance(c, int) for c in counts) else None

    def curriculum_steps(self) -> int:
        """This run's steps plus those of the earlier stages it started from (followed through
        each run's recorded ``init`` checkpoint while it lies in a finished run folder)."""
        total = int(self.summary.get("steps") or 0)
        seen = {self.out_dir.resolve()}
        init = self.info.get("init") or {}
        while init.get("path"):
            folder = resolve(init["path"]).parent
            if folder.resolve() in seen or not _complete(folder):
                break
            seen.add(folder.resolve())
            total += int(json.loads((folder / "summary.json").read_text()).get("steps") or 0)
            config = folder / "config.json"
            init = (json.loads(config.read_text()).get("init") or {}) if config.is_file() else {}
        return total

    def provenance(self, what: str | None = None) -> Provenance:
        book = self.book
        steps = self.summary.get("steps")
        extra: dict[str, Any] = {}
        total = self.curriculum_steps()
        if steps is not None and total != steps:
            extra["curriculum steps"] = f"{total} (with the earlier stages)"
        extra["run"] = display_path(self.out_dir)
        if self.reused:
            extra["reused"] = "yes"
        return Provenance(what or self.label, profile=self.config.profile, steps=steps,
                          training_images=self.training_images(),
                          device=book.get("device") or self.info.get("device", ""),
                          commit=book.get("commit", "unknown"), wall_s=self.summary.get("wall_time"), extra=extra)

    def upscaler(self, scale: int | None = None, device: str = "auto"):
        """``(lr uint8, scale) -> sr uint8`` of this run's final weights (any level of a cascade)."""
        from .inference import load_upscaler

        return load_upscaler(self.weights, scale=scale, device=device)[0]

    def parameters(self) -> int | None:
        return self.info.get("parameters")


def display_path(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _complete(out: Path) -> bool:
    return (out / "summary.json").is_file() and (out / "final.safetensors").is_file()


def find_or_train(config, *, label: str, runs_dir: Path | str = "runs", retrain: bool = False) -> RunRecord:
    """The finished run of ``config``, reused when one exists, else trained now.

    Runs live in ``<runs_dir>/<profile>/<label>-<key>`` where ``key`` is :func:`run_key` (12 hex
    digits): a folder is reused when its run finished (``summary.json`` and
    ``final.safetensors``); an unfinished one (killed) is resumed by the engine. ``retrain``
    deletes nothing but trains into a fresh sibling folder. ``book_run.json`` records the git
    commit and device of the training.
    """
    from .profiling import describe_device
    from .training import train

    key = run_key(config)
    base = resolve(runs_dir) / config.profile
    out = base / f"{_slug(label)}-{key[:12]}"
    if retrain and out.exists():
        n = 2
        while (base / f"{out.name}.{n}").exists():
            n += 1
        out = base / f"{out.name}.{n}"
    if _complete(out) and not retrain:
        return RunRecord(label, out, config, reused=True)
    resume = (out / "latest.json").is_file()
    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    commit = git_commit()
    train(config, out, resume=resume)
    from .inference import resolve_device

    record = {"label": label, "key": key, "commit": commit, "started": started,
              "finished": time.strftime("%Y-%m-%dT%H:%M:%S"), "resumed": resume,
              "device": describe_device(resolve_device(config.device))}
    (out / "book_run.json").write_text(json.dumps(record, indent=2))
    return RunRecord(label, out, config, reused=False)


#: File names of a committed reference result (``results/reference/x<s>/``, written by
#: ``scripts/publish_reference.py``): fp16 weights, the run's provenance, stored evaluations.
REFERENCE_FILES = ("weights_fp16.safetensors", "provenance.json", "metrics.json")


@dataclass
class ReferenceResult:
    """A committed reference result: ``<folder>/weights_fp16.safetensors`` (fp16 weights),
    ``provenance.json`` (config, steps, device, commit, wall time, notes) and ``metrics.json``
    (PSNR / SSIM per benchmark, evaluated once when the result was published and stored: the
    book reads them instead of re-running a full-width evaluation; ``tests/
    test_reference_results.py`` re-evaluates Set5 from the weights and checks they agree).

    Has the same reading interface as :class:`RunRecord` where the notebooks need it
    (``weights``, ``upscaler``, ``parameters``, ``provenance``).
    """

    scale: int
    folder: Path
    kind: str = "reference"  # or "campaign" (results/campaign/x<s>/, written by srlib.campaign.publish)

    @property
    def label(self) -> str:
        return f"{self.kind}-x{self.scale}"

    @property
    def weights(self) -> Path:
        return self.folder / REFERENCE_FILES[0]

    @property
    def record(self) -> dict:
        """``provenance.json``."""
        return json.loads((self.folder / "provenance.json").read_text())

    @property
    def metrics(self) -> dict:
        """``metrics.json``."""
        return json.loads((self.folder / "metrics.json").read_text())

    @property
    def config(self):
        from .training import TrainConfig

        return TrainConfig.from_dict(self.record["config"])

    def scores(self, method: str = "CSRCNN") -> pd.DataFrame:
        """The stored evaluations as rows ``method, scale, dataset, psnr, ssim, images, seconds,
        status, cached`` (``status`` ``'ok'`` or ``'first N images'``; ``cached`` is True: the
        numbers were computed when the result was published, not now)."""
        rows = []
        for dataset, r in self.metrics.get("results", {}).items():
            subset = r.get("subset")
            rows.append({"method": method, "scale": self.scale, "dataset": dataset, "psnr": float(r["psnr"]),
                         "ssim": float(r["ssim"]), "images": int(r["images"]),
                         "seconds": float(r.get("eval_seconds", math.nan)),
                         "status": "ok" if not subset else f"first {r['images']} images", "cached": True})
        return pd.DataFrame(rows, columns=EVAL_COLUMNS)

    def provenance(self, what: str | None = None) -> Provenance:
        rec = self.record
        images = (rec.get("training_images") or {}).get("total")
        extra = {"run": display_path(self.folder)}
        if rec.get("status") and rec["status"] != "complete":
            extra["status"] = rec["status"]
        return Provenance(what or self.label, profile=rec.get("profile"), steps=rec.get("steps"),
                          training_images=images, device=rec.get("device", ""),
                          commit=str(rec.get("git_commit", "unknown"))[:10], wall_s=rec.get("wall_time_s"),
                          extra=extra)

    def upscaler(self, scale: int | None = None, device: str = "auto"):
        """``(lr uint8, scale) -> sr uint8`` of the committed weights (loaded in float32)."""
        from .inference import load_upscaler

        return load_upscaler(self.weights, scale=scale, device=device)[0]

    def parameters(self) -> int:
        from safetensors import safe_open

        with safe_open(str(self.weights), framework="pt") as f:
            return int(sum(math.prod(f.get_slice(k).get_shape()) for k in f.keys()))


def reference_runs(reference_dir: Path | str = "results/reference", scales: Sequence[int] = (2, 4, 8)
                   ) -> dict[int, ReferenceResult]:
    """Committed results under ``<reference_dir>/x<s>/`` (see :class:`ReferenceResult`; its
    ``kind`` is the folder's name, e.g. ``'reference'`` or ``'campaign'``), ``{scale: result}``
    for the scales whose three files are all present (empty when none is)."""
    base = resolve(reference_dir)
    out: dict[int, ReferenceResult] = {}
    for s in scales:
        folder = base / f"x{s}"
        if all((folder / name).is_file() for name in REFERENCE_FILES):
            out[int(s)] = ReferenceResult(int(s), folder, kind=base.name)
    return out


def campaign_runs(campaign_dir: Path | str = "results/campaign", scales: Sequence[int] = (2, 4, 8)
                  ) -> dict[int, ReferenceResult]:
    """Published stages of the CPU campaign (:mod:`srlib.campaign`), ``{scale: result}``."""
    return reference_runs(campaign_dir, scales)


def committed_results(scales: Sequence[int] = (2, 4, 8), results_dir: Path | str = "results"
                      ) -> dict[int, ReferenceResult]:
    """The best committed weights per scale (:func:`best_committed_runs` on Set5)."""
    return best_committed_runs(results_dir, "Set5", scales)


def stage_config(profile: str, scale: int, variant: str = "full", *, init: str = "", final_scale: int = 0,
                 stage_steps: dict[int, int] | None = None, **overrides):
    """The training config of one run of the book.

    ``variant``: ``'full'`` (the paper's model), ``'model1'`` (symmetric; needs ``final_scale``),
    ``'model3'`` / ``'tu'`` (T-U blocks), ``'model2'`` (the full model end to end at ``scale``,
    no curriculum, with as many steps as the whole curriculum up to ``scale``) or ``'fsrcnn'``
    (Table II's baseline, trained directly at ``scale``, same step budget as ``'model2'``).
    ``stage_steps`` (``{2: 150, 4: 60}``) replaces the profile's steps per stage; an end-to-end
    variant gets their sum up to ``scale``.
    """
    from .training import preset

    if variant not in STAGE_VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {STAGE_VARIANTS}")
    if variant in ("model2", "fsrcnn"):
        per_stage = {int(k): int(v) for k, v in (stage_steps or {}).items()}
        steps = sum(per_stage.get(s, preset(profile, s).steps) for s in (2, 4, 8) if s <= scale)
        extra: dict[str, Any] = {"steps": steps, "curriculum": "none", "blend": "stack"}
        if variant == "model2":
            extra["variant"] = "model2"
        else:
            extra["model"] = "fsrcnn"
        return _with_validation(preset(profile, scale, **{**extra, **overrides}))
    values: dict[str, Any] = {"variant": variant, "init": init}
    if stage_steps and int(scale) in {int(k) for k in stage_steps}:
        values["steps"] = int({int(k): v for k, v in stage_steps.items()}[int(scale)])
    if variant == "model1":
        values["final_scale"] = final_scale or scale
    return _with_validation(preset(profile, scale, **{**values, **overrides}))


#: Images of the first validation set used by the validations the book adds (see below).
BOOK_VAL_LIMIT = 3


def _with_validation(config):
    """The book draws convergence curves (Figure 5) from the logs, so every run validates four
    times on the first :data:`BOOK_VAL_LIMIT` images of its first validation set, where the
    profile itself would validate only at the end. ``val_every`` and ``val_limit`` are runtime
    fields: they do not change what is trained (nor the run's key)."""
    if config.val_every == 0:
        config = config.replace(val_every=max(1, config.steps // 4),
                                val_limit=config.val_limit or BOOK_VAL_LIMIT)
    return config


def curriculum_run(profile: str, scale: int, variant: str = "full", *, runs_dir: Path | str = "runs",
                   final_scale: int = 0, retrain: bool = False, name: str | None = None,
                   stage_steps: dict[int, int] | None = None, **overrides) -> RunRecord:
    """The run of curriculum stage ``scale`` of ``variant``, with every earlier stage found or
    trained first (x2, then x4 from x2, then x8 from x4). ``model2`` / ``fsrcnn`` have no
    stages: they are trained directly (see :func:`stage_config`).

    Args:
        name: label of the runs' folders (default: the variant), e.g. a Table IV notation.
        stage_steps: per-scale ``steps`` (e.g. ``{2: 100, 4: 60}``), else the profile's.
        overrides: TrainConfig fields for every stage (e.g. ``notation=``, ``device=``).
    """
    final_scale = final_scale or scale
    label = f"{_slug(name or variant)}-x{scale}" + (f"-of-x{final_scale}" if variant == "model1" else "")
    if variant in ("model2", "fsrcnn") or scale == 2:
        config = stage_config(profile, scale, variant, final_scale=final_scale, stage_steps=stage_steps, **overrides)
        return find_or_train(config, label=label, runs_dir=runs_dir, retrain=retrain)
    previous = curriculum_run(profile, scale // 2, variant, runs_dir=runs_dir, final_scale=final_scale, name=name,
                              stage_steps=stage_steps, **overrides)
    config = stage_config(profile, scale, variant, init=str(previous.weights), final_scale=final_scale,
                          stage_steps=stage_steps, **overrides)
    return find_or_train(config, label=label, runs_dir=runs_dir, retrain=retrain)


def run_options(runs_dir: Path | str = "runs", device: str = "auto", data_dir: Path | str = "") -> dict[str, Any]:
    """The keyword arguments every training of a notebook shares (for :func:`curriculum_run`):
    where runs live, the device, no progress bars in the book, and the data root when a notebook's
    ``data_dir`` parameter sets one."""
    return dict(runs_dir=runs_dir, device=device, progress=False, **({"data_root": str(data_dir)} if data_dir else {}))


def steps_parameter(text: str | dict | None, defaults: dict[str, dict[int, int] | None], profile: str
                    ) -> dict[int, int] | None:
    """A notebook's per-stage steps parameter: JSON text such as ``'{"2": 150, "4": 60}'`` (or a
    dict), or empty for the profile's entry of ``defaults`` (e.g. :data:`ABLATION_STEPS`).
    ``None`` means the profile's own steps. Keys are scales."""
    if isinstance(text, dict):
        value = text
    elif text:
        value = json.loads(text)
        if not isinstance(value, dict):
            raise ValueError(f"steps must be a JSON object such as {{\"2\": 150, \"4\": 60}}, got {text!r}")
    else:
        return defaults.get(profile)
    return {int(k): int(v) for k, v in value.items()}


def describe_steps(steps: dict[int, int] | None, profile: str, scales: Sequence[int] = (2, 4, 8)) -> str:
    """``'x2 500, x4 200, x8 100 (the profile's own)'`` or the budget ``steps`` sets, for a
    notebook to print what its runs were given."""
    from .training import preset

    if steps:
        return ", ".join(f"x{s} {n}" for s, n in sorted(steps.items())) + " (set by this notebook)"
    return ", ".join(f"x{s} {preset(profile, s).steps}" for s in scales) + f" (profile {profile}'s own)"


def ablation_run(profile: str, scale: int, variant: str, steps: dict[int, int] | None, **options) -> RunRecord:
    """The run of one ablation row (Tables II, III and Figure 5 share them): ``variant`` at
    ``scale`` with ``steps`` per curriculum stage. With a budget of its own (``steps``) the run's
    folder is named ``<variant>-ablation`` so that it is never mistaken for the main curriculum."""
    return curriculum_run(profile, scale, variant, stage_steps=steps,
                          name=f"{variant}-ablation" if steps else None, **options)


def evaluate_runs(runs: Iterable[tuple[str, int, Any]], *, datasets: Sequence[str], root: Path | str | None = None,
                  cache_dir: Path | str | None = "runs/cache/eval", device: str = "auto") -> pd.DataFrame:
    """:func:`evaluate_grid` of several trained runs: ``runs`` yields ``(method name, scale,
    run)`` (a :class:`RunRecord`); each is evaluated at its scale on ``datasets``, cached under
    ``cache_dir`` by the sha256 of its weights. One frame, one row per run x dataset."""
    frames = [evaluate_grid(run.upscaler(scale, device), method=method, datasets=datasets, scales=[scale], root=root,
                            cache_dir=resolve(cache_dir) if cache_dir else None,
                            cache_key=weights_fingerprint(run.weights))
              for method, scale, run in runs]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=EVAL_COLUMNS)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """``(fn(), seconds)``."""
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


# --------------------------------------------------------------------------------------------
# notebook helpers
# --------------------------------------------------------------------------------------------
def resolve(path: Path | str) -> Path:
    """``path`` if absolute, else relative to the repository root (notebooks run anywhere)."""
    p = Path(path)
    return p if p.is_absolute() else REPO_ROOT / p


def styled(df: pd.DataFrame, caption: str, table_id: str, precision: int = 2):
    """``df`` as a pandas Styler with a caption, numbers shown with ``precision`` decimals (NaN as
    :data:`NO_VALUE`) and a stable ``data-srlib`` attribute, which the book's tests look for in
    the built HTML (needs jinja2, installed with the ``book`` extra)."""
    return (df.style.format(precision=precision, na_rep=NO_VALUE).set_caption(caption).set_uuid(table_id)
            .set_table_attributes(f'class="dataframe srlib-table" data-srlib="{table_id}"'))


def save_figure(fig, name: str, folder: Path | str = "book/notebooks/figures") -> Path:
    """Save a matplotlib figure as ``<folder>/<name>.png`` (150 dpi) and return the path."""
    out = resolve(folder)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    fig.savefig(path, dpi=150, bbox_inches="tight")
    return path


# --------------------------------------------------------------------------------------------
# efficiency (Table VI)
# --------------------------------------------------------------------------------------------
def forward_flops(name: str, scale: int, size: int = 48) -> float:
    """Floating-point operations of one forward pass of registered model ``name`` at ``scale``
    for a ``size x size`` LR input (the HR-size input for pre-upsampling models), counted with
    ``torch.utils.flop_counter`` on the meta device: no memory, no compute, about a second.
    Used to decide which Table VI cells fit a profile's time budget before running them."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from .models import build_model
    from .profiling import model_input_channels, resolve_model_name

    with torch.device("meta"):
        model = build_model(resolve_model_name(name), scale=scale)
    side = size * scale if getattr(model, "pre_upsample", False) else size
    x = torch.empty(1, model_input_channels(model), side, side, device="meta")
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(x)
    return float(counter.get_total_flops())


#: Largest forward pass (GFLOP) each profile measures for Table VI on the CPU (0 = no limit);
#: parameters are counted for every cell regardless.
TABLE6_GFLOP_BUDGET = {"smoke": 20.0, "quick": 200.0, "reference": 0.0, "paper": 0.0}


def efficiency_table(models: Sequence[str], scales: Sequence[int], *, size: int = 48, device: str = "auto",
                     max_gflops: float = 0.0, repeats: int = 3, warmup: int = 1,
                     max_seconds: float | None = 5.0) -> pd.DataFrame:
    """Table VI on this device: for every model x scale the exact parameter count, the forward
    FLOPs (:func:`forward_flops`) and, where the pass is at most ``max_gflops`` (0 = all),
    peak memory and median latency measured by :func:`srlib.profiling.profile_model`.

    Cells over the budget keep their parameter count and get ``status = 'not measured: N GFLOP
    per pass exceeds this profile's budget'``.
    """
    import torch

    from .models import build_model
    from .profiling import PAPER_NAMES, count_parameters, describe_device, profile_model, resolve_device, \
        resolve_model_name

    dev = resolve_device(device)
    rows = []
    for name in models:
        key = resolve_model_name(name)
        for s in scales:
            with torch.device("meta"):
                params = count_parameters(build_model(key, scale=s))
            flops = forward_flops(key, s, size)
            row = {"method": PAPER_NAMES.get(key, key), "model": key, "scale": int(s), "params_k": params / 1000,
                   "gflops": flops / 1e9, "peak_mb": math.nan, "time_ms": math.nan, "time_iqr_ms": math.nan,
                   "repeats": 0, "device": describe_device(dev), "status": "ok"}
            if max_gflops and flops / 1e9 > max_gflops:
                row["status"] = (f"not measured: {flops / 1e9:.0f} GFLOP per pass exceeds this profile's "
                                 f"budget of {max_gflops:.0f}")
            else:
                r = profile_model(key, s, size=size, device=dev, repeats=repeats, warmup=warmup,
                                  max_seconds=max_seconds)
                row.update(peak_mb=r["peak_mb"], time_ms=r["time_ms"], time_iqr_ms=r["time_iqr_ms"],
                           repeats=r["repeats"], status=r["status"], mem_method=r["mem_method"])
            rows.append(row)
    return pd.DataFrame(rows)


#: Table V datasets evaluated on their first N images only, per profile (CPU budget); the
#: table labels such cells, and Bicubic is evaluated on the same images.
TABLE5_PARTIAL: dict[str, dict[str, int]] = {
    "smoke": {"B100": 10, "Urban100": 5}, "quick": {"B100": 50, "Urban100": 10}, "reference": {}, "paper": {},
}

#: Steps per curriculum stage of the nine Table IV networks, per profile (None: the profile's own).
TABLE4_STEPS: dict[str, dict[int, int] | None] = {"smoke": None, "quick": {2: 40, 4: 30}, "reference": None,
                                                   "paper": None}

#: Table IV rows trained per profile (None: all nine); the others show "not run" and keep their
#: exact parameter counts. The quick profile trains the shallowest row, the HR-U-block row and
#: the paper's chosen depth, to stay within the CI budget.
TABLE4_ROWS: dict[str, list[str] | None] = {"smoke": None, "quick": ["U2TR0 U2TR0", "U2TU1 U2TU1", "U4TR1 U4TR1"],
                                            "reference": None, "paper": None}

#: Steps per curriculum stage of the ablation runs (Tables II, III, Figure 5), per profile (None:
#: the profile's own). Every row of an ablation table gets the same budget. With the profile's own
#: steps (every profile now) the Full / BP-U rows *are* the main curriculum's runs (Table V's
#: CSRCNN), found and reused; a budget of its own (a notebook's ``ablation_steps``) trains them
#: separately. Measured on the 2-core CPU: the quick ablation trainings at the profile's steps take
#: about 5 minutes together, so a smaller budget is no longer needed to fit CI.
ABLATION_STEPS: dict[str, dict[int, int] | None] = {"smoke": None, "quick": None, "reference": None, "paper": None}


#: Extra seeds of Table II's Full row per profile: the same configuration trained again from
#: other seeds (1, 2, ...), whose spread is the noise floor the table's row differences are read
#: against. 0: none (the GPU profiles, where one more curriculum costs hours).
NOISE_SEEDS: dict[str, int] = {"smoke": 1, "quick": 2, "reference": 0, "paper": 0}


# --------------------------------------------------------------------------------------------
# feature maps (Figure 6)
# --------------------------------------------------------------------------------------------
def average_feature_maps(weights: Path | str, image: np.ndarray, device: str = "cpu") -> dict[str, np.ndarray]:
    """Channel-averaged feature maps of every stage of a trained CSRCNN for one LR image.

    Args:
        weights: a CSRCNN checkpoint written by the training engine.
        image: the LR input, uint8 ``H x W x 3``.

    Returns:
        ``{'level1/u': H x W, 'level1/up': 2H x 2W, 'level1/hr': ..., 'level2/u': ...}`` (float
        arrays, the mean over the N channels of :meth:`CSRCNN.feature_maps`), in network order.
    """
    import torch

    from .inference import load_checkpoint

    loaded = load_checkpoint(weights, device=device)
    net = getattr(loaded.model, "model", loaded.model)
    if not hasattr(net, "feature_maps"):
        raise TypeError(f"{weights} is a {loaded.name} checkpoint; feature maps need a CSRCNN")
    x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float()[None] / 255.0
    with torch.inference_mode():
        maps = net.feature_maps(x.to(next(net.parameters()).device))
    return {k: v[0].float().mean(dim=0).cpu().numpy() for k, v in maps.items()}


# --------------------------------------------------------------------------------------------
# the protocol's sensitivity (protocol chapter, method page)
# --------------------------------------------------------------------------------------------
#: The common departures from the paper's protocol that :func:`protocol_deviations` measures.
PROTOCOL_DEVIATIONS = {
    "protocol": "the paper's protocol (MATLAB bicubic LR on uint8, Y channel, MATLAB SSIM)",
    "lr_pillow": "LR made with Pillow's bicubic instead of MATLAB's",
    "lr_float": "LR made with MATLAB's bicubic in floating point, rounded once at the end",
    "rgb": "PSNR / SSIM on the RGB channels instead of Y",
    "ssim_valid": "SSIM averaged over the valid window only (BasicSR / KAIR)",
}


def _rgb_scores(sr: np.ndarray, hr: np.ndarray, shave: int) -> tuple[float, float]:
    """PSNR over the three RGB channels together, SSIM (MATLAB window) averaged over them."""
    from .metrics import ssim

    a = sr[shave:-shave, shave:-shave].astype(np.float64)
    b = hr[shave:-shave, shave:-shave].astype(np.float64)
    mse = float(np.mean((a - b) ** 2))
    p = math.inf if mse == 0 else 10.0 * math.log10(255.0**2 / mse)
    channels = sr.shape[2] if sr.ndim == 3 else 1
    s = float(np.mean([ssim(sr[..., c], hr[..., c], shave=shave) for c in range(channels)])) if sr.ndim == 3 \
        else ssim(sr, hr, shave=shave)
    return p, s


def protocol_deviations(dataset: str = "Set5", scales: Sequence[int] = (2, 4, 8), *,
                        root: Path | str | None = None, limit: int | None = None) -> pd.DataFrame:
    """How much each common departure from the paper's protocol moves the Bicubic scores.

    For every image of ``dataset`` and every scale, the Bicubic baseline (MATLAB bicubic
    upscaling) is scored with the paper's protocol and with each departure of
    :data:`PROTOCOL_DEVIATIONS` taken alone: the LR image made by Pillow's bicubic, the LR image
    made by MATLAB's bicubic in floating point with a single rounding (what "MATLAB-like" ports
    that skip MATLAB's rounding between the two 1-D passes compute), PSNR / SSIM on RGB instead
    of Y, and BasicSR's "valid" SSIM window.

    Returns one row per ``deviation x scale``: ``deviation, description, scale, psnr, ssim,
    psnr_diff, ssim_diff`` (means over the images; differences are the deviation minus the
    protocol), ``images``.
    """
    from PIL import Image

    from .data import dataset_paths, load_image, make_lr
    from .evaluation import bicubic_upscaler
    from .matlab import imresize, modcrop, quantize
    from .metrics import evaluate_pair

    paths = dataset_paths(dataset, root)[:limit]
    rows = []
    for s in scales:
        acc: dict[str, list[tuple[float, float]]] = {k: [] for k in PROTOCOL_DEVIATIONS}
        for path in paths:
            img = load_image(path)
            hr, lr = make_lr(img, int(s))
            sr = bicubic_upscaler(lr, int(s))
            base = evaluate_pair(sr, hr, int(s))
            acc["protocol"].append((base.psnr, base.ssim))
            acc["ssim_valid"].append((base.psnr, evaluate_pair(sr, hr, int(s), ssim_window="valid").ssim))
            acc["rgb"].append(_rgb_scores(sr, hr, int(s)))
            hr_m = modcrop(img, int(s))
            size = (hr_m.shape[1] // int(s), hr_m.shape[0] // int(s))
            if hr_m.ndim == 3 and hr_m.shape[2] == 1:
                pil_lr = np.asarray(Image.fromarray(hr_m[..., 0]).resize(size, Image.BICUBIC))[..., None]
            else:
                pil_lr = np.asarray(Image.fromarray(hr_m).resize(size, Image.BICUBIC))
            r = evaluate_pair(bicubic_upscaler(pil_lr, int(s)), hr, int(s))
            acc["lr_pillow"].append((r.psnr, r.ssim))
            float_lr = quantize(imresize(hr_m.astype(np.float64) / 255.0, 1 / int(s)))
            r = evaluate_pair(bicubic_upscaler(float_lr, int(s)), hr, int(s))
            acc["lr_float"].append((r.psnr, r.ssim))
        p0, s0 = (float(np.mean([v[i] for v in acc["protocol"]])) for i in (0, 1))
        for key, values in acc.items():
            p, q = float(np.mean([v[0] for v in values])), float(np.mean([v[1] for v in values]))
            rows.append({"deviation": key, "description": PROTOCOL_DEVIATIONS[key], "scale": int(s), "psnr": p,
                         "ssim": q, "psnr_diff": p - p0, "ssim_diff": q - s0, "images": len(values)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# committed results and the share of the paper's gain (intro, Table V, Figures 7-9)
# --------------------------------------------------------------------------------------------
def committed_runs(results_dir: Path | str = "results", scales: Sequence[int] = (2, 4, 8)
                   ) -> dict[str, dict[int, ReferenceResult]]:
    """Every committed result folder under ``results_dir``: ``{folder name: {scale:
    ReferenceResult}}`` for each sub-folder laid out like ``results/reference`` (``x<s>/`` with
    the three :data:`REFERENCE_FILES`), e.g. ``{'reference': {2: ...}}``. Empty when none."""
    base = resolve(results_dir)
    out: dict[str, dict[int, ReferenceResult]] = {}
    if not base.is_dir():
        return out
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        found = reference_runs(folder, scales)
        if found:
            out[folder.name] = found
    return out


def best_committed_runs(results_dir: Path | str = "results", dataset: str = "Set5",
                        scales: Sequence[int] = (2, 4, 8)) -> dict[int, ReferenceResult]:
    """Per scale, the committed result (any folder of :func:`committed_runs`) with the highest
    stored PSNR on ``dataset`` (a result that did not evaluate ``dataset`` ranks last; ties go to
    the first folder in name order). ``{}`` when nothing is committed."""
    best: dict[int, tuple[float, ReferenceResult]] = {}
    for runs in committed_runs(results_dir, scales).values():
        for s, ref in runs.items():
            scores = ref.scores()
            hit = scores[(scores.dataset == dataset) & scores.status.eq("ok")].psnr
            value = float(hit.iloc[0]) if len(hit) else -math.inf
            if s not in best or value > best[s][0]:
                best[s] = (value, ref)
    return {s: best[s][1] for s in sorted(best)}


def gain_share(paper: pd.DataFrame, ours: pd.DataFrame, bicubic: pd.DataFrame, *, method: str = "CSRCNN"
               ) -> pd.DataFrame:
    """Our scores against the paper's, with the bicubic baseline and the share of the paper's
    gain over bicubic that ours reaches.

    Args:
        paper: the paper's Table V (``load_paper_table('table5')``: method, scale, dataset, psnr).
        ours: our rows of ``method`` (``method, scale, dataset, psnr``), e.g. from
            :func:`evaluate_grid` or :meth:`ReferenceResult.scores`.
        bicubic: our Bicubic rows on the same images (``scale, dataset, psnr``).

    Returns:
        One row per ``scale x dataset`` of ``ours``: ``scale, dataset, paper, ours, difference``
        (ours - paper), ``bicubic`` (ours), ``paper_bicubic``, ``share`` = (ours - bicubic) /
        (paper - paper's bicubic): 1 is the paper's gain, 0 is no gain over bicubic, negative is
        below bicubic.
    """
    p = paper[paper.method == method].set_index(["scale", "dataset"]).psnr
    pb = paper[paper.method == "Bicubic"].set_index(["scale", "dataset"]).psnr
    b = bicubic.set_index(["scale", "dataset"]).psnr
    rows = []
    for _, r in ours[ours.method == method].iterrows():
        key = (int(r.scale), r.dataset)
        pv, pbv = p.get(key, math.nan), pb.get(key, math.nan)
        bv = b.get(key, math.nan)
        rows.append({"scale": key[0], "dataset": key[1], "paper": pv, "ours": float(r.psnr),
                     "difference": float(r.psnr) - pv, "bicubic": bv, "paper_bicubic": pbv,
                     "share": (float(r.psnr) - bv) / (pv - pbv) if pv - pbv else math.nan})
    return pd.DataFrame(rows, columns=["scale", "dataset", "paper", "ours", "difference", "bicubic",
                                       "paper_bicubic", "share"])


def gain_share_display(frames: dict[str, pd.DataFrame], scales: Sequence[int], dataset: str = "Set5",
                       missing: str = "none committed") -> pd.DataFrame:
    """The intro's summary table: for each source (e.g. ``'this build (quick)'``, ``'best
    committed weights'``) and scale, a row of :func:`gain_share` on ``dataset`` as text with the
    columns ``paper | ours | difference | bicubic | share of the paper's gain``; a source without
    a row for a scale shows ``missing`` under ``ours``."""
    rows = []
    for source, frame in frames.items():
        for s in scales:
            hit = frame[(frame.scale == s) & (frame.dataset == dataset)]
            if not len(hit):
                rows.append({"source": source, "scale": f"x{s}", "paper": NO_VALUE, "ours": missing,
                             "difference": NO_VALUE, "bicubic": NO_VALUE, "share of the paper's gain": NO_VALUE})
                continue
            r = hit.iloc[0]
            rows.append({"source": source, "scale": f"x{s}", "paper": format_number(r.paper, 2),
                         "ours": format_number(r.ours, 2), "difference": format_number(r.difference, 2, signed=True),
                         "bicubic": format_number(r.bicubic, 2),
                         "share of the paper's gain": NO_VALUE if math.isnan(r.share) else f"{r.share:.0%}"})
    return pd.DataFrame(rows).set_index(["source", "scale"])


def describe_committed(ref: ReferenceResult) -> str:
    """One sentence on what a committed result is, read from its ``provenance.json`` alone: its
    folder, profile, steps done of the schedule's steps, batch, device, wall time and status,
    e.g. ``'results/reference/x2: profile reference, 125 of 200 steps of batch 32, device CPU (2
    cores, shared), wall time 29 min 43 s, status incomplete, the reference profile's own x2
    schedule is 20000 steps'``."""
    rec = ref.record
    done = rec.get("steps")
    planned = (rec.get("config") or {}).get("steps")
    steps = f"{done} of {planned} steps" if planned and planned != done else f"{done} steps"
    batch = rec.get("batch_size") or (rec.get("config") or {}).get("batch_size")
    parts = [f"profile {rec.get('profile', 'unknown')}", steps + (f" of batch {batch}" if batch else "")]
    if rec.get("device"):
        parts.append(f"device {rec['device']}")
    if rec.get("wall_time_s") is not None:
        parts.append(f"wall time {format_duration(float(rec['wall_time_s']))}")
    parts.append(f"status {rec.get('status', 'unknown')}")
    try:
        from .training import preset

        own = preset(str(rec.get("profile")), int(ref.scale)).steps
        if own != planned:
            parts.append(f"the {rec.get('profile')} profile's own x{ref.scale} schedule is {own} steps")
    except (ValueError, TypeError):
        pass
    return f"{display_path(ref.folder)}: " + ", ".join(parts)


# --------------------------------------------------------------------------------------------
# visual comparisons (Figures 7-9)
# --------------------------------------------------------------------------------------------
def benchmark_image(dataset: str, name: str, root: Path | str | None = None) -> Path | None:
    """The file of image ``name`` (its stem, case-insensitive, e.g. ``'img043'``, ``'Hamlet'``) in
    benchmark ``dataset``; ``None`` when the dataset is not under the data root or has no such
    image (the caller says so instead of showing a panel)."""
    from .data import DatasetNotFoundError, dataset_paths

    try:
        paths = dataset_paths(dataset, root)
    except DatasetNotFoundError:
        return None
    key = name.lower()
    exact = [p for p in paths if p.stem.lower() == key]
    loose = [p for p in paths if p.stem.lower().startswith(key)]
    return (exact or loose or [None])[0]


def error_crop(hr: np.ndarray, sr: np.ndarray, side: int, border: int = 0) -> tuple[int, int]:
    """Top-left corner ``(y, x)`` of the ``side x side`` window where ``sr`` is furthest from
    ``hr`` (largest sum of squared luminance errors), ``border`` pixels from every edge: the
    place where a method's differences are easiest to see. Every panel of a figure is then
    cropped at this same place."""
    from .metrics import luminance

    err = (luminance(sr) - luminance(hr[: sr.shape[0], : sr.shape[1]])) ** 2
    h, w = err.shape
    side = int(min(side, h - 2 * border, w - 2 * border))
    if side <= 0:
        return 0, 0
    ii = np.pad(err.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = ii[side:, side:] - ii[:-side, side:] - ii[side:, :-side] + ii[:-side, :-side]
    sums = sums[border: h - side + 1 - border, border: w - side + 1 - border]
    y, x = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return int(y) + border, int(x) + border


def detail_crop(img: np.ndarray, side: int) -> tuple[int, int]:
    """Top-left corner ``(y, x)`` of the ``side x side`` window of ``img`` with the most detail
    (largest sum of squared luminance gradients): where an enlargement has something to show
    (Figure 9's photographs, which have no ground truth to compare with)."""
    from .metrics import luminance

    y = luminance(img)
    grad = np.zeros_like(y)
    grad[:-1, :] += np.diff(y, axis=0) ** 2
    grad[:, :-1] += np.diff(y, axis=1) ** 2
    return _window_argmax(grad, side)


def _window_argmax(energy: np.ndarray, side: int) -> tuple[int, int]:
    h, w = energy.shape
    side = int(min(side, h, w))
    ii = np.pad(energy.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = ii[side:, side:] - ii[:-side, side:] - ii[side:, :-side] + ii[:-side, :-side]
    y, x = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return int(y), int(x)


def comparison_long(compared: pd.DataFrame, index: Sequence[str], value: str, decimals: int = 2,
                    by: str = "dataset") -> pd.DataFrame:
    """:func:`comparison_table` in long format, narrow enough for a page: one row per ``by`` x
    ``index`` (e.g. dataset, scale, method) and the columns ``paper | ours | difference | note``.

    ``ours`` is the number or, without one, the reason's head (``not available``, ``not run``,
    ``not measured``) with its details under ``note``; ``note`` also carries a qualifier of a
    number (e.g. ``first 50 of 100 images``) that the wide table puts inside the cell. Rows keep the order of ``compared``'s ``by`` values, then ``index``."""
    rows = []
    for _, r in compared.iterrows():
        v = r[f"{value}_ours"]
        status = str(r.get("status", "ok"))
        missing = v is None or (isinstance(v, float) and math.isnan(v))
        if missing:  # the reason in two parts: 'not measured' | '136 GFLOP per pass exceeds ...'
            ours, _, note = status.partition(": ")
        else:
            ours, note = format_number(v, decimals), ("" if status == "ok" else status)
        rows.append({by: r[by], **{k: r[k] for k in index}, "paper": format_number(r[f"{value}_paper"], decimals),
                     "ours": ours, "difference": format_number(r[f"{value}_diff"], decimals, signed=True),
                     "note": note})
    out = pd.DataFrame(rows, columns=[by, *index, "paper", "ours", "difference", "note"])
    order = {k: i for i, k in enumerate(dict.fromkeys(compared[by]))}
    out = out.sort_values([by, *index], key=lambda s: s.map(order) if s.name == by else s, kind="stable")
    return out.set_index([by, *index])


# The book helpers added for issue 14 (kept apart from the list at the top for easy merging).
__all__ += ["PROTOCOL_DEVIATIONS", "protocol_deviations", "committed_runs", "best_committed_runs", "gain_share",
            "gain_share_display", "describe_committed", "benchmark_image", "error_crop", "detail_crop",
            "comparison_long"]
