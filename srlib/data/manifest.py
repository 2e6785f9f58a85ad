"""The manifest of the downloadable data files, ``srlib/data/sources.tsv``.

Columns: ``path`` (relative to the data root), ``url`` (a public GitHub repository's raw file at a
fixed commit), ``sha256``, ``bytes``. Made from the shared data's ``MANIFEST.tsv`` by
``scripts/make_sources.py``; used by ``srlib data fetch / check`` and by the registry, which
takes each benchmark's expected file names from it.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["SOURCES_FILE", "Source", "read_sources", "expected_names"]

#: The manifest of downloadable files: path, url, sha256, bytes.
SOURCES_FILE = Path(__file__).with_name("sources.tsv")


@dataclass(frozen=True)
class Source:
    """One file of the manifest: ``path`` relative to the data root, where to get it, what it must be."""

    path: str
    url: str
    sha256: str
    bytes: int


@lru_cache(maxsize=4)
def _read(path: Path) -> tuple[Source, ...]:
    with open(path, newline="") as fh:
        return tuple(Source(r["path"], r["url"], r["sha256"].lower(), int(r["bytes"]))
                     for r in csv.DictReader(fh, delimiter="\t"))


def read_sources(path: str | Path | None = None) -> list[Source]:
    """The manifest's rows (default :data:`SOURCES_FILE`)."""
    return list(_read(Path(path) if path else SOURCES_FILE))


def expected_names(folder: str) -> frozenset[str] | None:
    """File names the manifest lists directly in ``folder`` (e.g. ``'benchmark/Set5/HR'``), or
    None when the manifest does not cover it (Manga109, DIV2K)."""
    prefix = folder.rstrip("/") + "/"
    names = frozenset(s.path[len(prefix):] for s in read_sources()
                      if s.path.startswith(prefix) and "/" not in s.path[len(prefix):])
    return names or None
