"""The one home of the device, parameter-count and colour helpers (and the names re-exported
from where they used to live)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn

from srlib import colour, device, inference, matlab, param_counts, profiling
from srlib.errors import InvalidValueError
from srlib.models import count_parameters


def test_one_definition_each():
    assert profiling.resolve_device is inference.resolve_device is device.resolve_device
    assert profiling.describe_device is device.describe_device
    assert profiling.count_parameters is param_counts.count_parameters is count_parameters
    assert inference.rgb_to_ycbcr is colour.rgb_to_ycbcr and inference.ycbcr_to_rgb is colour.ycbcr_to_rgb


def test_resolve_device_checks_that_cuda_exists():
    assert device.resolve_device("cpu") == torch.device("cpu")
    assert device.resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(InvalidValueError, match="unknown device"):
        device.resolve_device("tpu-ish")
    if not torch.cuda.is_available():
        with pytest.raises(InvalidValueError, match="CUDA is not available"):
            device.resolve_device("cuda")


def test_count_parameters_all_weights_only_and_trainable():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.PReLU())  # 18 + 2 bias + 1 slope
    assert count_parameters(net) == 21 and count_parameters(net, weights_only=True) == 18
    net[1].weight.requires_grad_(False)
    assert count_parameters(net, trainable_only=True) == 20 and count_parameters(net) == 21


def test_colour_coefficients_agree_with_the_protocols_y():
    rgb = np.random.default_rng(0).integers(0, 256, (7, 5, 3), dtype=np.uint8)
    y = matlab.rgb_to_y(rgb)  # the evaluation protocol's own formula
    np.testing.assert_allclose(colour.rgb_to_ycbcr(rgb)[..., 0], y, rtol=0, atol=1e-10)
    x = torch.from_numpy(rgb.transpose(2, 0, 1).copy()).float()[None] / 255.0
    y_t = colour.rgb_to_y_tensor(x)
    assert y_t.shape == (1, 1, 7, 5) and y_t.dtype == torch.float32
    np.testing.assert_allclose(y_t[0, 0].numpy() * 255.0, y, rtol=0, atol=1e-3)
    np.testing.assert_allclose(colour.ycbcr_to_rgb(colour.rgb_to_ycbcr(rgb)) * 255, rgb, atol=1e-9)
