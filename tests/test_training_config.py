"""TrainConfig: presets, JSON round trip, validation, model specs, schedules, CLI overrides."""
from __future__ import annotations

import json

import pytest

from srlib.cli import build_parser
from srlib.training import PRESETS, TrainConfig, config_diff, fade_alpha_at, loss_kind_at, lr_at, preset
from srlib.cli.train import build_config


@pytest.mark.parametrize("name", list(PRESETS))
@pytest.mark.parametrize("scale", [2, 4, 8])
def test_presets_round_trip_through_json(name, scale):
    cfg = preset(name, scale)
    assert cfg.profile == name and cfg.scale == scale
    again = TrainConfig.from_json(cfg.to_json())
    assert again == cfg
    assert json.loads(cfg.to_json()) == cfg.to_dict()
    assert not config_diff(cfg, again, ignore=set())


def test_paper_preset_states_the_paper():
    cfg = preset("paper", 8)
    assert (cfg.optimizer, cfg.momentum, cfg.weight_decay, cfg.batch_size, cfg.patch_size) == ("sgd", 0.9, 1e-4, 32, 32)
    assert cfg.aug_scales == (1.0, 0.9, 0.8, 0.7, 0.5) and cfg.image_skip == "none"
    assert cfg.loss_schedule == "l1_then_alternate" and cfg.curriculum == "progressive"
    assert cfg.model_spec()[1]["blocks_per_level"] == [6, 4, 2]


def test_from_dict_rejects_unknown_fields_and_bad_values():
    with pytest.raises(ValueError, match="chanels"):
        TrainConfig.from_dict({"chanels": 3})
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig(optimizer="rmsprop")
    with pytest.raises(ValueError, match="model2"):
        TrainConfig(variant="model2", scale=4)
    with pytest.raises(ValueError, match="steps"):
        TrainConfig(steps=0)


def test_lists_from_json_become_tuples():
    cfg = TrainConfig.from_dict({"train_sets": ["T91"], "aug_scales": [1, 0.5], "blocks_per_level": [2, 1, 1]})
    assert cfg.train_sets == ("T91",) and cfg.aug_scales == (1.0, 0.5) and cfg.blocks_per_level == (2, 1, 1)


def test_model_spec_variants_and_stages():
    base = dict(channels=8, blocks_per_level=(4, 2, 1))
    assert TrainConfig(scale=2, **base).model_spec()[1]["blocks_per_level"] == [4]
    assert TrainConfig(scale=4, **base).model_spec()[1]["blocks_per_level"] == [4, 2]
    # model1 splits the U blocks of the final scale evenly; its x2 stage already has that split.
    m1 = TrainConfig(scale=2, final_scale=4, variant="model1", **base).model_spec()[1]
    assert m1["blocks_per_level"] == [3] and m1["u_block"] == "bpu"
    assert TrainConfig(scale=4, variant="tu", **base).model_spec()[1]["u_block"] == "tu"
    spec = TrainConfig(scale=2, notation="U3TR2 U2TR1").model_spec()[1]
    assert spec["blocks_per_level"] == [3] and spec["hr_blocks"] == [2]
    name, kw = TrainConfig(model="fsrcnn", scale=4, model_options={"in_channels": 1}).model_spec()
    assert name == "fsrcnn" and kw == {"scale": 4, "in_channels": 1}


def test_schedules():
    cfg = TrainConfig(steps=100, lr=1.0, lr_schedule="step", lr_milestones=(0.5, 0.75), lr_gamma=0.1,
                      loss_schedule="l1_then_alternate", l1_fraction=0.8, alternate_every=5, fade_fraction=0.2)
    assert [lr_at(cfg, s) for s in (0, 49, 50, 74, 75, 99)] == pytest.approx([1, 1, 0.1, 0.1, 0.01, 0.01])
    assert [loss_kind_at(cfg, s) for s in (0, 79, 80, 84, 85, 90)] == ["l1", "l1", "l2", "l2", "l1", "l2"]
    assert fade_alpha_at(cfg, 0, True) == 0.0 and fade_alpha_at(cfg, 10, True) == 0.5
    assert fade_alpha_at(cfg, 20, True) == 1.0 and fade_alpha_at(cfg, 0, False) == 1.0
    cos = cfg.replace(lr_schedule="cosine", lr_min=0.0, warmup_steps=10)
    assert lr_at(cos, 0) == pytest.approx(0.1) and lr_at(cos, 10) == pytest.approx(1.0)
    assert lr_at(cos, 100) == pytest.approx(0.0, abs=1e-9)


def test_cli_overrides_every_field(tmp_path):
    parser = build_parser()
    args = parser.parse_args(["train", "--profile", "quick", "--scale", "4", "--out", str(tmp_path / "r"),
                              "--channels", "12", "--val-sets", "Set5,Set14", "--augment", "false",
                              "--image-skip", "none", "--model-options", '{"fusion": "last"}',
                              "--init", "x2/final.safetensors", "--data-dir", "/d"])
    cfg = build_config(args)
    assert (cfg.profile, cfg.scale, cfg.channels, cfg.augment, cfg.image_skip) == ("quick", 4, 12, False, "none")
    assert cfg.val_sets == ("Set5", "Set14") and cfg.model_options == {"fusion": "last"}
    assert cfg.init == "x2/final.safetensors" and cfg.data_root == "/d"
    # Scale-dependent preset values follow the scale.
    assert cfg.steps == preset("quick", 4).steps


def test_mixed_notation_is_refused_everywhere():
    # A Table IV notation mixing HR block types (R in level 1, U in level 2) cannot be one CSRCNN:
    # the configuration, the registry and the training config refuse it alike (even the x2 stage
    # of such a cascade, whose own level alone would not mix).
    from srlib.models import build_model
    from srlib.models.csrcnn import CSRCNNConfig

    mixed = "U4TR1 U4TU1"
    with pytest.raises(ValueError, match="mixes"):
        CSRCNNConfig.from_notation(mixed)
    with pytest.raises(ValueError, match="mixes"):
        build_model("csrcnn", notation=mixed, channels=4)
    for scale in (2, 4):
        with pytest.raises(ValueError, match="mixes"):
            TrainConfig(scale=scale, notation=mixed).model_spec()


@pytest.mark.parametrize("variant", ["full", "model1", "model2", "model3", "tu"])
@pytest.mark.parametrize("scale", [4, 8])
def test_model_spec_builds_the_models_layer_variant(variant, scale):
    from srlib.models.csrcnn import CSRCNNConfig, variant_config

    curriculum = "none" if variant == "model2" else "progressive"
    _, kwargs = TrainConfig(scale=scale, variant=variant, curriculum=curriculum).model_spec()
    assert CSRCNNConfig(**kwargs) == variant_config(variant, scale)
