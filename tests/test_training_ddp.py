"""DistributedDataParallel: 2 CPU processes on gloo train a few steps and end with the same weights."""
from __future__ import annotations

import os
import socket

import pytest
import torch
import torch.multiprocessing as mp

from _training_helpers import make_data_root, tiny_config


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, root: str, out: str) -> None:
    from pathlib import Path

    from srlib.training import train

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world),
                      LOCAL_RANK=str(rank))
    cfg = tiny_config(Path(root), steps=3, batch_size=4, ckpt_every=3, device="cpu")
    result = train(cfg, Path(out) / "run")
    torch.save({k: v.clone() for k, v in result.model.state_dict().items()}, Path(out) / f"rank{rank}.pt")


@pytest.mark.slow
def test_ddp_two_gloo_processes_agree(tmp_path):
    root = make_data_root(tmp_path / "data", n_train=3)
    mp.spawn(_worker, args=(2, _free_port(), str(root), str(tmp_path)), nprocs=2, join=True)
    a, b = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    # Only rank 0 wrote the run; the weights moved away from the initialisation.
    assert (tmp_path / "run" / "final.safetensors").is_file()
    torch.manual_seed(0)
    from srlib.models import build_model

    name, kwargs = tiny_config(root).model_spec()
    init = build_model(name, **kwargs).state_dict()
    assert any(not torch.equal(init[k], a[k]) for k in a)
