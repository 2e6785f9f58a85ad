"""Run keys do not move when the profiles are reorganised.

``tests/data/profile_run_keys.json`` holds, for every training preset x scale, every book
curriculum variant and every ablation unit's stage (budgets ``quick`` and ``scale``), the hash
of the full :class:`~srlib.training.TrainConfig` dict (the presets' dicts in full) and its
:func:`~srlib.training.runs.run_key`, as the code computed them when the fixture was written. A change of a preset, a budget or of how a unit's
configs are built changes a key, so stored runs would silently stop being reused: this test
fails first. Regenerate (only for an intended change of what is trained) with
``python tests/test_profile_run_keys.py --write``.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent / "data" / "profile_run_keys.json"
SCALES = (2, 4, 8)


def _entry(config) -> dict:
    """The run's key and a hash of the whole config (runtime fields included: they change how
    the run validates and logs, not its key)."""
    from srlib.training.runs import run_key

    whole = json.dumps(config.to_dict(), sort_keys=True, default=str)
    return {"config_sha256": hashlib.sha256(whole.encode()).hexdigest(), "run_key": run_key(config)}


def current_keys() -> dict[str, dict]:
    """Every config the fixture covers, by a readable name, as the code builds it now."""
    from srlib import ablations as ab
    from srlib.ablations import plan
    from srlib.training import PRESETS, preset
    from srlib.training.runs import STAGE_VARIANTS, stage_config

    out: dict[str, dict] = {}
    for name in PRESETS:
        for scale in SCALES:
            out[f"preset/{name}/x{scale}"] = {**_entry(preset(name, scale)), "config": preset(name, scale).to_dict()}
            for variant in STAGE_VARIANTS:
                if variant == "model1":
                    continue
                out[f"stage/{name}/{variant}/x{scale}"] = _entry(stage_config(name, scale, variant))
            if scale <= 4:  # model1 splits the U blocks evenly: (4, 2, 1) does not split over x8's three levels
                out[f"stage/{name}/model1/x{scale}-of-x4"] = _entry(stage_config(name, scale, "model1", final_scale=4))
    for profile in ("quick", "scale"):
        budget = ab.BUDGETS[profile]
        for unit in ab.units(profile):
            steps, final = plan._unit_steps(unit, budget), max(unit.scales)
            for top in unit.scales:
                stages = (top,) if unit.variant in ab.END_TO_END else tuple(s for s in SCALES if s <= top)
                for scale in stages:
                    config = stage_config(plan.training_preset(profile), scale, unit.variant,
                                          final_scale=(final if unit.variant == "model1" else 0) or top,
                                          stage_steps=steps, **plan._options(unit, profile, budget))
                    out[f"unit/{profile}/{unit.name}/x{scale}-of-x{top}"] = _entry(config)
    return out


def current_budgets() -> dict:
    """The book's per-profile evaluation budgets and validation limits."""
    from srlib.ablations import BUDGETS
    from srlib.profiles import BOOK_VAL_LIMIT, TABLE5_PARTIAL, TABLE6_GFLOP_BUDGET

    return {"table5_partial": TABLE5_PARTIAL, "table6_gflop_budget": TABLE6_GFLOP_BUDGET,
            "book_val_limit": BOOK_VAL_LIMIT,
            "ablation_budgets": {name: {"steps": b.steps, "seeds": b.seeds, "table4_steps": b.table4_steps,
                                        "table4_seeds": b.table4_seeds, "val_every": b.val_every,
                                        "preset": b.preset, "step_factor": b.step_factor}
                                 for name, b in BUDGETS.items()}}


def _jsonable(value):
    return json.loads(json.dumps(value, sort_keys=True))


def test_every_preset_stage_and_ablation_unit_keeps_its_run_key():
    stored = json.loads(FIXTURE.read_text())["configs"]
    now = _jsonable(current_keys())
    assert len(stored) > 250 and set(now) == set(stored), sorted(set(now) ^ set(stored))[:10]
    changed = [name for name in stored if now[name] != stored[name]]
    assert not changed, f"{len(changed)} configs changed, e.g. {changed[:5]}"


def test_the_book_budgets_and_validation_limits_are_unchanged():
    assert _jsonable(current_budgets()) == json.loads(FIXTURE.read_text())["budgets"]


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(json.dumps({"configs": current_keys(), "budgets": current_budgets()}, indent=1,
                                  sort_keys=True, default=str) + "\n")
    print(f"wrote {FIXTURE}")
