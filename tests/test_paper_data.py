"""The transcribed paper tables in data/paper/ load, and match the paper's markdown cell for cell."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from srlib.paper import PAPER_DIR, load_paper_table, paper_cell

EXPECTED = {  # name -> (columns, row count)
    "table2": (["model", "bpu_block", "curriculum", "asymmetric", "set14_x4_psnr"], 5),
    "table3": (["block", "scale", "set5_psnr", "set5_ssim", "set14_psnr", "set14_ssim"], 4),
    "table4": (["notation", "u_blocks", "hr_block", "hr_blocks", "params_k", "set5_psnr", "set14_psnr"], 9),
    # Table V: 10 methods at x2, 10 at x4, 9 at x8 (no DRCN x8) = 29 rows, times 5 datasets.
    "table5": (["method", "scale", "dataset", "psnr", "ssim"], 29 * 5),
    "table6": (["method", "scale", "params_k", "gpu_mb", "time_ms"], 9 * 3),
    "figure10": (["method", "params_k", "set5_x8_psnr", "source"], 8),
    "text_facts": (["key", "value", "unit", "section", "meaning", "phrase"], 6),
}
DATASETS = ["Set5", "Set14", "B100", "Urban100", "Manga109"]  # the paper's BSDS100 is B100 here


# --------------------------------------------------------------------------- loading
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_table_loads_with_expected_shape(name):
    cols, nrows = EXPECTED[name]
    df = load_paper_table(name)
    assert list(df.columns) == cols
    assert len(df) == nrows
    assert not df.isna().any().any()


def test_loader_errors(tmp_path, monkeypatch):
    with pytest.raises(KeyError, match="table5"):
        load_paper_table("table7")
    monkeypatch.setattr("srlib.paper.PAPER_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        load_paper_table("table2")


def test_paper_cell():
    assert paper_cell("table5", method="Bicubic", scale=4, dataset="Set5", column="psnr") == 28.43
    assert paper_cell("table6", method="CSRCNN", scale=8, column="params_k") == 4568
    with pytest.raises(LookupError):
        paper_cell("table5", method="DRCN", scale=8, dataset="Set5", column="psnr")
    with pytest.raises(LookupError):
        paper_cell("table5", method="Bicubic", column="psnr")  # many rows
    with pytest.raises(KeyError):
        paper_cell("table5", method="Bicubic", column="lpips")


def test_paper_dir_is_repo_data():
    assert PAPER_DIR == Path(__file__).resolve().parents[1] / "data" / "paper"
    assert (PAPER_DIR / "README.md").is_file()


# --------------------------------------------------------------------------- markdown re-parse
def _paper_md() -> str:
    path = Path(os.environ.get("SRLIB_PAPER_MD") or Path(__file__).resolve().parents[1].parent / "shared/paper/csrcnn-paper.md")
    if not path.is_file():
        pytest.skip(f"paper markdown not found at {path} (set SRLIB_PAPER_MD to check the transcription)")
    return path.read_text(encoding="utf-8")


def _clean(cell: str) -> str:
    cell = re.sub(r"</?b>", "", cell)
    cell = re.sub(r"\$([^$]*)\$", r"\1", cell)          # $2\times$ -> 2\times
    cell = cell.replace("\\times", "").replace("×", "").replace("_", "")
    cell = re.sub(r"\s*\[\d+\]", "", cell)             # "SRCNN [13]" -> "SRCNN"
    return cell.strip()


def _md_table(text: str, label: str) -> list[list[str]]:
    """Rows (cleaned cells) of the first pipe table after the line reading exactly `label`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == label)
    rows, in_table = [], False
    for line in lines[start + 1:]:
        if line.lstrip().startswith("|"):
            in_table = True
            cells = [_clean(c) for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r"-*", c) for c in cells):  # drop the |---| separator
                rows.append(cells)
        elif in_table:
            break
    assert rows, f"no table found after {label!r}"
    return rows


def _assert_same(csv: pd.DataFrame, md: pd.DataFrame, keys: list[str]):
    """Same key set, same columns, every value equal (a single mistyped digit fails)."""
    a = csv.set_index(keys).sort_index()
    b = md.set_index(keys).sort_index()[list(a.columns)]
    assert list(a.index) == list(b.index)
    for col in a.columns:
        for key, x, y in zip(a.index, a[col], b[col]):
            if isinstance(y, float):
                assert float(x) == pytest.approx(y, abs=1e-9), (key, col, x, y)
            else:
                assert x == y, (key, col, x, y)


def test_table2_matches_paper():
    rows = _md_table(_paper_md(), "TABLE II")
    table = {r[0]: r[1:] for r in rows}
    tick = {"✓": True, "": False}  # _clean turns the paper's × into ""
    md = pd.DataFrame({
        "model": table["Model"],
        "bpu_block": [tick[c] for c in table["BP-U block"]],
        "curriculum": [tick[c] for c in table["Curriculum training"]],
        "asymmetric": [tick[c] for c in table["Asymmetric architecture"]],
        "set14_x4_psnr": [float(c) for c in table["PSNR (dB)"]],
    })
    _assert_same(load_paper_table("table2"), md, ["model"])


