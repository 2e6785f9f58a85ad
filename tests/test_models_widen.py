"""Function-preserving widening (srlib.models.widen) and a training stage that starts from a
narrower checkpoint (TrainConfig.init_widen)."""
from __future__ import annotations

import pytest
import torch

from srlib.inference import load_checkpoint
from srlib.models import build_model
from srlib.models.widen import channel_map, widen_state_dict
from srlib.training import CheckpointMismatchError, TrainingSet, train

from _training_helpers import make_data_root, tiny_config, one_thread_per_module  # noqa: F401 (autouse fixture)


def _pair(narrow: int, wide: int, **kwargs):
    torch.manual_seed(0)
    old = build_model("csrcnn", channels=narrow, **kwargs)
    torch.manual_seed(1)
    new = build_model("csrcnn", channels=wide, **kwargs)
    return old, new


def test_channel_map_moves_each_group_and_keeps_image_channels():
    assert channel_map(3, 4, 6).tolist() == [0, 1, 2]
    assert channel_map(8, 4, 6).tolist() == [0, 1, 2, 3, 6, 7, 8, 9]


@pytest.mark.parametrize("kwargs", [
    dict(scale=2, blocks_per_level=[3], hr_blocks=[0], image_skip="bicubic"),
    dict(scale=4, blocks_per_level=[3, 2], hr_blocks=[1, 1], activation="prelu"),  # refined blocks, PReLU slopes
    dict(scale=2, blocks_per_level=[2], hr_blocks=[1], u_block="tu"),
])
def test_the_wider_network_computes_the_narrow_ones_images(kwargs):
    old, new = _pair(8, 12, **kwargs)
    before = {k: v.clone() for k, v in new.state_dict().items()}
    new.load_state_dict(widen_state_dict(old.state_dict(), new, 8, 12))
    x = torch.rand(2, 3, 13, 18)
    with torch.no_grad():
        a, b = old(x), new(x)
    assert len(a) == len(b)
    for ya, yb in zip(a, b):
        assert torch.allclose(ya, yb, atol=1e-5), (ya - yb).abs().max()
    # Not a copy of the narrow model padded with zeros: the new channels' own weights keep the
    # wider model's initialisation (so they compute something), and only their outgoing weights
    # into the old channels are zero.
    w_new, w_old = new.head[0].weight, old.head[0].weight
    assert torch.equal(w_new[:8], w_old) and torch.equal(w_new[8:], before["head.0.weight"][8:])
    tail_new = new.levels[0].tail.weight  # 3 image channels read 12 features
    assert torch.equal(tail_new[:, :8], old.levels[0].tail.weight) and torch.all(tail_new[:, 8:] == 0)
    block = new.levels[0].ublocks[1]  # a dense group's second block reads [x0, f1]: 2 groups of 12
    regulate = getattr(block, "regulate", None)
    if regulate is not None:
        assert torch.all(regulate.weight[:8, 8:12] == 0) and torch.all(regulate.weight[:8, 20:24] == 0)
        up1 = block.up1.weight  # transposed: (in = 2 groups, out, k, k)
        assert torch.all(up1[8:12, :8] == 0) and torch.all(up1[20:24, :8] == 0)
        assert torch.equal(up1[:8, :8], old.levels[0].ublocks[1].up1.weight[:8, :8])


def test_widening_refuses_what_it_cannot_do():
    old, new = _pair(8, 12, scale=2, blocks_per_level=[2], hr_blocks=[0])
    with pytest.raises(ValueError, match="old width < new width"):
        widen_state_dict(old.state_dict(), new, 12, 8)
    state = old.state_dict()
    state.pop("head.0.bias")
    with pytest.raises(ValueError, match="differ in keys"):
        widen_state_dict(state, new, 8, 12)
    deeper, _ = _pair(8, 12, scale=2, blocks_per_level=[3], hr_blocks=[0])
    with pytest.raises(ValueError, match="differ in keys"):
        widen_state_dict(deeper.state_dict(), new, 8, 12)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return make_data_root(tmp_path_factory.mktemp("data"))


def test_a_stage_starts_from_a_narrower_checkpoint_only_when_asked(root, tmp_path):
    data = TrainingSet.from_config(tiny_config(root))
    narrow = train(tiny_config(root, steps=3), tmp_path / "narrow", data=data)
    init = str(narrow.final_weights)
    wide_cfg = tiny_config(root, steps=2, init=init, channels=narrow.model.config.channels + 4, lr=1e-30)
    with pytest.raises(CheckpointMismatchError, match="channels"):
        train(wide_cfg, tmp_path / "refused", data=data)
    with pytest.raises(CheckpointMismatchError, match="init_widen"):  # same width: nothing to widen
        train(tiny_config(root, steps=2, init=init, init_widen=True), tmp_path / "same", data=data)
    wide = train(wide_cfg.replace(init_widen=True), tmp_path / "wide", data=data)
    x = torch.rand(1, 3, 10, 11)
    with torch.no_grad():  # lr ~0: the widened network still computes the narrow one's image
        a = load_checkpoint(narrow.final_weights).model(x)[-1]
        b = load_checkpoint(wide.final_weights).model(x)[-1]
    assert torch.allclose(a, b, atol=1e-5)
