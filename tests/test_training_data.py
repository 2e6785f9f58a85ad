"""Training data: MATLAB-bicubic pyramid, aligned crops, deterministic batches, the disk cache."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import srlib.training.cache as tcache
import srlib.training.data as tdata
from srlib.data import load_image, save_image
from srlib.matlab import imresize, modcrop
from srlib.training import PatchBatches, TrainingSet

from _training_helpers import make_data_root, smooth_image, one_thread_per_module  # noqa: F401 (autouse fixture)


@pytest.fixture()
def root(tmp_path):
    return make_data_root(tmp_path, n_train=3)


def _load(root, aug=(1.0, 0.5), **kw):
    return TrainingSet.from_sets([str(root / "train" / "mine")], aug, cache=root / "cache", progress=False, **kw)


def test_pyramid_is_matlab_bicubic_of_the_augmented_image(root):
    ts = _load(root)
    assert len(ts) == 6  # 3 images x 2 factors
    src = load_image(sorted((root / "train" / "mine").iterdir())[0])
    im = ts.images[1]  # first image at 0.5
    aug = modcrop(imresize(src, 0.5), 8)
    np.testing.assert_array_equal(im.levels[1], aug)
    for d in (2, 4, 8):
        np.testing.assert_array_equal(im.levels[d], imresize(aug, 1.0 / d))


@pytest.mark.parametrize("scale,factors", [(2, (2,)), (4, (2, 4)), (8, (2, 4, 8))])
def test_batches_are_aligned_and_deterministic(root, scale, factors):
    ts = _load(root, aug=(1.0,))
    pb = PatchBatches(ts, scale, 4, 3, seed=7, augment=False, factors=factors)
    b = pb[5]
    assert b["lr"].shape == (3, 3, 4, 4) and b["lr"].dtype.is_floating_point is False
    for f, t in zip(factors, b["targets"]):
        assert t.shape == (3, 3, 4 * f, 4 * f)
    # Each target downscaled to the LR size is exactly the LR patch: same place, same pyramid.
    for i in range(3):
        hr = b["targets"][-1][i].permute(1, 2, 0).numpy()
        found = any(
            np.array_equal(im.levels[scale][y:y + 4, x:x + 4], b["lr"][i].permute(1, 2, 0).numpy())
            and np.array_equal(im.levels[1][y * scale:(y + 4) * scale, x * scale:(x + 4) * scale], hr)
            for im in ts.images for y in range(im.levels[scale].shape[0] - 3) for x in range(im.levels[scale].shape[1] - 3))
        assert found
    again = PatchBatches(ts, scale, 4, 3, seed=7, augment=False, factors=factors)[5]
    assert all(np.array_equal(a, c) for a, c in zip([b["lr"], *b["targets"]], [again["lr"], *again["targets"]]))
    other = PatchBatches(ts, scale, 4, 3, seed=7, rank=1, augment=False, factors=factors)[5]
    assert not np.array_equal(b["lr"], other["lr"])


def test_augmentation_applies_the_same_transform_to_lr_and_targets(root):
    ts = _load(root, aug=(1.0,))
    pb = PatchBatches(ts, 2, 6, 8, seed=1, augment=True, factors=(2,))
    b = pb[0]
    for i in range(8):
        lr = b["lr"][i].permute(1, 2, 0).numpy()
        hr = b["targets"][0][i].permute(1, 2, 0).numpy()
        # The LR of the HR patch (MATLAB bicubic, interior) matches the LR patch away from the border.
        err = np.abs(imresize(np.ascontiguousarray(hr), 0.5).astype(int) - lr.astype(int))[2:-2, 2:-2]
        assert err.max() <= 2


def test_cache_is_reused_and_invalidated_when_the_key_changes(root, monkeypatch):
    _load(root)
    entries = sorted(p.name for p in (root / "cache").iterdir())
    assert len(entries) == 1
    meta = json.loads((root / "cache" / entries[0] / "meta.json").read_text())
    assert meta["aug_scales"] == [1.0, 0.5] and len(meta["files"]) == 3 and meta["producer"]

    def boom(*a, **k):
        raise AssertionError("cache should have been reused")

    monkeypatch.setattr(tcache, "_augmented_pyramids", boom)
    _load(root)  # same key: no recomputation
    monkeypatch.undo()

    # A changed image, other factors or other producing code: a new entry.
    path = sorted((root / "train" / "mine").iterdir())[0]
    save_image(path, smooth_image(np.random.default_rng(99), 64, 72))
    ts = _load(root)
    np.testing.assert_array_equal(ts.images[0].levels[1], modcrop(load_image(path), 8))
    _load(root, aug=(1.0, 0.8))
    monkeypatch.setattr(tcache, "producer_fingerprint", lambda: "other-imresize")
    _load(root)
    assert len(list((root / "cache").iterdir())) == 4


def test_training_on_a_benchmark_is_refused(root):
    with pytest.raises(ValueError, match="benchmark"):
        tdata.resolve_train_sets(["Set5"], root)
    with pytest.raises(FileNotFoundError, match="neither"):
        tdata.resolve_train_sets([str(root / "nope")], root)


def test_auto_uses_291_without_div2k(tmp_path):
    for name, n in (("T91", 91), ("BSD200", 200)):
        folder = tmp_path / "train" / name
        folder.mkdir(parents=True)
        for i in range(n):
            (folder / f"{i}.png").write_bytes(b"x")
    labels = [label for label, _ in tdata.resolve_train_sets(["auto"], tmp_path)]
    assert labels == ["T91", "BSD200"]


def test_too_small_images_are_reported(root):
    ts = _load(root, aug=(1.0,))
    with pytest.raises(ValueError, match="large enough"):
        PatchBatches(ts, 8, 64, 2, seed=0)


def test_the_291_set_resolves_from_the_real_data(data_root):
    sets = dict(tdata.resolve_train_sets(["T91", "BSD200"], data_root))
    assert len(sets["T91"]) == 91 and len(sets["BSD200"]) == 200
    assert [label for label, _ in tdata.resolve_train_sets(["auto"], data_root)] in (["T91", "BSD200"], ["DIV2K"])
