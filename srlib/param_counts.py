"""Parameter counts of our CSRCNN configurations against the paper's Tables IV and VI, and the
increments implied by the paper's own numbers (which reveal inconsistencies between them).

Run ``python -m srlib.param_counts`` to print all three tables. Discussion:
``book/architecture.md``.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import pandas as pd
import torch

from .models.csrcnn import CSRCNN, CSRCNNConfig
from .models.parameters import count_parameters
from .paper import load_paper_table


def config_parameters(config: CSRCNNConfig) -> int:
    """Parameters of ``CSRCNN(config)``, counted on the meta device (no memory, no init cost)."""
    with torch.device("meta"):
        return count_parameters(CSRCNN(replace(config, init="pytorch")))  # init does not count


def parameter_breakdown(config: CSRCNNConfig) -> pd.DataFrame:
    """Parameters per component (head; per level: U blocks, fusion, upsample, HR blocks, tail)."""
    with torch.device("meta"):
        model = CSRCNN(config)
    rows = [("head", "", count_parameters(model.head))]
    for i, level in enumerate(model.levels, start=1):
        for j, block in enumerate(level.ublocks, start=1):
            rows.append((f"level{i}", f"U block {j} (M={j * config.channels})", count_parameters(block)))
        if level.fusion is not None:
            rows.append((f"level{i}", "fusion 1x1", count_parameters(level.fusion) + count_parameters(level.fusion_act)))
        rows.append((f"level{i}", "upsample (transposed conv)", count_parameters(level.upsample) + count_parameters(level.upsample_act)))
        for j, block in enumerate(level.hr, start=1):
            rows.append((f"level{i}", f"HR {config.hr_block} block {j}", count_parameters(block)))
        rows.append((f"level{i}", "tail conv", count_parameters(level.tail)))
    return pd.DataFrame(rows, columns=["part", "component", "params"])


def _paper_counts() -> dict[str, int]:
    """Paper's counts (in parameters, from the K values) keyed by notation and 'CSRCNN xS'."""
    t4 = load_paper_table("table4")
    t6 = load_paper_table("table6")
    counts = {str(r.notation): int(round(float(r.params_k) * 1000)) for r in t4.itertuples()}
    for r in t6[t6["method"] == "CSRCNN"].itertuples():
        counts[f"CSRCNN x{int(r.scale)}"] = int(round(float(r.params_k) * 1000))
    return counts


def _configs() -> dict[str, tuple[str, CSRCNNConfig]]:
    """Our configuration for every paper row: key -> (table, config)."""
    out: dict[str, tuple[str, CSRCNNConfig]] = {}
    for notation in load_paper_table("table4")["notation"]:
        out[str(notation)] = ("IV", CSRCNNConfig.from_notation(str(notation)))
    t6 = load_paper_table("table6")
    for scale in sorted(int(s) for s in t6.loc[t6["method"] == "CSRCNN", "scale"]):
        out[f"CSRCNN x{scale}"] = ("VI", CSRCNNConfig(scale=scale))
    return out


def _our_counts(**overrides) -> dict[str, int]:
    return {
        key: config_parameters(CSRCNNConfig(**{**cfg.to_dict(), **overrides}))
        for key, (_, cfg) in _configs().items()
    }


def csrcnn_parameter_table(**overrides) -> pd.DataFrame:
    """Our parameter count vs the paper's for the 9 configurations of Table IV and CSRCNN
    x2 / x4 / x8 of Table VI (the full asymmetric model).

    Args:
        overrides: config fields applied to every row (e.g. ``fusion='last'``) to see how an
            open choice moves the counts; default: our defaults.

    Returns:
        One row per configuration: ``table``, ``configuration`` (Table IV notation or
        ``'CSRCNN xS'``), ``notation`` (ours), ``ours_params``, ``paper_params`` (the paper's K
        value x 1000), ``difference`` (ours - paper), ``relative_difference`` (/ paper).
    """
    paper = _paper_counts()
    rows = []
    for key, (table, cfg) in _configs().items():
        cfg = CSRCNNConfig(**{**cfg.to_dict(), **overrides})
        ours = config_parameters(cfg)
        rows.append((table, key, cfg.notation, ours, paper[key]))
    df = pd.DataFrame(rows, columns=["table", "configuration", "notation", "ours_params", "paper_params"])
    df["difference"] = df["ours_params"] - df["paper_params"]
    df["relative_difference"] = (df["difference"] / df["paper_params"]).round(4)
    return df