def test_table3_matches_paper():
    rows = _md_table(_paper_md(), "TABLE III")
    assert rows[1][2:] == ["PSNR (dB)", "SSIM", "PSNR (dB)", "SSIM"]
    md = pd.DataFrame(
        [[r[0].removesuffix(" block"), int(r[1]), *map(float, r[2:6])] for r in rows[2:]],
        columns=EXPECTED["table3"][0],
    )
    _assert_same(load_paper_table("table3"), md, ["block", "scale"])


def test_table4_matches_paper():
    rows = _md_table(_paper_md(), "TABLE IV")
    assert rows[0] == ["Model", "Parameters", "Set5", "Set14"]
    recs = []
    for notation, params, s5, s14 in rows[1:]:
        levels = re.findall(r"U(\d)T([A-Z])(\d)", notation)
        assert len(levels) == 2 and levels[0] == levels[1], notation
        u, kind, n = levels[0]
        recs.append([notation, int(u), kind, int(n), int(params.removesuffix("K")), float(s5), float(s14)])
    md = pd.DataFrame(recs, columns=EXPECTED["table4"][0])
    _assert_same(load_paper_table("table4"), md, ["notation"])


def test_table5_matches_paper():
    rows = _md_table(_paper_md(), "TABLE V")
    assert rows[0] == ["Method", "Scale", "Set5", "Set14", "BSDS100", "Urban100", "Manga109"]
    recs = []
    for method, scale, *cells in rows[1:]:
        for dataset, cell in zip(DATASETS, cells, strict=True):
            psnr, ssim = (float(v) for v in cell.split("/"))
            recs.append([method, int(scale), dataset, psnr, ssim])
    md = pd.DataFrame(recs, columns=EXPECTED["table5"][0])
    csv = load_paper_table("table5")
    _assert_same(csv, md, ["method", "scale", "dataset"])
    assert csv.query("method == 'DRCN' and scale == 8").empty


def test_table6_matches_paper():
    rows = _md_table(_paper_md(), "TABLE VI")
    assert [c for c in rows[0] if c] == ["x2", "x4", "x8"]
    assert rows[1][1:4] == ["#Params. (K)", "GPU (MB)", "Time (ms)"]
    recs = []
    for method, *cells in rows[2:]:
        for i, scale in enumerate((2, 4, 8)):
            p, g, t = cells[3 * i: 3 * i + 3]
            recs.append([method, scale, int(p), int(g), float(t)])
    md = pd.DataFrame(recs, columns=EXPECTED["table6"][0])
    _assert_same(load_paper_table("table6"), md, ["method", "scale"])


# --------------------------------------------------------------------------- figure 10
def test_figure10_agrees_with_tables_5_and_6():
    fig = load_paper_table("figure10").set_index("method")
    t5 = load_paper_table("table5").query("scale == 8 and dataset == 'Set5'").set_index("method")
    t6 = load_paper_table("table6").query("scale == 8").set_index("method")
    derived = fig[fig["source"] == "Table V + Table VI"]
    assert set(derived.index) == set(t5.index) & set(t6.index)
    for m, row in derived.iterrows():
        assert row["set5_x8_psnr"] == t5.loc[m, "psnr"], m
        assert row["params_k"] == t6.loc[m, "params_k"], m
    others = fig[fig["source"] != "Table V + Table VI"]
    assert list(others.index) == ["EDSR"]
    assert "not this paper" in others.loc["EDSR", "source"]
    assert others.loc["EDSR", "params_k"] == 43000
    assert others.loc["EDSR", "set5_x8_psnr"] == t5.loc["EDSR", "psnr"]
    assert "EDSR" not in t6.index


def test_text_facts_are_in_the_paper():
    """Each number taken from the paper's prose sits in the phrase it was read from, and the
    phrase is in the paper (numbers written as words are mapped)."""
    text = " ".join(_paper_md().split())
    words = {"half": 0.5, "four": 4.0}
    for row in load_paper_table("text_facts").itertuples():
        assert row.phrase in text, row.key
        numbers = {float(t) for t in re.findall(r"\d+(?:\.\d+)?", row.phrase)}
        numbers |= {v for w, v in words.items() if w in row.phrase.split()}
        assert float(row.value) in numbers, (row.key, row.phrase)


def test_a_missing_paper_number_is_an_error_unless_a_default_is_asked_for():
    import math

    from srlib.paper import paper_cell

    with pytest.raises(LookupError):
        paper_cell("table5", method="NoSuchNet", scale=4, dataset="Set5", column="psnr")
    assert math.isnan(paper_cell("table5", method="NoSuchNet", scale=4, dataset="Set5", column="psnr", missing=math.nan))
    assert paper_cell("table5", method="Bicubic", scale=4, dataset="Set5", column="psnr", missing=math.nan) == \
        paper_cell("table5", method="Bicubic", scale=4, dataset="Set5", column="psnr")
