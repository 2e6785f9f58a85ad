"""The architecture diagram of the book (chapter "Architecture"), drawn with matplotlib patches.

Redrawn from the paper's text (Sec. III-A, eqs (1)-(5); its Figures 3 and 4 are not copied) with
the open choices filled as :mod:`srlib.models` fills them: (a) the cascade, one level per x2 step,
(b) the BP-U block, (c) the refined block. The loss is drawn where the training takes it by
default (:data:`LOSS_LEVELS`): on the last level's image only, as the paper's text says; the
per-level sum of its eq (8) is the option ``loss_levels='all'``.

``python -m srlib.book.diagram out.png`` saves it; :func:`architecture_figure` returns the figure.
"""
from __future__ import annotations

import sys

from ..models.csrcnn_config import ASYMMETRIC_BLOCKS
from ..training.config import TrainConfig

__all__ = ["architecture_figure", "LOSS_LEVELS", "WIDTH_IN"]

#: Where the training takes the loss by default ('final': the last level's image only).
LOSS_LEVELS = TrainConfig.__dataclass_fields__["loss_levels"].default
#: Wide enough for the chapter's column, narrow enough for 10 pt text to stay above 9 px there.
WIDTH_IN = 9.0
FONT_PT = 10
_COLOURS = {"lr": "#dbe9f6", "hr": "#fde2c8", "conv": "#e8e8e8", "loss": "#f6d5d5"}
_BOX_H = 5.0


def _CASCADE_YLIM(rows: int) -> tuple[float, float]:  # noqa: N802 - a constant of the layout
    return (-16 - 15 * (rows - 1), 13)


def _box(ax, x, y, w, text, colour="conv", h=_BOX_H):
    """A rounded box centred on ``(x, y)`` with ``text`` inside; its left and right mid points."""
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.8",
                                facecolor=_COLOURS[colour], edgecolor="#444444", linewidth=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=FONT_PT, linespacing=1.15)
    return (x - w / 2, y), (x + w / 2, y)


def _node(ax, x, y, symbol):
    """A small circle with ``symbol`` (+, -, c) where two feature maps meet."""
    from matplotlib.patches import Circle

    ax.add_patch(Circle((x, y), 1.6, facecolor="white", edgecolor="#444444", linewidth=1))
    ax.text(x, y - 0.1, symbol, ha="center", va="center", fontsize=FONT_PT)
    return (x - 1.6, y), (x + 1.6, y)


def _arrow(ax, *points, colour="#222222", style="-|>"):
    """A polyline through ``points`` whose last segment ends in an arrow head."""
    from matplotlib.patches import FancyArrowPatch

    xs, ys = zip(*points)
    if len(points) > 2:
        ax.plot(xs[:-1], ys[:-1], color=colour, linewidth=1.1, solid_capstyle="butt")
    ax.add_patch(FancyArrowPatch(points[-2], points[-1], arrowstyle=style, mutation_scale=10,
                                 color=colour, linewidth=1.1, shrinkA=0, shrinkB=0))


def _label(ax, x, y, text, **kw):
    ax.text(x, y, text, fontsize=FONT_PT, **{"ha": "center", "va": "center", **kw})


def _panel(ax, xlim, ylim, title):
    ax.set(xlim=xlim, ylim=ylim, aspect="equal")
    ax.set_axis_off()
    ax.set_title(title, loc="left", fontsize=FONT_PT, fontweight="bold")


def _level_row(ax, y, level, blocks, last):
    """One level of the cascade at height ``y``; the point its HR features leave from."""
    _label(ax, 2, y, f"level {level}", ha="left")
    group_in, group_out = _box(ax, 24, y, 18, f"{blocks} BP-U blocks\n(dense, LR space)", "lr", h=7)
    plus1_in, plus1_out = _node(ax, 37, y, "+")
    _arrow(ax, group_out, plus1_in)
    _arrow(ax, (13, y), (13, y + 5), (37, y + 5), (37, y + 1.6))  # residual over the LR part
    up_in, up_out = _box(ax, 48, y, 15, "transposed\nconv, ×2", h=7)
    _arrow(ax, plus1_out, up_in)
    ref_in, ref_out = _box(ax, 66, y, 15, "refined block\n(HR space)", "hr", h=7)
    _arrow(ax, up_out, ref_in)
    plus2_in, plus2_out = _node(ax, 78, y, "+")
    _arrow(ax, ref_out, plus2_in)
    _arrow(ax, (57, y), (57, y + 5), (78, y + 5), (78, y + 1.6))  # residual over the HR part
    tail_in, tail_out = _box(ax, 91, y, 12, "conv 3×3\n→ image", h=7)
    _arrow(ax, plus2_out, tail_in)
    _label(ax, 99, y, f"SR ×{2 ** level}", ha="left")
    if last:  # LOSS_LEVELS == 'final': the earlier levels' images get no loss
        _box(ax, 91, y - 11, 24, "loss vs HR image\n(L1, then L1 / L2)", "loss", h=7)
        _arrow(ax, (91, y - 3.5), (91, y - 7.5))
    return plus2_out


