"""The published results: the committed weights a user can use, what each one is, and the best
one per scale (the default of ``srlib upscale``, ``srlib evaluate``, torch.hub's ``csrcnn`` and
the book's tables).

A published result is a folder ``<results>/<kind>/<folder>/`` (one layout, whoever wrote it:
:func:`srlib.campaign.publish` for ``campaign``, ``scripts/publish_reference.py`` for
``reference``, ``scripts/gpu_stage.py`` for a GPU stage) holding the three :data:`PUBLISHED_FILES`
(fp16 weights, ``provenance.json``, ``metrics.json``) and, beside them, its ``log.csv``. Its name is
``<kind>/<folder>``, e.g. ``campaign/x4``; its scale is the provenance's (``paper-x2`` is an x2
result). The provenance records, at publish time, the published result the training started from
(``parent``, e.g. ``campaign/x2``; :func:`lineage`) and the training FLOPs from scratch along that
chain (``train_flops_total``). The best for a scale is the one with the highest PSNR stored for the
whole of Set5 (ties: the first in name order, the stage ``x<s>`` before the others).

Where the results are read from (:func:`results_root`): ``$SRLIB_RESULTS_DIR`` when set; else the
copy inside an installed srlib (``srlib/_results/``, which ``setup.py`` puts into the wheel that
``pip install .`` builds from a clone); else ``results/`` of the checkout srlib runs from.
"""
from __future__ import annotations

import json
import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .errors import InvalidValueError, SrlibError
from .models.csrcnn_config import ASYMMETRIC_BLOCKS
from .provenance import Provenance
from .repository import REPO_ROOT, display_path, resolve
from .runfolder import stored_parameters

__all__ = ["PUBLISHED_FILES", "RESULTS_ENV", "PACKAGED_RESULTS", "BENCHMARKS", "EVAL_COLUMNS", "PublishedResult",
           "PublishedResultsMissingError", "results_root", "list_published", "best_per_scale", "best",
           "find_published", "resolve_weights", "lineage", "network_label", "describe", "listing", "announce",
           "require_root"]

#: The files of a published result (``setup.py`` ships the same three of every such folder).
PUBLISHED_FILES = ("weights_fp16.safetensors", "provenance.json", "metrics.json")
#: Environment variable naming a ``results/`` folder (one holding ``campaign/``, ``reference/``).
RESULTS_ENV = "SRLIB_RESULTS_DIR"
#: Where an installed srlib keeps the published results (filled by ``setup.py`` at build time).
PACKAGED_RESULTS = Path(__file__).resolve().parent / "_results"
#: The benchmarks whose stored PSNR the listing shows, in the paper's order.
BENCHMARKS = ("Set5", "Set14", "B100", "Urban100")
#: Columns of one evaluation row (:meth:`PublishedResult.scores`, the book's evaluation grid).
EVAL_COLUMNS = ["method", "scale", "dataset", "psnr", "ssim", "images", "seconds", "status", "cached"]

_FOLDER = re.compile(r"x(\d+)(?:-.+)?")


class PublishedResultsMissingError(SrlibError, FileNotFoundError):
    """No published results where srlib looks for them; the message says what to do."""


