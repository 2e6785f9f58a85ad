"""srlib.book.figure_checks finds the figure layouts a reader of the book could not read.

Each test builds a small synthetic figure with one fault and a twin without it: the check must
flag the first and pass the second (so no test passes because the check flags nothing, or all).
"""
from __future__ import annotations

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from srlib.book import figure_checks as fc  # noqa: E402
from srlib.book.figures import save_figure  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def kinds(fig) -> list[str]:
    return [p.split(":")[0] for p in fc.figure_problems(fig)]


def plain(width=6.0, height=3.0):
    fig, ax = plt.subplots(figsize=(width, height))
    ax.plot([0, 1, 2], [0, 1, 4], label="data")
    ax.set(xlabel="step", ylabel="PSNR (dB)", title="a readable figure")
    fig.tight_layout()
    return fig, ax


def test_a_readable_figure_has_no_problem():
    fig, _ = plain()
    assert fc.figure_problems(fig) == []


def test_a_wide_figure_shrinks_its_text_below_9_px():
    assert 10 < fc.max_width_in(10) < 11.5  # the "about 11 in" at 10 pt
    fig, _ = plain(width=16)
    found = fc.figure_problems(fig)
    assert [k for k in kinds(fig)] == ["too small"], found
    assert "'step'" in found[0] or "'PSNR (dB)'" in found[0]
    fig, _ = plain(width=10)
    assert fc.figure_problems(fig) == []


def test_small_fonts_are_too_small_even_in_a_narrow_figure():
    fig, ax = plain(width=5)
    ax.text(0.5, 2, "tiny note", fontsize=5)
    found = fc.figure_problems(fig)
    assert kinds(fig) == ["too small"] and "'tiny note'" in found[0], found


def test_overlapping_texts_are_named():
    fig, ax = plain()
    ax.text(1, 2, "first label")
    ax.text(1.05, 2.02, "second label")
    found = fc.figure_problems(fig)
    assert found == ["overlap: 'first label' and 'second label'"]
    fig, ax = plain()
    ax.text(0.1, 3.5, "first label")
    ax.text(1.3, 0.5, "second label")
    assert fc.figure_problems(fig) == []


def test_rotated_labels_that_do_not_touch_are_not_an_overlap():
    fig, ax = plt.subplots(figsize=(6, 3))
    names = [f"network {i}" for i in range(6)]
    ax.bar(names, range(6))
    ax.tick_params(axis="x", labelrotation=45)
    fig.tight_layout()
    assert fc.figure_problems(fig) == []  # their upright boxes would overlap; the rotated ones do not
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar([f"a much longer network name {i}" for i in range(12)], range(12))
    ax.tick_params(axis="x", labelrotation=20)
    fig.tight_layout()
    assert "overlap" in kinds(fig)


def test_a_text_cut_off_by_its_axes_is_clipped():
    fig, ax = plain()
    ax.annotate("CSRCNN (ours, quick)", (1.9, 3), annotation_clip=False, clip_on=True)
    found = fc.figure_problems(fig)
    assert "clipped" in kinds(fig) and any("CSRCNN (ours, quick)" in p for p in found), found
    fig, ax = plain()
    ax.annotate("CSRCNN", (0.5, 3), clip_on=True)
    assert fc.figure_problems(fig) == []


def test_a_legend_over_a_line_or_a_label_is_reported():
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot([0, 1], [0, 1], label="diagonal")
    ax.legend(loc="center")
    assert kinds(fig) == ["legend over data"]
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot([0, 1], [0, 1], label="diagonal")
    ax.legend(loc="upper left")
    assert fc.figure_problems(fig) == []
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.scatter([0, 0.5, 1], [0, 0.5, 1], label="points")
    ax.text(0.05, 0.9, "a label")
    ax.legend(loc="upper left")
    assert kinds(fig) == ["legend over text"]


def test_a_legend_over_points_or_bars():
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.scatter([0.5], [0.5], label="one point")
    ax.set(xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="center")
    assert kinds(fig) == ["legend over data"]
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar([0, 1, 2], [3, 3, 3], label="bars")
    ax.legend(loc="upper right")
    assert kinds(fig) == ["legend over data"]


def test_modes_raise_report_and_off(tmp_path, monkeypatch):
    fig, _ = plain(width=16)
    with pytest.raises(fc.FigureLayoutError, match=r"(?s)figure 'wide' is not readable.*too small"):
        fc.check_figure(fig, "wide", mode="raise")
    report = tmp_path / "checks.tsv"
    assert fc.check_figure(fig, "wide", mode="report", report=report)
    assert report.read_text().startswith("wide\ttoo small: ")
    assert fc.check_figure(fig, "wide", mode="off") == []
    monkeypatch.setenv("SRLIB_FIGURE_CHECK", "raise")
    with pytest.raises(fc.FigureLayoutError):
        fc.check_figure(fig, "wide")
    monkeypatch.setenv("SRLIB_FIGURE_CHECK", "loud")
    with pytest.raises(ValueError, match="SRLIB_FIGURE_CHECK"):
        fc.check_figure(fig, "wide")


def test_save_figure_checks_before_it_writes(tmp_path, monkeypatch):
    fig, _ = plain(width=16)
    monkeypatch.setenv("SRLIB_FIGURE_CHECK", "raise")
    with pytest.raises(fc.FigureLayoutError):
        save_figure(fig, "wide", folder=tmp_path)
    assert not (tmp_path / "wide.png").exists()
    fig, _ = plain()
    assert save_figure(fig, "fine", folder=tmp_path).is_file()