def _cascade(ax):
    rows = len(ASYMMETRIC_BLOCKS)
    _panel(ax, (0, 112), _CASCADE_YLIM(rows),
           f"(a) The cascade (×{2 ** rows}): one level per ×2 step; ×2 uses level 1, ×4 levels 1-2")
    _label(ax, 2, 10, "LR image, then one conv 3×3 (N maps)", ha="left")
    _arrow(ax, (10, 8), (10, 0), (15, 0))
    for i, blocks in enumerate(ASYMMETRIC_BLOCKS):
        y = -15 * i
        out = _level_row(ax, y, i + 1, blocks, last=i == rows - 1)
        if i < rows - 1:  # the HR features feed the next level
            _arrow(ax, (out[0] + 2, y), (out[0] + 2, y - 8.5), (10, y - 8.5), (10, y - 15), (15, y - 15))


def _bpu(ax):
    _panel(ax, (0, 112), (-6, 29), "(b) The BP-U block, eqs (1)-(5): M input maps, N maps per layer")
    top, mid, bot = 21.0, 11.0, 1.0
    _label(ax, 2, top, "input\n(M maps)", ha="left")
    a_in, a_out = _box(ax, 21, top, 12, "1×1 conv")
    _arrow(ax, (11, top), a_in)
    _label(ax, 31, top + 1.8, "F0")
    b_in, b_out = _box(ax, 30, mid, 15, "W1: conv 3×3\nstride 2", h=6)
    _arrow(ax, a_out, (28, top), (28, mid + 3))
    _label(ax, 42.5, mid + 1.8, "F1")
    c_in, c_out = _box(ax, 42, bot, 15, "W2: conv 3×3\nstride 2", h=6)
    _arrow(ax, b_out, (40, mid), (40, bot + 3))
    _label(ax, 52, bot + 1.8, "F2")
    d_in, d_out = _box(ax, 63, bot, 15, "W3: conv 3×3")
    _arrow(ax, c_out, d_in)
    cat_in, cat_out = _node(ax, 74, bot, "c")
    _arrow(ax, d_out, cat_in)
    _arrow(ax, (52, bot), (52, -4), (74, -4), (74, bot - 1.6))  # F2 joins the concatenation
    _label(ax, 78.5, bot - 3, "F3 = [W3*F2, F2]", ha="left")
    e_in, e_out = _box(ax, 80, mid, 16, "W4: transposed\n3×3, stride 2", h=6)
    _arrow(ax, cat_out, (77, bot), (77, mid - 3))
    minus_in, minus_out = _node(ax, 93, mid, "-")
    _arrow(ax, e_out, minus_in)
    _arrow(ax, (40, mid), (40, mid + 5.2), (93, mid + 5.2), (93, mid + 1.6))  # F1 is subtracted
    _label(ax, 97.5, mid - 2.7, "F4", ha="left")
    f_in, f_out = _box(ax, 92, top, 16, "W5: transposed\n3×3, stride 2", h=6)
    _arrow(ax, minus_out, (97, mid), (97, top - 3))
    plus_in, plus_out = _node(ax, 104, top, "+")
    _arrow(ax, f_out, plus_in)
    _arrow(ax, (28, top), (28, top + 5.5), (104, top + 5.5), (104, top + 1.6))  # F0 is added back
    _label(ax, 106.5, top - 3.2, "F5", ha="left")


def _refined(ax):
    _panel(ax, (0, 112), (-5, 9), "(c) The refined block (HR space): 12 convs of N maps, no batch norm")
    _label(ax, 2, 0, "input", ha="left")
    r_in, r_out = _box(ax, 30, 0, 30, "residual block ×4:\nconv 3×3, ReLU, conv 3×3, +", "hr", h=7)
    _arrow(ax, (9, 0), r_in)
    c_in, c_out = _box(ax, 66, 0, 26, "conv 3×3 + ReLU, ×4", "hr")
    _arrow(ax, r_out, c_in)
    plus_in, plus_out = _node(ax, 88, 0, "+")
    _arrow(ax, c_out, plus_in)
    _arrow(ax, (12, 0), (12, 5.5), (88, 5.5), (88, 1.6))  # residual around the whole block
    _label(ax, 92, 0, "output", ha="left")


def architecture_figure():
    """The three panels in one figure, :data:`WIDTH_IN` wide."""
    import matplotlib.pyplot as plt

    rows = len(ASYMMETRIC_BLOCKS)
    heights = [-_CASCADE_YLIM(rows)[0] + 13, 35, 14]
    fig, axes = plt.subplots(3, 1, figsize=(WIDTH_IN, WIDTH_IN * sum(heights) / 112 + 0.9),
                             gridspec_kw={"height_ratios": heights})
    _cascade(axes[0])
    _bpu(axes[1])
    _refined(axes[2])
    fig.subplots_adjust(left=0.01, right=0.99, top=0.97, bottom=0.01, hspace=0.25)
    return fig


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m srlib.book.diagram OUT.png", file=sys.stderr)
        return 2
    fig = architecture_figure()
    fig.savefig(args[0], dpi=100, bbox_inches="tight")
    return 0


if __name__ == "__main__":
    sys.exit(main())
