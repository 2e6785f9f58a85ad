"""Sizes a newcomer can read: a library module at most 400 lines, a notebook 250, a script 320."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LIMITS = {"srlib": ("*.py", 400), "notebooks": ("*.py", 250), "scripts": ("*.py", 320)}

#: Files still over their limit, each being reworked on another branch at the time this test was
#: written; remove an entry once its file is back under the limit (the test below then keeps it there).
ALLOWED_OVER = {
}


def sizes() -> dict[str, tuple[int, int]]:
    """``{path: (lines, limit)}`` of every file a limit applies to."""
    out = {}
    for folder, (pattern, limit) in LIMITS.items():
        for path in sorted((REPO / folder).rglob(pattern)):
            out[path.relative_to(REPO).as_posix()] = (len(path.read_text().splitlines()), limit)
    return out


def test_every_file_is_within_its_size_limit():
    found = sizes()
    assert "srlib/training/loop.py" in found and "notebooks/train_stage.py" in found
    over = {p: n for p, (n, limit) in found.items() if n > limit and p not in ALLOWED_OVER}
    assert not over, f"over the size limit (library 400, notebooks 250, scripts 320 lines): {over}"


@pytest.mark.parametrize("path", sorted(ALLOWED_OVER))
def test_an_allowed_file_is_still_over_its_limit(path):
    """An allowed file that got back under its limit is taken off the list (so it stays there)."""
    lines, limit = sizes()[path]
    assert lines > limit, f"{path} has {lines} lines, within its limit of {limit}: remove it from ALLOWED_OVER"