# Each check: (quantity, expression, function of a counts dict -> value in parameters).
_Check = tuple[str, str, Callable[[dict[str, int]], float]]
_CHECKS: list[_Check] = [
    ("U block, 3rd (R0 rows)", "(U3TR0 U3TR0 - U2TR0 U2TR0) / 2",
     lambda p: (p["U3TR0 U3TR0"] - p["U2TR0 U2TR0"]) / 2),
    ("U block, 3rd (R2 rows)", "(U3TR2 U3TR2 - U2TR2 U2TR2) / 2",
     lambda p: (p["U3TR2 U3TR2"] - p["U2TR2 U2TR2"]) / 2),
    ("U block, 4th (R0 rows)", "(U4TR0 U4TR0 - U3TR0 U3TR0) / 2",
     lambda p: (p["U4TR0 U4TR0"] - p["U3TR0 U3TR0"]) / 2),
    ("U block, 4th (R1 rows)", "(U4TR1 U4TR1 - U3TR1 U3TR1) / 2",
     lambda p: (p["U4TR1 U4TR1"] - p["U3TR1 U3TR1"]) / 2),
    ("U block, 4th (R2 rows)", "(U4TR2 U4TR2 - U3TR2 U3TR2) / 2",
     lambda p: (p["U4TR2 U4TR2"] - p["U3TR2 U3TR2"]) / 2),
    ("refined block, R0->R2 (U2 rows)", "(U2TR2 U2TR2 - U2TR0 U2TR0) / 4",
     lambda p: (p["U2TR2 U2TR2"] - p["U2TR0 U2TR0"]) / 4),
    ("refined block, R0->R2 (U3 rows)", "(U3TR2 U3TR2 - U3TR0 U3TR0) / 4",
     lambda p: (p["U3TR2 U3TR2"] - p["U3TR0 U3TR0"]) / 4),
    ("refined block, R0->R2 (U4 rows)", "(U4TR2 U4TR2 - U4TR0 U4TR0) / 4",
     lambda p: (p["U4TR2 U4TR2"] - p["U4TR0 U4TR0"]) / 4),
    ("refined block, R0->R1 (U3 rows)", "(U3TR1 U3TR1 - U3TR0 U3TR0) / 2",
     lambda p: (p["U3TR1 U3TR1"] - p["U3TR0 U3TR0"]) / 2),
    ("refined block, R1->R2 (U3 rows)", "(U3TR2 U3TR2 - U3TR1 U3TR1) / 2",
     lambda p: (p["U3TR2 U3TR2"] - p["U3TR1 U3TR1"]) / 2),
    ("refined block, R0->R1 (U4 rows)", "(U4TR1 U4TR1 - U4TR0 U4TR0) / 2",
     lambda p: (p["U4TR1 U4TR1"] - p["U4TR0 U4TR0"]) / 2),
    ("refined block, R1->R2 (U4 rows)", "(U4TR2 U4TR2 - U4TR1 U4TR1) / 2",
     lambda p: (p["U4TR2 U4TR2"] - p["U4TR1 U4TR1"]) / 2),
    ("U2TR0 U2TR0 if the counts were additive", "U2TR2 U2TR2 + U3TR0 U3TR0 - U3TR2 U3TR2",
     lambda p: p["U2TR2 U2TR2"] + p["U3TR0 U3TR0"] - p["U3TR2 U3TR2"]),
    ("HR U block (U2 rows)", "(U2TU1 U2TU1 - U2TR0 U2TR0) / 2",
     lambda p: (p["U2TU1 U2TU1"] - p["U2TR0 U2TR0"]) / 2),
    ("Table VI level 2 (U4TR1) added", "CSRCNN x4 - CSRCNN x2",
     lambda p: p["CSRCNN x4"] - p["CSRCNN x2"]),
    ("Table VI level 3 (U2TR1) added", "CSRCNN x8 - CSRCNN x4",
     lambda p: p["CSRCNN x8"] - p["CSRCNN x4"]),
    ("10 U blocks minus 8 U blocks", "CSRCNN x4 (U6TR1 U4TR1) - U4TR1 U4TR1",
     lambda p: p["CSRCNN x4"] - p["U4TR1 U4TR1"]),
    ("U6TR1 level minus a U4TR1 level", "CSRCNN x2 (U6TR1) - (U4TR1 U4TR1) / 2",
     lambda p: p["CSRCNN x2"] - p["U4TR1 U4TR1"] / 2),
]


def paper_consistency(include_ours: bool = False, **overrides) -> pd.DataFrame:
    """Increments implied by the paper's own parameter counts (Tables IV and VI, read from
    ``data/paper``), in thousands of parameters.

    In a densely connected group the j-th U block's 1x1 conv has ``j * N`` inputs, so a U block
    can never cost less than the one before it, and a refined block always costs the same;
    the increments show where the paper's numbers break these rules.

    Args:
        include_ours: add ``ours_k``, the same expression evaluated on our counts (with
            ``overrides`` applied to every configuration).

    Returns:
        Columns ``quantity``, ``expression``, ``paper_k`` (and ``ours_k``).
    """
    paper = _paper_counts()
    rows = [(q, e, round(f(paper) / 1000, 2)) for q, e, f in _CHECKS]
    df = pd.DataFrame(rows, columns=["quantity", "expression", "paper_k"])
    if include_ours:
        ours = _our_counts(**overrides)
        df["ours_k"] = [round(f(ours) / 1000, 2) for _, _, f in _CHECKS]
    return df


def main() -> None:
    """Print the comparison table, our per-component breakdown at x8 and the increments."""
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 60):
        print("Parameter counts, ours vs paper (Tables IV and VI)")
        print(csrcnn_parameter_table().to_string(index=False))
        print("\nSame, with fusion='conv1x1'")
        print(csrcnn_parameter_table(fusion="conv1x1").to_string(index=False))
        print("\nIncrements (K parameters): paper, ours (default), ours with fusion='conv1x1'")
        inc = paper_consistency(include_ours=True)
        inc["ours_conv1x1_k"] = paper_consistency(include_ours=True, fusion="conv1x1")["ours_k"]
        print(inc.to_string(index=False))
        print("\nOur CSRCNN x8, per component")
        print(parameter_breakdown(CSRCNNConfig(scale=8)).to_string(index=False))


if __name__ == "__main__":
    main()
