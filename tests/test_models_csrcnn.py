"""CSRCNN model: shapes, the BP-U equations, T-U, notation, variants, stage loading, options."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from srlib.models import build_model, list_models
from srlib.models.blocks import BPUBlock, RefinedBlock, TUBlock
from srlib.models.csrcnn import (
    CSRCNN,
    CSRCNNConfig,
    LevelSpec,
    parse_notation,
    variant_config,
)

N = 8  # feature channels for the small test models


def small(scale: int, **kw) -> CSRCNN:
    torch.manual_seed(kw.pop("seed", 0))
    return CSRCNN(CSRCNNConfig(scale=scale, channels=N, **kw))


# ------------------------------------------------------------------ shapes, forward + backward
@pytest.mark.parametrize("scale", [2, 4, 8])
@pytest.mark.parametrize("size", [(31, 45), (1, 1), (7, 9)])
def test_forward_backward_exact_sizes(scale, size):
    model = small(scale)
    x = torch.rand(1, 3, *size)
    images = model(x)
    assert len(images) == scale.bit_length() - 1
    for k, img in enumerate(images, start=1):
        assert img.shape == (1, 3, size[0] * 2**k, size[1] * 2**k)
        assert torch.isfinite(img).all()
    sum(img.mean() for img in images).backward()
    no_grad = [n for n, p in model.named_parameters() if p.grad is None]
    assert not no_grad, f"parameters unused in forward: {no_grad[:5]}"


def test_rejects_wrong_input_shape():
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        small(2)(torch.rand(1, 1, 8, 8))


# ------------------------------------------------------------------ BP-U and T-U equations
def _randomise_biases(block):
    with torch.no_grad():
        for m in block.modules():
            if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
                m.bias.normal_(0, 0.1)


def _down(t, conv):
    return F.conv2d(t, conv.weight, conv.bias, stride=2, padding=1)


def _up(t, deconv, target):
    # 3x3, stride 2, padding 1 gives 2h - 1 (+ output_padding) rows
    op = (target.shape[-2] - (2 * t.shape[-2] - 1), target.shape[-1] - (2 * t.shape[-1] - 1))
    return F.conv_transpose2d(t, deconv.weight, deconv.bias, stride=2, padding=1, output_padding=op)


@pytest.mark.parametrize("activation", ["relu", "lrelu"])
@pytest.mark.parametrize("size", [(11, 7), (16, 16), (1, 1)])
def test_bpu_block_matches_equations_1_to_5(activation, size):
    torch.manual_seed(1)
    m_in = 3 * N
    block = BPUBlock(m_in, N, activation)
    _randomise_biases(block)
    act = torch.relu if activation == "relu" else (lambda t: F.leaky_relu(t, 0.2))
    x = torch.randn(2, m_in, *size)
    f0 = act(F.conv2d(x, block.regulate.weight, block.regulate.bias))  # 1x1 regulating conv
    f1 = act(_down(f0, block.down1))  # eq (1)
    f2 = act(_down(f1, block.down2))  # eq (2)
    f3 = torch.cat([act(F.conv2d(f2, block.conv.weight, block.conv.bias, padding=1)), f2], 1)  # (3)
    assert f3.shape[1] == 2 * N
    f4 = act(_up(f3, block.up1, f1)) - f1  # eq (4)
    f5 = act(_up(f4, block.up2, f0)) + f0  # eq (5)
    out = block(x)
    assert out.shape == (2, N, *size)
    torch.testing.assert_close(out, f5, rtol=1e-5, atol=1e-5)
    # all kernels after the 1x1 are 3x3
    assert block.regulate.kernel_size == (1, 1)
    for layer in (block.down1, block.down2, block.conv, block.up1, block.up2):
        assert layer.kernel_size == (3, 3)


def test_tu_block_matches_its_equations_and_differs_from_bpu():
    torch.manual_seed(2)
    tu, bpu = TUBlock(2 * N, N), BPUBlock(2 * N, N)
    _randomise_biases(tu)
    x = torch.randn(1, 2 * N, 13, 10)
    f0 = torch.relu(F.conv2d(x, tu.regulate.weight, tu.regulate.bias))
    f1 = torch.relu(_down(f0, tu.down1))
    f2 = torch.relu(_down(f1, tu.down2))
    f3 = torch.relu(F.conv2d(f2, tu.conv.weight, tu.conv.bias, padding=1))
    f4 = torch.relu(_up(f3, tu.up1, f1))  # no concatenation, no subtraction
    f5 = torch.relu(_up(f4, tu.up2, f0)) + f0
    torch.testing.assert_close(tu(x), f5, rtol=1e-5, atol=1e-5)

    n_tu = sum(p.numel() for p in tu.parameters())
    n_bpu = sum(p.numel() for p in bpu.parameters())
    assert n_bpu - n_tu == 9 * N * N  # only W4's extra N input channels (the concatenation)

    # BP-U with T-U's weights and W4 ignoring the concatenated half differs only by "- F1"
    with torch.no_grad():
        for name, p in bpu.named_parameters():
            src = dict(tu.named_parameters())[name]
            if name == "up1.weight":
                p.zero_()
                p[:N] = src
            else:
                p.copy_(src)
    assert not torch.allclose(bpu(x), tu(x), atol=1e-4)
    with torch.no_grad():
        bpu_f4 = torch.relu(bpu.up1(torch.cat([f3, f2], 1), output_size=f1.shape[-2:])) - f1
    torch.testing.assert_close(bpu_f4 + f1, f4, rtol=1e-5, atol=1e-5)


def test_refined_block_structure_and_residual():
    block = RefinedBlock(N)
    convs = [m for m in block.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 12 and all(c.kernel_size == (3, 3) for c in convs)
    with torch.no_grad():
        for c in convs:
            c.weight.zero_()
            c.bias.zero_()
    x = torch.randn(1, N, 5, 6)
    torch.testing.assert_close(block(x), x)  # residual around the whole block


# ------------------------------------------------------------------ notation
def test_parse_notation_forms():
    expected = [LevelSpec(4, "R", 1), LevelSpec(4, "R", 1)]
    assert parse_notation("U4TR1 U4TR1") == expected
    assert parse_notation("$U_4TR_1 U_4TR_1$") == expected
    assert parse_notation("U_{4}TR_{1}U_{4}TR_{1}") == expected
    assert parse_notation("U2TU1 U2TU1") == [LevelSpec(2, "U", 1)] * 2
    assert parse_notation(" U6TR1 U4TR1  U2TR1 ")[2] == LevelSpec(2, "R", 1)


@pytest.mark.parametrize(
    "text", ["", "   ", "U4TR1 X", "U0TR1", "U4TX1", "U4R1", "U4TR", "U1TR1 " * 4, "U4TR1,U4TR1"]
)
def test_parse_notation_errors(text):
    with pytest.raises(ValueError):
        parse_notation(text)


def test_parse_notation_rejects_non_string():
    with pytest.raises(ValueError, match="string"):
        parse_notation(None)  # type: ignore[arg-type]


def test_config_from_notation():
    cfg = CSRCNNConfig.from_notation("$U_2TU_1 U_2TU_1$", channels=N)
    assert (cfg.scale, cfg.blocks_per_level, cfg.hr_blocks, cfg.hr_block) == (4, (2, 2), (1, 1), "U")
    assert cfg.channels == N and cfg.notation == "U2TU1 U2TU1"
    assert CSRCNNConfig.from_notation("U3TR0 U3TR0").hr_blocks == (0, 0)
    assert CSRCNNConfig.from_notation("U4TR1", scale=2).scale == 2
    with pytest.raises(ValueError, match="contradicts"):
        CSRCNNConfig.from_notation("U4TR1 U4TR1", scale=8)
    with pytest.raises(ValueError, match="mixes"):
        CSRCNNConfig.from_notation("U4TR1 U4TU1")
    model = CSRCNN(CSRCNNConfig.from_notation("U2TU1 U2TU1", channels=N))
    assert all(isinstance(b, BPUBlock) for lvl in model.levels for b in lvl.hr)
    assert all(b.regulate.in_channels == N for lvl in model.levels for b in lvl.hr)  # M = N


# ------------------------------------------------------------------ variants and registry
def test_variant_configs():
    assert variant_config("full", 8).blocks_per_level == (6, 4, 2)
    assert variant_config("full", 4).blocks_per_level == (6, 4)
    assert variant_config("model1", 4).blocks_per_level == (5, 5)
    assert variant_config("model1", 8).blocks_per_level == (4, 4, 4)
    assert variant_config("model2", 8) == variant_config("full", 8)
    for name in ("model3", "tu"):
        cfg = variant_config(name, 8)
        assert cfg.u_block == "tu" and cfg.blocks_per_level == (6, 4, 2)
    assert variant_config("full", 8).u_block == "bpu"
    assert variant_config("model1", 4, channels=N).channels == N
    with pytest.raises(ValueError, match="unknown variant"):
        variant_config("model4", 4)
    with pytest.raises(ValueError, match="fixes"):
        variant_config("model3", 4, u_block="bpu")
    with pytest.raises(ValueError, match="scale"):
        variant_config("full", 3)


def test_registry_builds_paper_full_model():
    assert {"csrcnn", "csrcnn-tu", "csrcnn-symmetric"} <= set(list_models())
    with torch.device("meta"):
        model = build_model("csrcnn", scale=8)
    cfg = model.config
    assert cfg.blocks_per_level == (6, 4, 2) and cfg.hr_blocks == (1, 1, 1) and cfg.hr_block == "R"
    assert cfg.channels == 64 and cfg.u_block == "bpu" and cfg.activation == "relu"
    assert [len(lvl.ublocks) for lvl in model.levels] == [6, 4, 2]
    assert all(isinstance(lvl.hr[0], RefinedBlock) and len(lvl.hr) == 1 for lvl in model.levels)
    assert build_model("csrcnn-tu", scale=4, channels=N).config.u_block == "tu"
    assert build_model("csrcnn-symmetric", scale=8, channels=N).config.blocks_per_level == (4, 4, 4)
    assert build_model("csrcnn", notation="U2TU1 U2TU1", channels=N).config.scale == 4
    assert build_model("csrcnn", scale=4, variant="model3", channels=N).config.u_block == "tu"
    with pytest.raises(ValueError, match="unknown CSRCNN option"):
        build_model("csrcnn", scale=4, chanels=8)
    with pytest.raises(ValueError, match="needs scale"):
        build_model("csrcnn")


# ------------------------------------------------------------------ curriculum stage loading
def test_load_previous_stage_x2_to_x4_to_x8():
    x = torch.rand(1, 3, 6, 5)
    m2, m4, m8 = small(2, seed=1), small(4, seed=2), small(8, seed=3)
    sd2 = m2.state_dict()
    missing = set(m4.state_dict()) - set(sd2)
    assert missing and all(k.startswith("levels.1.") for k in missing)
    before = {k: v.clone() for k, v in m4.state_dict().items() if k.startswith("levels.1.")}
    assert m4.load_previous_stage(sd2) == [1]
    for k, v in sd2.items():
        assert torch.equal(m4.state_dict()[k], v)
    for k, v in before.items():
        assert torch.equal(m4.state_dict()[k], v)  # the new level keeps its initialisation
    with torch.no_grad():
        torch.testing.assert_close(m4(x)[0], m2(x)[0])  # the x2 output is the trained x2 model's
        assert m8.load_previous_stage(m4.state_dict()) == [2]
        torch.testing.assert_close(m8(x)[1], m4(x)[1])
        assert m8.load_previous_stage(sd2) == [1, 2]
        assert m8.load_previous_stage(m8.state_dict()) == []


def test_load_previous_stage_refuses_with_clear_messages():
    m4 = small(4)
    with pytest.raises(ValueError, match=r"shape mismatches: head\.0\.weight"):
        m4.load_previous_stage(CSRCNN(CSRCNNConfig(scale=2, channels=2 * N)).state_dict())
    with pytest.raises(ValueError, match="level 0 is only partly"):
        m4.load_previous_stage(small(2, blocks_per_level=(5,)).state_dict())
    with pytest.raises(ValueError, match=r"unexpected keys.*levels\.2\."):
        m4.load_previous_stage(small(8).state_dict())
    sd = {k: v for k, v in small(2).state_dict().items() if not k.startswith("head.")}
    with pytest.raises(ValueError, match=r"missing key outside the levels: head\."):
        m4.load_previous_stage(sd)
    with pytest.raises(ValueError, match="unexpected keys"):
        m4.load_previous_stage(small(2, fusion="last").state_dict() | {"extra.weight": torch.zeros(1)})


# ------------------------------------------------------------------ feature maps, options
def test_feature_maps_shapes_and_consistency():
    model = small(4)
    x = torch.rand(1, 3, 7, 9)
    with torch.no_grad():
        maps = model.feature_maps(x)
        images = model(x)
    assert list(maps) == [f"level{i}/{s}" for i in (1, 2) for s in ("u", "up", "hr")]
    assert maps["level1/u"].shape == (1, N, 7, 9)
    assert maps["level1/up"].shape == maps["level1/hr"].shape == (1, N, 14, 18)
    assert maps["level2/u"].shape == (1, N, 14, 18)
    assert maps["level2/hr"].shape == (1, N, 28, 36)
    for i, img in enumerate(images):
        torch.testing.assert_close(model.levels[i].tail(maps[f"level{i + 1}/hr"]), img)


@pytest.mark.parametrize("fusion", ["conv1x1", "last"])
def test_cascade_matches_its_definition(fusion):
    """Head once; per level: dense U group -> fusion -> + x0 -> deconv + act -> HR blocks -> tail;
    the next level starts from the HR features."""
    model = small(4, blocks_per_level=(3, 2), fusion=fusion)
    x = torch.rand(1, 3, 5, 6)
    with torch.no_grad():
        maps, images = model.feature_maps(x), model(x)
        feat = torch.relu(model.head[0](x))
        for i, lvl in enumerate(model.levels, start=1):
            outs = [feat]
            for j, block in enumerate(lvl.ublocks, start=1):
                assert block.regulate.in_channels == j * N  # dense: x0 and all previous outputs
                outs.append(block(torch.cat(outs, 1)))
            fused = outs[-1] if fusion == "last" else torch.relu(lvl.fusion(torch.cat(outs, 1)))
            u = fused + feat
            up = torch.relu(lvl.upsample(u))
            hr = up
            for block in lvl.hr:
                hr = block(hr)
            torch.testing.assert_close(maps[f"level{i}/u"], u)
            torch.testing.assert_close(maps[f"level{i}/up"], up)
            torch.testing.assert_close(maps[f"level{i}/hr"], hr)
            torch.testing.assert_close(images[i - 1], lvl.tail(hr))
            feat = hr
    up_conv = model.levels[0].upsample
    assert (up_conv.kernel_size, up_conv.stride, up_conv.padding) == ((4, 4), (2, 2), (1, 1))


def test_image_skip_adds_exactly_the_bicubic_image():
    x = torch.rand(1, 3, 5, 7, dtype=torch.float64)  # float64: (a + b) - a == b to ~1e-13
    plain, skip = small(8).double(), small(8, image_skip="bicubic").double()
    skip.load_state_dict(plain.state_dict())  # the option adds no parameters
    with torch.no_grad():
        diffs = [b - a for a, b in zip(plain(x), skip(x))]
        for lvl in (*plain.levels, *skip.levels):
            lvl.tail.weight.zero_()
            lvl.tail.bias.zero_()
        zero_plain, zero_skip = plain(x), skip(x)
    for k in range(3):
        bicubic = F.interpolate(x, scale_factor=2 ** (k + 1), mode="bicubic", align_corners=False)
        torch.testing.assert_close(diffs[k], bicubic, rtol=0, atol=1e-9)
        assert torch.count_nonzero(zero_plain[k]) == 0
        torch.testing.assert_close(zero_skip[k], bicubic)


def test_options_activation_fusion_upsample_kernel():
    x = torch.rand(1, 3, 5, 4)
    for kw in ({"activation": "prelu"}, {"activation": "lrelu"}, {"fusion": "last"},
               {"upsample_kernel": 2}, {"upsample_kernel": 6}, {"init": "pytorch"}):
        model = small(4, blocks_per_level=(2, 1), **kw)
        assert [o.shape[-2:] for o in model(x)] == [(10, 8), (20, 16)], kw
    keys = small(2, fusion="last").state_dict()
    assert not any(".fusion." in k for k in keys)
    assert small(2, hr_blocks=0).levels[0].hr.__len__() == 0
    assert [len(l.hr) for l in small(8, hr_blocks=(0, 1, 2)).levels] == [0, 1, 2]


def test_he_init():
    torch.manual_seed(0)
    model = CSRCNN(CSRCNNConfig(scale=2, blocks_per_level=(1,), hr_blocks=0, channels=64))
    conv = model.levels[0].ublocks[0].conv  # 64 -> 64, 3x3: fan_in 576
    assert abs(conv.weight.std().item() / (2 / 576) ** 0.5 - 1) < 0.05
    assert all(torch.count_nonzero(m.bias) == 0 for m in model.modules()
               if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)))
    torch.manual_seed(0)
    default = CSRCNN(CSRCNNConfig(scale=2, blocks_per_level=(1,), hr_blocks=0, channels=8, init="pytorch"))
    assert torch.count_nonzero(default.head[0].bias) > 0


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"scale": 3}, "scale must be one of"),
        ({"scale": 16}, "scale must be one of"),
        ({"scale": True}, "scale must be one of"),
        ({"scale": 4, "blocks_per_level": (6,)}, "has 1 entries but scale 4 has 2 levels"),
        ({"scale": 4, "blocks_per_level": 6}, "tuple"),
        ({"scale": 2, "blocks_per_level": (0,)}, "blocks_per_level must be an integer >= 1"),
        ({"scale": 2, "hr_blocks": -1}, "hr_blocks must be an integer >= 0"),
        ({"scale": 8, "hr_blocks": (1, 1)}, "hr_blocks .* 2 entries"),
        ({"scale": 2, "hr_block": "X"}, "unknown hr_block"),
        ({"scale": 2, "u_block": "unet"}, "unknown u_block"),
        ({"scale": 2, "activation": "gelu"}, "unknown activation"),
        ({"scale": 2, "fusion": "sum"}, "unknown fusion"),
        ({"scale": 2, "image_skip": "lanczos"}, "unknown image_skip"),
        ({"scale": 2, "init": "xavier"}, "unknown init"),
        ({"scale": 2, "upsample_kernel": 3}, "must be even"),
        ({"scale": 2, "channels": 0}, "channels must be an integer >= 1"),
        ({"scale": 2, "in_channels": 1, "image_skip": "bicubic"}, "in_channels == out_channels"),
    ],
)
def test_config_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CSRCNNConfig(**kwargs)


def test_config_normalises_and_round_trips():
    cfg = CSRCNNConfig(scale=8, hr_blocks=2, blocks_per_level=[3, 2, 1])
    assert cfg.blocks_per_level == (3, 2, 1) and cfg.hr_blocks == (2, 2, 2)
    assert CSRCNNConfig(**cfg.to_dict()) == cfg
    assert cfg.notation == "U3TR2 U2TR2 U1TR2"
    assert CSRCNNConfig(scale=2).blocks_per_level == (6,)
