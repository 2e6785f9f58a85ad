"""The x8 geometric self-ensemble (test-time augmentation): the dihedral transforms round-trip,
an equivariant network gains nothing from it (its ensemble equals plain inference), a network
that is not equivariant gets the mean of its 8 transformed outputs, and the evaluation protocol
scores the ensemble's output like any other upscaler's."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from srlib.evaluation import bicubic_upscaler, evaluate, self_ensemble_upscaler
from srlib.inference import DIHEDRAL, FadeBlend, dihedral, dihedral_ensemble, load_upscaler, model_upscaler
from srlib.models import build_model
from srlib.training.checkpoint import save_weights


class PointwiseNet(nn.Module):
    """A 1x1 convolution, then nearest-neighbour upsampling: equivariant to every dihedral transform."""

    in_channels = 3

    def __init__(self, scale: int = 2):
        super().__init__()
        self.scale = scale
        self.conv = nn.Conv2d(3, 3, 1)

    def forward(self, x):
        return F.interpolate(torch.sigmoid(self.conv(x)), scale_factor=self.scale, mode="nearest")


class OrientedNet(PointwiseNet):
    """A 3x3 convolution with random weights: not equivariant."""

    def __init__(self, scale: int = 2):
        super().__init__(scale)
        self.conv = nn.Conv2d(3, 3, 3, padding=1)


def test_dihedral_transforms_round_trip_and_are_eight_distinct():
    torch.manual_seed(0)
    x = torch.rand(1, 3, 5, 7)
    seen = set()
    for k in DIHEDRAL:
        y = dihedral(x, k)
        assert y.shape[-2:] == ((5, 7) if k % 2 == 0 else (7, 5))
        assert torch.equal(dihedral(y, k, inverse=True), x)
        seen.add(y.numpy().tobytes())
        a = x[0].permute(1, 2, 0).numpy()  # the same transform on an H x W x C array
        assert np.array_equal(dihedral(a, k), y[0].permute(1, 2, 0).numpy())
        assert np.array_equal(dihedral(dihedral(a, k), k, inverse=True), a)
    assert len(seen) == 8
    assert torch.equal(dihedral(x, 1), torch.rot90(x, 1, (-2, -1)))
    assert torch.equal(dihedral(x, 4), torch.flip(x, (-1,)))
    with pytest.raises(ValueError, match="0-7"):
        dihedral(x, 8)


def test_equivariant_network_ensemble_equals_plain_inference():
    torch.manual_seed(1)
    net, x = PointwiseNet(2).eval(), torch.rand(1, 3, 9, 6)
    with torch.inference_mode():
        assert torch.allclose(dihedral_ensemble(net)(x), net(x), atol=1e-6)
    lr = (np.random.default_rng(0).random((9, 6, 3)) * 255).astype(np.uint8)
    plain = model_upscaler(FadeBlend(net), (2,), device="cpu")(lr, 2)
    ensembled = model_upscaler(FadeBlend(net), (2,), device="cpu", self_ensemble=True)(lr, 2)
    assert ensembled.shape == plain.shape == (18, 12, 3) and np.array_equal(ensembled, plain)


def test_oriented_network_gets_the_mean_of_its_eight_outputs():
    torch.manual_seed(2)
    net, x = OrientedNet(2).eval(), torch.rand(1, 3, 8, 6)
    with torch.inference_mode():
        manual = sum(dihedral(net(dihedral(x, k)), k, inverse=True) for k in DIHEDRAL) / 8
        out = dihedral_ensemble(net)(x)
        assert torch.allclose(out, manual, atol=1e-6)
        assert (out - net(x)).abs().max() > 1e-3  # not plain inference in disguise
    lr = (np.random.default_rng(1).random((8, 6, 3)) * 255).astype(np.uint8)
    ensembled = model_upscaler(FadeBlend(net), (2,), device="cpu", self_ensemble=True)(lr, 2)
    with torch.inference_mode():
        expected = dihedral_ensemble(net)(torch.from_numpy(lr.transpose(2, 0, 1)).float()[None] / 255)
    expected = np.floor(expected[0].clamp(0, 1).permute(1, 2, 0).double().numpy() * 255 + 0.5).astype(np.uint8)
    assert np.abs(ensembled.astype(int) - expected.astype(int)).max() <= 1  # float32 vs float64 rounding


def test_checkpoint_upscaler_names_the_ensemble(tmp_path):
    torch.manual_seed(3)
    kwargs = {"scale": 2, "channels": 8, "blocks_per_level": [1], "hr_blocks": [0], "image_skip": "bicubic"}
    path = tmp_path / "x2.safetensors"
    save_weights(path, build_model("csrcnn", **kwargs).state_dict(), {"model": "csrcnn", "model_kwargs": kwargs,
                                                                      "scale": 2, "step": 0, "fade_alpha": 1.0})
    up, name = load_upscaler(path, device="cpu", self_ensemble=True)
    plain, plain_name = load_upscaler(path, device="cpu")
    assert name == plain_name + "+x8"
    lr = (np.random.default_rng(2).random((16, 16, 3)) * 255).astype(np.uint8)
    assert up(lr, 2).shape == plain(lr, 2).shape == (32, 32, 3)


def test_bicubic_self_ensemble_is_scored_by_the_same_protocol(data_root):
    """MATLAB's uint8 bicubic is equivariant to the transforms that keep the axes (it rounds after
    each axis, so a quarter turn changes the rounding), so its ensemble scores about as plain
    bicubic; the ensemble's output goes through the same modcrop, shave and Y-channel scoring."""
    lr = (np.random.default_rng(3).random((10, 7, 3)) * 255).astype(np.uint8)
    for k in (0, 2, 4, 6):
        assert np.array_equal(dihedral(bicubic_upscaler(np.ascontiguousarray(dihedral(lr, k)), 4), k, inverse=True),
                              bicubic_upscaler(lr, 4))
    plain = evaluate(bicubic_upscaler, "Set5", 4, root=data_root, progress=False, limit=2)
    ens = evaluate(self_ensemble_upscaler(bicubic_upscaler), "Set5", 4, root=data_root, progress=False, limit=2)
    assert [s.name for s in ens.images] == [s.name for s in plain.images]
    assert ens.psnr == pytest.approx(plain.psnr, abs=0.005) and ens.ssim == pytest.approx(plain.ssim, abs=1e-4)
    assert ens.psnr != plain.psnr  # the quarter turns' outputs were averaged in
