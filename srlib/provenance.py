"""The run behind a reproduced number, as one line the book prints under each table.

:class:`Provenance` holds what was produced and how (profile, steps, training images, device,
git commit, wall time); :func:`format_duration` writes the wall times; :func:`now_utc` is the one
timestamp every stored record carries.
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from .repository import git_commit

__all__ = ["Provenance", "format_duration", "now_utc"]


def now_utc() -> str:
    """The time now, UTC, as the stored records write it: ``'2026-12-06T14:45:43Z'``."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Provenance:
    """The run behind a reproduced number.

    Attributes:
        what: what was produced, e.g. ``'CSRCNN x4, Set14'`` or ``'Bicubic'``.
        profile: training profile (``'quick'``, ``'reference'``, ...) or ``None`` (no training).
        steps: optimisation steps of the training (``None``: no training).
        training_images: number (or description) of training images (``None``: no training).
        device: the device the number was computed on (e.g. ``'cpu (2 threads)'``).
        commit: git commit of the code (see :func:`srlib.repository.git_commit`).
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
