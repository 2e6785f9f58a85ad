"""The published results: the committed weights a user can use, what each one is, and the best
one per scale (the default of ``srlib upscale``, ``srlib evaluate`` and torch.hub's ``csrcnn``).

A published result is a folder ``<results>/<kind>/x<s>[-<name>]/`` holding the three
:data:`PUBLISHED_FILES` (fp16 weights, ``provenance.json``, ``metrics.json``), written by
:func:`srlib.campaign.publish` (``kind`` ``campaign``) or ``scripts/publish_reference.py``
(``reference``). Its name is ``<kind>/<folder>``, e.g. ``campaign/x4``; the best for a scale is
the one with the highest PSNR stored for the whole of Set5 (ties: the first in name order, the
stage ``x<s>`` before its continuations).

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
from .repository import REPO_ROOT
from .runfolder import stored_parameters

__all__ = ["PUBLISHED_FILES", "RESULTS_ENV", "PACKAGED_RESULTS", "BENCHMARKS", "PublishedResult",
           "PublishedResultsMissingError", "results_root", "list_published", "best_per_scale", "best",
           "find_published", "resolve_weights", "network_label", "describe", "listing", "announce",
           "require_root"]

#: The files of a published result (``setup.py`` ships the same three of every such folder).
PUBLISHED_FILES = ("weights_fp16.safetensors", "provenance.json", "metrics.json")
#: Environment variable naming a ``results/`` folder (one holding ``campaign/``, ``reference/``).
RESULTS_ENV = "SRLIB_RESULTS_DIR"
#: Where an installed srlib keeps the published results (filled by ``setup.py`` at build time).
PACKAGED_RESULTS = Path(__file__).resolve().parent / "_results"
#: The benchmarks whose stored PSNR the listing shows, in the paper's order.
BENCHMARKS = ("Set5", "Set14", "B100", "Urban100")

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
    """One published result; its files are read when a property needs them."""

    kind: str
    folder: Path
    scale: int
    root: Path = field(repr=False)

    @property
    def name(self) -> str:
        return f"{self.kind}/{self.folder.name}"

    @property
    def weights(self) -> Path:
        return self.folder / PUBLISHED_FILES[0]

    @property
    def provenance(self) -> dict:
        return _read_json(self.folder / "provenance.json")

    @property
    def metrics(self) -> dict:
        return _read_json(self.folder / "metrics.json")

    def psnr(self, dataset: str = "Set5") -> float | None:
        """The PSNR stored for the whole of ``dataset`` (None: not evaluated, or only a subset)."""
        r = self.metrics.get("results", {}).get(dataset, {})
        return float(r["psnr"]) if "psnr" in r and not r.get("subset") else None

    @property
    def network(self) -> str:
        """:func:`network_label` of the stored training config."""
        return network_label(self.provenance.get("config") or {})

    @property
    def parameters(self) -> int:
        """Values in the weights file (read from its header)."""
        return stored_parameters(self.weights)

    @property
    def training_flops(self) -> float | None:
        """Training FLOPs of this training alone (None: not recorded)."""
        return _own_training(self.folder)[0]

    @property
    def total_training_flops(self) -> float | None:
        """Training FLOPs from scratch: this training's, plus those of the weights it started from,
        and so on (None: a training in the chain recorded none, or started from weights outside
        the published results)."""
        return _total_training_flops(self.folder, self.root)


def _own_training(folder: Path) -> tuple[float | None, str]:
    """``(training FLOPs, the weights it started from or '')`` of a published result
    (``provenance.json``) or of a stored campaign run that was not published (``summary.json`` and
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


def _total_training_flops(folder: Path, root: Path, seen: frozenset = frozenset()) -> float | None:
    if folder in seen:
        return None
    own, init = _own_training(folder)
    if own is None or not init:
        return own
    parts = Path(init).parts
    if "results" not in parts[:-1]:
        return None
    at = len(parts) - 1 - parts[::-1].index("results")
    if len(parts) < at + 3:
        return None
    parent = _total_training_flops(root / parts[at + 1] / parts[at + 2], root, seen | {folder})
    return None if parent is None else own + parent


def list_published(root: Path | str | None = None, scales: Sequence[int] | None = None) -> list[PublishedResult]:
    """Every published result under ``root`` (default :func:`results_root`) of ``scales`` (default:
    all), in name order per kind with each stage ``x<s>`` before its continuations; ``[]`` when
    ``root`` does not exist."""
    root = Path(root) if root is not None else results_root()
    if not root.is_dir():
        return []
    found = []
    for kind in sorted(p for p in root.iterdir() if p.is_dir()):
        folders = [p for p in kind.iterdir() if p.is_dir() and _FOLDER.fullmatch(p.name)]
        for folder in sorted(folders, key=lambda p: (int(_FOLDER.fullmatch(p.name).group(1)), "-" in p.name, p.name)):
            scale = int(_FOLDER.fullmatch(folder.name).group(1))
            if (scales is None or scale in scales) and all((folder / n).is_file() for n in PUBLISHED_FILES):
                found.append(PublishedResult(kind.name, folder, scale, root))
    return found


def best_per_scale(root: Path | str | None = None, dataset: str = "Set5", scales: Sequence[int] | None = (2, 4, 8),
                   kind: str | None = None) -> dict[int, PublishedResult]:
    """Per scale, the published result (of ``kind``, default any) with the highest PSNR stored for
    the whole of ``dataset`` (one without it ranks last; ties: the first in :func:`list_published`'s
    order); ``scales`` None: every published scale. ``{}`` when nothing is published."""
    best: dict[int, tuple[float, PublishedResult]] = {}
    for r in list_published(root, scales):
        if kind is not None and r.kind != kind:
            continue
        value = r.psnr(dataset)
        value = -math.inf if value is None else value
        if r.scale not in best or value > best[r.scale][0]:
            best[r.scale] = (value, r)
    return {s: best[s][1] for s in sorted(best)}


def best(scale: int, root: Path | str | None = None, kind: str | None = None) -> PublishedResult | None:
    """The best published result for ``scale`` by Set5 (:func:`best_per_scale`), or None."""
    return best_per_scale(root, "Set5", (int(scale),), kind).get(int(scale))


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


def network_label(config: dict) -> str:
    """Which network a stored training config builds, in words: ``'paper architecture'`` (64
    channels and a refined block), ``'quick network (...)'`` (the quick profile) or ``'CPU variant
    (48 channels, no refined block)'``; every architecture field that differs from the usual value
    is named, so that two different networks never share a label."""
    model = config.get("model", "csrcnn")
    if model != "csrcnn":
        return str(model)
    channels, refined = int(config.get("channels", 64)), int(config.get("hr_blocks", 0))
    refined_text = "no refined block" if refined == 0 else f"{refined} refined block{'s' if refined > 1 else ''}"
    if channels == 64 and refined >= 1:
        kind, details = "paper architecture", ([refined_text] if refined != 1 else [])
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
        rows.append({"name": r.name, "scale": r.scale, "network": r.network, "parameters": r.parameters,
                     "psnr": {d: r.psnr(d) for d in BENCHMARKS}, "training_flops": r.training_flops,
                     "total_training_flops": r.total_training_flops, "default": r.name in defaults,
                     "weights": str(r.weights)})
    return rows


def announce(result: PublishedResult | None, command: str) -> None:
    """Tell (on stderr) which published weights a command uses, when it chose them by name or default."""
    if result is not None:
        print(f"srlib {command}: weights {describe(result)}; `srlib weights` lists the others", file=sys.stderr)
