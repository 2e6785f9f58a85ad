"""What each training profile can afford in the book: images per notebook.

A notebook reads its profile's entry when its own parameter is empty. Table VI's compute budget is
:data:`srlib.efficiency.TABLE6_GFLOP_BUDGET`; the ablation sets' (Tables II-IV, Figure 5) are
:data:`srlib.ablations.BUDGETS` (their records are trained once and stored, not by the book).
"""
from __future__ import annotations

__all__ = ["TABLE5_PARTIAL"]

#: Table V datasets evaluated on their first N images only, per profile (CPU budget); the
#: table labels such cells, and Bicubic is evaluated on the same images.
TABLE5_PARTIAL: dict[str, dict[str, int]] = {
    "smoke": {"B100": 10, "Urban100": 5}, "quick": {"B100": 50, "Urban100": 10}, "reference": {}, "paper": {},
}
