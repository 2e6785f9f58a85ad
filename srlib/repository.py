"""Where this repository is and which commit its code is at.

Paths the book and the campaign write down (``runs/...``, ``results/...``) are relative to the
repository root, so that a notebook or a script finds them whatever its working directory, and a
run records the commit of the code that produced it. Of srlib this module imports nothing: every
layer may use it (see the README's "Layout and layering").
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

__all__ = ["REPO_ROOT", "git_commit", "uncommitted_paths", "resolve", "display_path", "slug"]

REPO_ROOT = Path(__file__).resolve().parents[1]


def git_commit(repo: Path | str = REPO_ROOT) -> str:
    """Short commit hash of ``repo``'s HEAD, with ``+dirty`` when tracked files differ from it;
    outside a git checkout (e.g. an unpacked archive, a copied working tree) ``$SRLIB_GIT_COMMIT``
    when set, else ``'unknown'``."""
    outside = os.environ.get("SRLIB_GIT_COMMIT", "").strip() or "unknown"
    try:
        head = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=repo, capture_output=True,
                              text=True, timeout=20)
        if head.returncode != 0:
            return outside
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                               capture_output=True, text=True, timeout=20)
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return outside


def uncommitted_paths(repo: Path | str = REPO_ROOT) -> list[str]:
    """The tracked files of ``repo`` that differ from its HEAD (what ``+dirty`` in
    :func:`git_commit` stands for), so that a record can say whether code or only prose had
    changed; ``[]`` for a clean checkout or outside a git checkout."""
    try:
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                                capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(line[3:] for line in status.stdout.splitlines() if line.strip()) if status.returncode == 0 else []


def resolve(path: Path | str) -> Path:
    """``path`` if absolute, else relative to the repository root (notebooks run anywhere)."""
    p = Path(path)
    return p if p.is_absolute() else REPO_ROOT / p


def display_path(path: Path | str) -> str:
    """``path`` relative to the repository root when it lies inside it (as the book prints it),
    else as given."""
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def slug(text: str) -> str:
    """``text`` as a file-name part: letters, digits, ``-`` and ``_`` kept, others ``_``; at most
    60 characters (cache files and run folders are named with it)."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:60]
