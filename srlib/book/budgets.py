"""What each training profile can afford in the book: steps, rows, seeds and images per notebook.

A notebook reads its profile's entry when its own parameter is empty; ``None`` means the
profile's own steps (:func:`srlib.training.preset`). Table VI's compute budget is
:data:`srlib.efficiency.TABLE6_GFLOP_BUDGET`.
"""
from __future__ import annotations

__all__ = ["TABLE5_PARTIAL", "TABLE4_STEPS", "TABLE4_ROWS", "ABLATION_STEPS", "NOISE_SEEDS"]

#: Table V datasets evaluated on their first N images only, per profile (CPU budget); the
#: table labels such cells, and Bicubic is evaluated on the same images.
TABLE5_PARTIAL: dict[str, dict[str, int]] = {
    "smoke": {"B100": 10, "Urban100": 5}, "quick": {"B100": 50, "Urban100": 10}, "reference": {}, "paper": {},
}

#: Steps per curriculum stage of the nine Table IV networks, per profile (None: the profile's own).
TABLE4_STEPS: dict[str, dict[int, int] | None] = {"smoke": None, "quick": {2: 40, 4: 30}, "reference": None,
                                                   "paper": None}

#: Table IV rows trained per profile (None: all nine); the others show "not run" and keep their
#: exact parameter counts. The quick profile trains the shallowest row, the HR-U-block row and
#: the paper's chosen depth, to stay within the CI budget.
TABLE4_ROWS: dict[str, list[str] | None] = {"smoke": None, "quick": ["U2TR0 U2TR0", "U2TU1 U2TU1", "U4TR1 U4TR1"],
                                            "reference": None, "paper": None}

#: Steps per curriculum stage of the ablation runs (Tables II, III, Figure 5), per profile (None:
#: the profile's own). Every row of an ablation table gets the same budget. With the profile's own
#: steps (every profile now) the Full / BP-U rows *are* the main curriculum's runs (Table V's
#: CSRCNN), found and reused; a budget of its own (a notebook's ``ablation_steps``) trains them
#: separately. Measured on the 2-core CPU: the quick ablation trainings at the profile's steps take
#: about 5 minutes together, so a smaller budget is no longer needed to fit CI.
ABLATION_STEPS: dict[str, dict[int, int] | None] = {"smoke": None, "quick": None, "reference": None, "paper": None}


#: Extra seeds of Table II's Full row per profile: the same configuration trained again from
#: other seeds (1, 2, ...), whose spread is the noise floor the table's row differences are read
#: against. 0: none (the GPU profiles, where one more curriculum costs hours).
NOISE_SEEDS: dict[str, int] = {"smoke": 1, "quick": 2, "reference": 0, "paper": 0}
