"""Dataset registry: counts, layout, and errors that tell a user what to do."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from srlib.data import (DATASETS, DatasetNotFoundError, available_datasets, data_root, dataset_paths,
                        dataset_spec, make_lr)


def test_registry_lists_the_papers_datasets():
    names = {s.name for s in DATASETS.values()}
    assert {"Set5", "Set14", "B100", "Urban100", "Manga109", "T91", "BSD200", "DIV2K"} <= names
    assert dataset_spec("BSDS100").name == "B100"
    with pytest.raises(KeyError, match="known"):
        dataset_spec("Set6")


def test_missing_dataset_error_names_everything_a_user_needs(tmp_path):
    with pytest.raises(DatasetNotFoundError) as err:
        dataset_paths("Manga109", root=tmp_path)
    message = str(err.value)
    assert "Manga109 is missing" in message
    assert str(tmp_path / "benchmark/Manga109/HR") in message
    assert "109 files" in message and "manga109.org" in message and "SRLIB_DATA_DIR" in message


def test_incomplete_dataset_is_reported_with_counts(tmp_path):
    folder = tmp_path / "benchmark/Set5/HR"
    folder.mkdir(parents=True)
    for i in range(3):
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(folder / f"{i}.png")
    with pytest.raises(DatasetNotFoundError, match="3 of 5"):
        dataset_paths("Set5", root=tmp_path)


def test_data_root_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SRLIB_DATA_DIR", str(tmp_path))
    assert data_root() == tmp_path
    monkeypatch.delenv("SRLIB_DATA_DIR")
    assert str(data_root()) == "data"


def test_make_lr_modcrops_and_refuses_odd_scales():
    hr = np.zeros((37, 30, 3), np.uint8)
    cropped, lr = make_lr(hr, 4)
    assert cropped.shape == (36, 28, 3) and lr.shape == (9, 7, 3)
    with pytest.raises(ValueError, match="scale"):
        make_lr(hr, 5)


def test_shared_data_is_complete_except_the_documented_absences(data_root):
    status = available_datasets(data_root)
    assert all(status[n] for n in ("Set5", "Set14", "B100", "Urban100", "T91", "BSD200"))
    assert not status["Manga109"] and not status["DIV2K"]
    assert len(dataset_paths("T91", data_root)) == 91


def _set5_copy(tmp_path, data_root):
    import shutil
    folder = tmp_path / "benchmark/Set5/HR"
    shutil.copytree(data_root / "benchmark/Set5/HR", folder)
    return folder


def test_an_extra_image_in_a_benchmark_folder_is_named(tmp_path, data_root):
    folder = _set5_copy(tmp_path, data_root)
    assert len(dataset_paths("Set5", root=tmp_path)) == 5
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(folder / "stray.png")
    with pytest.raises(DatasetNotFoundError, match="has 6 images, 5 expected") as err:
        dataset_paths("Set5", root=tmp_path)
    assert "unexpected: stray.png" in str(err.value)


def test_a_swapped_image_is_named_and_a_missing_one_too(tmp_path, data_root):
    folder = _set5_copy(tmp_path, data_root)
    (folder / "bird.png").rename(folder / "bird2.png")
    with pytest.raises(DatasetNotFoundError, match="not part of it") as err:
        dataset_paths("Set5", root=tmp_path)
    assert "missing: bird.png" in str(err.value) and "unexpected: bird2.png" in str(err.value)
    (folder / "bird2.png").unlink()
    with pytest.raises(DatasetNotFoundError, match="4 of 5") as err:
        dataset_paths("Set5", root=tmp_path)
    assert "missing: bird.png" in str(err.value) and "data fetch" in str(err.value)


def test_a_renamed_copy_with_the_right_count_is_accepted(tmp_path):
    folder = tmp_path / "benchmark/Set5/HR"
    folder.mkdir(parents=True)
    for i in range(5):
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(folder / f"s{i}.png")
    assert [p.name for p in dataset_paths("Set5", root=tmp_path)] == [f"s{i}.png" for i in range(5)]
