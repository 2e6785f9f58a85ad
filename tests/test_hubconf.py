"""hubconf.py: torch.hub.load(<local clone>, 'csrcnn', ...) without any network."""
from __future__ import annotations

import pytest
import torch

from conftest import REPO_ROOT


def _hub(**kwargs):
    return torch.hub.load(str(REPO_ROOT), "csrcnn", source="local", **kwargs)


def test_hubconf_declares_its_dependencies():
    import importlib.util

    spec = importlib.util.spec_from_file_location("srlib_hubconf", REPO_ROOT / "hubconf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert {"torch", "numpy", "safetensors"} <= set(module.dependencies)
    assert callable(module.csrcnn)


def test_pretrained_x2_has_the_best_committed_weights():
    from safetensors.torch import load_file

    from srlib import published

    best = published.best_per_scale("results", scales=(2,))
    assert 2 in best, "no x2 weights committed under results/"
    weights = best[2].weights
    candidates = published.list_published("results", scales=(2,))
    assert best[2].metrics["results"]["Set5"]["psnr"] == max(c.metrics["results"]["Set5"]["psnr"] for c in candidates)
    net = _hub(scale=2, pretrained=True)
    assert not net.training
    stored = load_file(str(weights))
    state = net.state_dict()
    assert set(stored) == set(state)
    for k, v in stored.items():
        assert state[k].dtype == torch.float32
        assert torch.equal(state[k], v.float()), k
    with torch.no_grad():
        out = net(torch.rand(1, 3, 16, 16))
    assert out[-1].shape == (1, 3, 32, 32)


def test_untrained_model_has_the_same_architecture_and_other_weights():
    trained = _hub(scale=2, pretrained=True, weights="reference")
    fresh = _hub(scale=2, pretrained=False)
    ts, fs = trained.state_dict(), fresh.state_dict()
    assert {k: tuple(v.shape) for k, v in ts.items()} == {k: tuple(v.shape) for k, v in fs.items()}
    assert any(not torch.equal(ts[k], fs[k]) for k in ts)
    x8 = _hub(scale=8, pretrained=False)
    with torch.no_grad():
        outs = x8(torch.rand(1, 3, 8, 8))
    assert [tuple(o.shape[-2:]) for o in outs] == [(16, 16), (32, 32), (64, 64)]


@pytest.mark.parametrize("scale", [4, 8])
def test_missing_pretrained_scale_names_the_file(scale):
    paths = [REPO_ROOT / "results" / kind / f"x{scale}" / "weights_fp16.safetensors" for kind in ("campaign", "reference")]
    if any(p.is_file() for p in paths):
        pytest.skip(f"x{scale} weights are committed now")
    with pytest.raises(FileNotFoundError, match=f"results/campaign/x{scale}/weights_fp16.safetensors"):
        _hub(scale=scale, pretrained=True)


def test_unknown_weights_choice():
    with pytest.raises(ValueError, match="weights must be one of"):
        _hub(scale=2, pretrained=True, weights="latest")


def test_bad_scale():
    with pytest.raises(ValueError, match="2, 4 and 8"):
        _hub(scale=3, pretrained=False)