def results_root() -> Path:
    """The folder holding the published results (see the module's docstring for the order)."""
    env = os.environ.get(RESULTS_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    return PACKAGED_RESULTS if PACKAGED_RESULTS.is_dir() else REPO_ROOT / "results"


def require_root(root: Path) -> Path:
    if root.is_dir():
        return root
    if os.environ.get(RESULTS_ENV, "").strip():
        how = (f"{RESULTS_ENV} points there; point it at the results/ folder of a clone of the repository "
               f"(it holds campaign/ and reference/), or unset it")
    else:
        how = (f"this srlib was installed without them; install it from a clone with `pip install .` (the "
               f"wheel carries the published weights), run it from a clone, or set {RESULTS_ENV} to a clone's "
               f"results/ folder")
    raise PublishedResultsMissingError(f"no published results at {root}: {how}")


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


@dataclass(frozen=True)
class PublishedResult:
    """One published result; its files are read when a property needs them. It reads like a
    :class:`~srlib.training.runs.RunRecord` where the notebooks need it (``weights``,
    ``upscaler``, ``parameters``, ``provenance``, ``config``)."""

    kind: str
    folder: Path
    scale: int
    root: Path = field(repr=False)

    @property
    def name(self) -> str:
        return f"{self.kind}/{self.folder.name}"

    @property
    def label(self) -> str:
        return f"{self.kind}-{self.folder.name}"

    @property
    def weights(self) -> Path:
        return self.folder / PUBLISHED_FILES[0]

    @property
    def record(self) -> dict:
        """``provenance.json``."""
        return _read_json(self.folder / "provenance.json")

    @property
    def metrics(self) -> dict:
        """``metrics.json`` (the evaluations stored when the result was published)."""
        return _read_json(self.folder / "metrics.json")

    @property
    def config(self):
        """The stored training config (:class:`~srlib.training.TrainConfig`)."""
        from .training import TrainConfig

        return TrainConfig.from_dict(self.record["config"])

    def psnr(self, dataset: str = "Set5") -> float | None:
        """The PSNR stored for the whole of ``dataset`` (None: not evaluated, or only a subset)."""
        r = self.metrics.get("results", {}).get(dataset, {})
        return float(r["psnr"]) if "psnr" in r and not r.get("subset") else None

    @property
    def network(self) -> str:
        """:func:`network_label` of the stored training config."""
        return network_label(self.record.get("config") or {})

    def parameters(self) -> int:
        """Values in the weights file (read from its header)."""
        return stored_parameters(self.weights)

    @property
    def parent(self) -> str | None:
        """The published result (or stored run) this training started from, e.g. ``'campaign/x2'``
        (None: from scratch), as recorded when it was published."""
        return self.record.get("parent")

    @property
    def training_flops(self) -> float | None:
        """Training FLOPs of this training alone (None: not recorded)."""
        flops = self.record.get("train_flops")
        return None if flops is None else float(flops)

    @property
    def total_training_flops(self) -> float | None:
        """Training FLOPs from scratch: this training's plus those of the chain of weights it
        started from, recorded when it was published (None: a training in the chain recorded none,
        or started from weights outside the published results)."""
        flops = self.record.get("train_flops_total")
        return None if flops is None else float(flops)

    def scores(self, method: str = "CSRCNN"):
        """The stored evaluations as a DataFrame of :data:`EVAL_COLUMNS` (``status`` ``'ok'`` or
        ``'first N images'``; ``cached`` True: computed when the result was published, not now)."""
        import pandas as pd

        rows = []
        for dataset, r in self.metrics.get("results", {}).items():
            rows.append({"method": method, "scale": self.scale, "dataset": dataset, "psnr": float(r["psnr"]),
                         "ssim": float(r["ssim"]), "images": int(r["images"]),
                         "seconds": float(r.get("eval_seconds", math.nan)),
                         "status": "ok" if not r.get("subset") else f"first {r['images']} images", "cached": True})
        return pd.DataFrame(rows, columns=EVAL_COLUMNS)

    def provenance(self, what: str | None = None) -> Provenance:
        """The line the book prints under a number computed from these weights."""
        rec = self.record
        extra = {"run": display_path(self.folder)}
        if rec.get("status") and rec["status"] != "complete":
            extra["status"] = rec["status"]
        return Provenance(what or self.label, profile=rec.get("profile"), steps=rec.get("steps"),
                          training_images=(rec.get("training_images") or {}).get("total"),
                          device=rec.get("device", ""), commit=str(rec.get("git_commit", "unknown"))[:10],
                          wall_s=rec.get("wall_time_s"), extra=extra)

    def upscaler(self, scale: int | None = None, device: str = "auto"):
        """``(lr uint8, scale) -> sr uint8`` of the published weights (loaded in float32)."""
        from .inference import load_upscaler

        return load_upscaler(self.weights, scale=scale, device=device)[0]


def _scale_of(folder: Path) -> int | None:
    """A published folder's scale: its provenance's (else its config's), else its name's ``x<s>``."""
    prov = _read_json(folder / "provenance.json")
    scale = prov.get("scale") or (prov.get("config") or {}).get("scale")
    if scale is not None:
        return int(scale)
    match = _FOLDER.fullmatch(folder.name)
    return int(match.group(1)) if match else None


def list_published(root: Path | str | None = None, scales: Sequence[int] | None = None,
                   kind: str | None = None) -> list[PublishedResult]:
    """Every published result under ``root`` (default :func:`results_root`; a relative path is
    the repository's) of ``scales`` (default: all) and ``kind`` (default: all), in name order per
    kind and scale with the stage ``x<s>`` first; ``[]`` when ``root`` does not exist."""
    root = resolve(root) if root is not None else results_root()
    if not root.is_dir():
        return []
    found = []
    for kind_dir in sorted(p for p in root.iterdir() if p.is_dir() and kind in (None, p.name)):
        for folder in kind_dir.iterdir():
            if folder.is_dir() and all((folder / n).is_file() for n in PUBLISHED_FILES):
                scale = _scale_of(folder)
                if scale is not None and (scales is None or scale in scales):
                    found.append(PublishedResult(kind_dir.name, folder, scale, root))
    return sorted(found, key=lambda r: (r.kind, r.scale, r.folder.name != f"x{r.scale}", r.folder.name))


def _network_matches(result: PublishedResult, network: str | None) -> bool:
    label = result.network
    return network is None or label == network or label.startswith(network + " (")


def best_per_scale(root: Path | str | None = None, dataset: str = "Set5", scales: Sequence[int] | None = (2, 4, 8),
                   kind: str | None = None, network: str | None = None) -> dict[int, PublishedResult]:
    """Per scale, the published result (of ``kind`` and ``network``, a :func:`network_label` or
    its first words such as ``'CPU variant'``; default any) with the highest PSNR stored for the
    whole of ``dataset`` (one without it ranks last; ties: the first in :func:`list_published`'s
    order); ``scales`` None: every published scale. ``{}`` when nothing is published."""
    best: dict[int, tuple[float, PublishedResult]] = {}
    for r in list_published(root, scales, kind):
        if not _network_matches(r, network):
            continue
        value = r.psnr(dataset)
        value = -math.inf if value is None else value
        if r.scale not in best or value > best[r.scale][0]:
            best[r.scale] = (value, r)
    return {s: best[s][1] for s in sorted(best)}


def best(scale: int, root: Path | str | None = None, kind: str | None = None, network: str | None = None,
         dataset: str = "Set5") -> PublishedResult | None:
    """The best published result for ``scale`` (:func:`best_per_scale`), or None."""
    return best_per_scale(root, dataset, (int(scale),), kind, network).get(int(scale))


def find_published(name: str, root: Path | str | None = None) -> PublishedResult | None:
    """The published result called ``name`` (e.g. ``'campaign/x4'``), or None."""
    return next((r for r in list_published(root) if r.name == name.strip().strip("/")), None)


def resolve_weights(argument: str | None, scale: int | None, root: Path | str | None = None
                    ) -> tuple[Path, PublishedResult | None]:
    """What ``--weights`` means: ``(weights path, published result or None)``.

    ``None`` -> the best published weights for ``scale``; an existing file or folder -> itself;
    else a published result's name. Raises a one-line error naming what to do otherwise."""
    if argument is None:
        if scale is None:
            raise InvalidValueError("give --scale (2, 4 or 8) to use the best published weights for it, or "
                                    "--weights (a checkpoint, or a name that `srlib weights` lists)")
        root = require_root(Path(root) if root is not None else results_root())
        pick = best(scale, root)
        if pick is None:
            have = sorted(best_per_scale(root, scales=None))
            raise PublishedResultsMissingError(
                f"no published weights for x{scale} in {root} (published scales: "
                f"{', '.join(f'x{s}' for s in have) or 'none'}); name a checkpoint instead")
        return pick.weights, pick
    path = Path(argument).expanduser()
    if path.exists():
        return path, None
    root = Path(root) if root is not None else results_root()
    match = find_published(argument, root)
    if match is not None:
        return match.weights, match
    names = [r.name for r in best_per_scale(root, scales=None).values()]
    hint = (f"`srlib weights` lists them, e.g. {', '.join(names)}" if names
            else f"none is published at {root}")
    raise FileNotFoundError(f"checkpoint not found: {argument}, and no published result has that name ({hint})")


def _own_training(folder: Path) -> tuple[float | None, str]:
    """``(training FLOPs, the weights it started from or '')`` of a published result
    (``provenance.json``) or of a stored run that was not published (``summary.json`` and
    ``config.json``, e.g. a warm restart whose weights a later continuation started from)."""
    prov = _read_json(folder / "provenance.json")
    if prov:
        init = (prov.get("init") or {}).get("path") or (prov.get("config") or {}).get("init") or ""
        flops = prov.get("train_flops")
        return (float(flops) if flops is not None else None), str(init)
    summary, config = _read_json(folder / "summary.json"), _read_json(folder / "config.json")
    config = config.get("train_config", config)
    if summary.get("train_flops_per_step") is None or summary.get("steps") is None:
        return None, str(config.get("init") or "")
    return float(summary["train_flops_per_step"]) * int(summary["steps"]), str(config.get("init") or "")


def _stored_folder(init: str, root: Path) -> Path | None:
    """The folder ``<root>/<kind>/<name>`` that the weights path ``init`` lies in (``.../results/
    campaign/x2/state/final.safetensors`` -> ``<root>/campaign/x2``), or None outside ``results``."""
    parts = Path(init).parts
    if "results" not in parts[:-1]:
        return None
    at = len(parts) - 1 - parts[::-1].index("results")
    return root / parts[at + 1] / parts[at + 2] if len(parts) >= at + 4 else None


def lineage(init: str, own_flops: float | None, root: Path | str | None = None) -> dict:
    """What a writer records at publish time about where a training started: ``{'parent': the
    stored folder under ``root`` its ``init`` weights lie in ('campaign/x2'; None from scratch or
    outside the results), 'train_flops_total': own_flops plus the parent's total (its recorded
    ``train_flops_total``, else summed along its own chain; None where a link is unknown)}``."""
    root = resolve(root) if root is not None else results_root()
    parent = _stored_folder(init, root) if init else None
    if not init:
        return {"parent": None, "train_flops_total": own_flops}
    if parent is None or own_flops is None:
        return {"parent": None if parent is None else f"{parent.parent.name}/{parent.name}",
                "train_flops_total": None}
    before = _total_flops(parent, root, frozenset())
    return {"parent": f"{parent.parent.name}/{parent.name}",
            "train_flops_total": None if before is None else own_flops + before}


def _total_flops(folder: Path, root: Path, seen: frozenset) -> float | None:
    prov = _read_json(folder / "provenance.json")
    if "train_flops_total" in prov:
        return None if prov["train_flops_total"] is None else float(prov["train_flops_total"])
    own, init = _own_training(folder)
    if folder in seen or own is None or not init:
        return None if folder in seen else own
    parent = _stored_folder(init, root)
    before = None if parent is None else _total_flops(parent, root, seen | {folder})
    return None if before is None else own + before


def network_label(config: dict) -> str:
    """Which network a stored training config builds, in words: ``"the paper's architecture"`` (64
    channels and a refined block), ``'quick network (...)'`` (the quick profile) or ``'CPU variant
    (48 channels, no refined block)'``; every architecture field that differs from the usual value
    is named, so that two different networks never share a label."""
    model = config.get("model", "csrcnn")
    if model != "csrcnn":
        return str(model)
    channels, refined = int(config.get("channels", 64)), int(config.get("hr_blocks", 0))
    refined_text = "no refined block" if refined == 0 else f"{refined} refined block{'s' if refined > 1 else ''}"
    if channels == 64 and refined >= 1:
        kind, details = "the paper's architecture", ([refined_text] if refined != 1 else [])
    else:
        kind = "quick network" if config.get("profile") == "quick" else "CPU variant"
        details = [f"{channels} channels", refined_text]
    blocks = tuple(config.get("blocks_per_level", ASYMMETRIC_BLOCKS))
    if blocks != tuple(ASYMMETRIC_BLOCKS):
        details.append("U blocks " + "/".join(map(str, blocks)))
    for name, usual in (("variant", "full"), ("notation", ""), ("activation", "relu"), ("image_skip", "bicubic"),
                        ("final_scale", 0)):
        if config.get(name, usual) != usual:
            details.append(f"{name} {config[name]}")
    if config.get("model_options"):
        details.append("options " + json.dumps(config["model_options"], sort_keys=True))
    return f"{kind} ({', '.join(details)})" if details else kind


def describe(result: PublishedResult) -> str:
    """``'campaign/x4 (CPU variant (48 channels, no refined block), x4, Set5 31.386 dB)'``."""
    set5 = result.psnr("Set5")
    score = f"Set5 {set5:.3f} dB" if set5 is not None else "Set5 not stored"
    return f"{result.name} ({result.network}, x{result.scale}, {score})"


# ------------------------------------------------------------------------------------------ CLI
def listing(root: Path | str | None = None) -> list[dict]:
    """One row per published result: name, scale, network, parameters, the stored PSNR of
    :data:`BENCHMARKS`, training FLOPs (own and from scratch), whether it is its scale's default,
    and the weights' path."""
    root = require_root(Path(root) if root is not None else results_root())
    defaults = {r.name for r in best_per_scale(root, scales=None).values()}
    rows = []
    for r in sorted(list_published(root), key=lambda r: (r.scale, -(r.psnr("Set5") or -math.inf))):
        rows.append({"name": r.name, "scale": r.scale, "network": r.network, "parameters": r.parameters(),
                     "psnr": {d: r.psnr(d) for d in BENCHMARKS}, "training_flops": r.training_flops,
                     "total_training_flops": r.total_training_flops, "default": r.name in defaults,
                     "weights": str(r.weights)})
    return rows


def announce(result: PublishedResult | None, command: str) -> None:
    """Tell (on stderr) which published weights a command uses, when it chose them by name or default."""
    if result is not None:
        print(f"srlib {command}: weights {describe(result)}; `srlib weights` lists the others", file=sys.stderr)
