"""RunFolder: the run folder's paths, completeness, checkpoints, metadata and fingerprint."""
from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import save_file

from srlib.errors import CheckpointFormatError
from srlib.runfolder import RunFolder, read_metadata, stored_parameters, weights_fingerprint
from srlib.training import checkpoint as ck


def _weights(path, value: float = 1.0, **meta) -> None:
    ck.save_weights(path, {"w": torch.full((2, 3), value)}, {"model": "x", "step": 1, **meta})


def test_paths_and_completeness(tmp_path):
    run = RunFolder(tmp_path / "r")
    assert run.final_weights == tmp_path / "r" / "final.safetensors"
    assert run.checkpoint_paths(500) == (tmp_path / "r/checkpoints/step_00000500.safetensors",
                                         tmp_path / "r/checkpoints/step_00000500.state.pt")
    assert not run.complete and run.latest_checkpoint() is None and run.step_weights() == [] and run.info() == {}
    with pytest.raises(FileNotFoundError, match="no final.safetensors"):
        run.weights()
    _weights(run.final_weights)
    assert not run.complete  # the summary is written last
    run.summary_json.write_text(json.dumps({"steps": 3}))
    assert run.complete and run.summary() == {"steps": 3} and run.weights() == run.final_weights


def test_latest_checkpoint_pointer_and_scan(tmp_path):
    run = RunFolder(tmp_path)
    for step in (10, 20, 30):
        w, s = run.checkpoint_paths(step)
        _weights(w, step=step)
        if step != 30:  # step 30 has weights only: not a checkpoint to resume from
            ck.save_state(s, {"step": step})
    assert [s for s, _ in run.step_weights()] == [10, 20, 30]
    assert run.latest_checkpoint()[0] == 20
    assert run.weights() == run.checkpoint_paths(30)[0]  # the newest weights, for inference
    assert run.metadata()["step"] == 30
    run.latest_json.write_text(json.dumps({"step": 10, "weights": "checkpoints/step_00000010.safetensors",
                                           "state": "checkpoints/step_00000010.state.pt"}))
    assert run.latest_checkpoint()[0] == 10  # the pointer wins while its files exist
    run.checkpoint_paths(10)[1].unlink()
    assert run.latest_checkpoint()[0] == 20
    ck.prune_checkpoints(tmp_path, 1)
    assert [s for s, _ in run.step_weights()] == [30]


def test_fingerprint_ignores_the_header_order_but_not_the_content(tmp_path):
    a, b, c = tmp_path / "a.safetensors", tmp_path / "b.safetensors", tmp_path / "c.safetensors"
    t = {"w": torch.arange(6.0).view(2, 3)}
    save_file(t, str(a), metadata={"x": "1", "y": "2"})
    save_file(t, str(b), metadata={"y": "2", "x": "1"})
    save_file({"w": t["w"] + 1}, str(c), metadata={"x": "1", "y": "2"})
    assert weights_fingerprint(a) == weights_fingerprint(b) != weights_fingerprint(c)
    assert RunFolder(tmp_path).step_weights() == []
    (tmp_path / "notes.txt").write_text("hello")
    assert len(weights_fingerprint(tmp_path / "notes.txt")) == 64
    (tmp_path / "notes.safetensors").write_text("not a header")
    with pytest.raises(ValueError, match="not a safetensors file"):
        weights_fingerprint(tmp_path / "notes.safetensors")


def test_fingerprint_equals_the_book_layers(tmp_path):
    # srlib.book re-exports runfolder's: run and cache keys must use this one function.
    from srlib import book

    path = tmp_path / "w.safetensors"
    _weights(path, 0.5, scale=2)
    assert weights_fingerprint(path) == book.weights_fingerprint(path)


def test_metadata_reader_refuses_a_truncated_file(tmp_path):
    path = tmp_path / "w.safetensors"
    _weights(path)
    assert read_metadata(path)["model"] == "x"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(CheckpointFormatError):
        read_metadata(path)


def test_stored_parameters_counts_the_header_shapes(tmp_path):
    from srlib.models import build_model, count_parameters

    net = build_model("csrcnn", scale=4, channels=4, blocks_per_level=(1, 1))
    path = ck.save_weights(tmp_path / "w.safetensors", net.state_dict(), {"model": "csrcnn"})
    assert stored_parameters(path) == count_parameters(net)
    with pytest.raises(FileNotFoundError):
        stored_parameters(tmp_path / "missing.safetensors")
