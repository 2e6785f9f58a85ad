"""The training cache is checked: damaged entries (overwritten arrays, truncated files, broken
meta.json) are rebuilt with a message; an entry from before the checksums is checked and adopted."""
from __future__ import annotations

import json

import numpy as np
import pytest

from srlib.training import TrainingSet

from _training_helpers import make_data_root, one_thread_per_module  # noqa: F401 (autouse fixture)


def _load(root):
    return TrainingSet.from_sets([str(root / "train" / "mine")], (1.0,), cache=root / "cache", progress=False)


@pytest.fixture()
def built(tmp_path):
    root = make_data_root(tmp_path, n_train=2)
    ts = _load(root)
    (entry,) = [p for p in (root / "cache").iterdir()]
    return root, entry, [im.levels[2].copy() for im in ts.images]


def _noise_like(path):
    """Overwrite an array's values with noise of the same size (the header stays valid)."""
    arr = np.load(path)
    np.save(path, np.random.default_rng(0).integers(0, 256, arr.shape, dtype=arr.dtype))


def _truncate(path):
    path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])


@pytest.mark.parametrize("damage", ["noise-in-pyr2", "truncated-pyr1", "truncated-shapes", "meta-truncated",
                                    "meta-not-json", "pyr4-deleted"])
def test_a_damaged_cache_entry_is_rebuilt_with_a_message(built, damage, capsys):
    root, entry, levels = built
    capsys.readouterr()
    if damage == "noise-in-pyr2":
        _noise_like(entry / "pyr2.npy")
    elif damage == "truncated-pyr1":
        _truncate(entry / "pyr1.npy")
    elif damage == "truncated-shapes":
        _truncate(entry / "shapes.npy")
    elif damage == "meta-truncated":
        _truncate(entry / "meta.json")
    elif damage == "meta-not-json":
        (entry / "meta.json").write_text("[]")
    elif damage == "pyr4-deleted":
        (entry / "pyr4.npy").unlink()
    ts = _load(root)
    err = capsys.readouterr().err
    assert f"training cache entry" in err and str(entry) in err and "rebuilding it" in err
    assert all(np.array_equal(a.levels[2], b) for a, b in zip(ts.images, levels))  # the true data again
    assert _load(root) and capsys.readouterr().err == ""  # and it is healthy now


def test_an_entry_without_checksums_is_checked_and_adopted(built, capsys):
    root, entry, levels = built
    meta = json.loads((entry / "meta.json").read_text())
    del meta["checksums"]
    (entry / "meta.json").write_text(json.dumps(meta))
    capsys.readouterr()
    ts = _load(root)
    assert capsys.readouterr().err == "" and all(np.array_equal(a.levels[2], b) for a, b in zip(ts.images, levels))
    assert set(json.loads((entry / "meta.json").read_text())["checksums"]) == {
        "shapes.npy", "pyr1.npy", "pyr2.npy", "pyr4.npy", "pyr8.npy"}
