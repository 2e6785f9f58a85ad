"""The loss of equations (6)-(8) and its L1 / L2 schedule."""
from __future__ import annotations

import pytest
import torch

from srlib.training import TrainConfig
from srlib.training.loss import cascade_loss, loss_kind_at, mae_loss, mse_loss


def test_equations_6_and_7_by_hand():
    out = torch.tensor([[[[0.0, 0.5], [1.0, 0.25]]]])
    target = torch.tensor([[[[0.5, 0.5], [0.0, 0.75]]]])
    assert mse_loss(out, target).item() == pytest.approx((0.25 + 0 + 1 + 0.25) / 4)  # (6)
    assert mae_loss(out, target).item() == pytest.approx((0.5 + 0 + 1 + 0.5) / 4)  # (7)
    assert mse_loss(out.bfloat16(), target).dtype == torch.float32  # AMP outputs compared in float32


def test_equation_8_sums_the_supervised_levels_smallest_first():
    x2, x4 = torch.zeros(1, 3, 2, 2), torch.zeros(1, 3, 4, 4)
    t2, t4 = torch.full_like(x2, 0.5), torch.full_like(x4, 0.25)
    assert cascade_loss([x2, x4], [t2, t4], "l1").item() == pytest.approx(0.5 + 0.25)
    assert cascade_loss([x2, x4], [t2, t4], "l2").item() == pytest.approx(0.25 + 0.0625)
    assert cascade_loss([x2, x4], [t4], "l1").item() == pytest.approx(0.25)  # final level only
    with pytest.raises(KeyError):
        cascade_loss([x2], [t2], "huber")


def test_l1_then_alternating_l2_and_l1():
    cfg = TrainConfig(steps=20, loss_schedule="l1_then_alternate", l1_fraction=0.5, alternate_every=3)
    assert [loss_kind_at(cfg, s) for s in range(9, 19)] == ["l1"] + ["l2"] * 3 + ["l1"] * 3 + ["l2"] * 3
    assert {loss_kind_at(cfg.replace(loss_schedule="l2"), s) for s in range(20)} == {"l2"}
