"""Is a matplotlib figure readable in the book? Checked when the figure is saved (:func:`save_figure`).

:func:`figure_problems` draws the figure once and inspects the bounding boxes of its texts and
legends, in display pixels, for what a reader of the book would see as broken:

* **too small**: a text under :data:`MIN_TEXT_PX` CSS pixels once the figure is shown in the
  book's text column (:data:`COLUMN_PX` wide; a figure wider than that is scaled down, so its
  text shrinks with it: at matplotlib's 10 pt a figure may be about 11 in wide);
* **clipped**: a text cut off by the box it is clipped to (an annotation running out of its axes);
* **overlap**: two texts on top of each other (a row title over a tick label);
* **legend over data / legend over text**: a legend covering a line, a point, a bar or a band of
  its axes, or a label, a title or a tick label.

:func:`check_figure` applies a :data:`MODES` policy: ``'raise'`` (a :class:`FigureLayoutError`
naming the figure and the texts), ``'report'`` (the problems are appended to
``_build/figure_checks.tsv`` and the figure is saved as it is) or ``'off'``. The mode comes from the
caller, else from the environment variable ``SRLIB_FIGURE_CHECK``, else :data:`DEFAULT_MODE`.
"""
from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np

from ..repository import resolve

__all__ = ["COLUMN_PX", "MIN_TEXT_PX", "MODES", "DEFAULT_MODE", "REPORT_FILE", "FigureLayoutError",
           "figure_problems", "check_figure", "max_width_in"]

#: Width in CSS px at which the book shows a figure as wide as its column: measured in Chromium at
#: a 1280 px window (the width scripts/check_book_browser.py opens pages at) with sphinx-book-theme
#: 1.3: the article is 752 px, a notebook's output area 688 px, a ``{figure}`` of a page 672 px.
COLUMN_PX = 672
#: The smallest text a reader should have to read, in CSS px.
MIN_TEXT_PX = 9.0
MODES = ("raise", "report", "off")
#: 'report' until the book's existing figures are laid out again; notebooks and CI may set 'raise'.
DEFAULT_MODE = "report"
REPORT_FILE = "_build/figure_checks.tsv"
#: Boxes that overlap by less than this (display px on each side) only touch.
_TOUCH_PX = 1.0


class FigureLayoutError(ValueError):
    """A figure a reader could not read; the message names the figure and the offending texts."""


def max_width_in(font_pt: float = 10.0, column_px: float = COLUMN_PX, min_px: float = MIN_TEXT_PX) -> float:
    """The widest figure (inches, as saved with a tight box) whose ``font_pt`` text stays >= ``min_px``."""
    return font_pt / 72 * column_px / min_px


def _shown(artist) -> bool:
    while artist is not None:
        if not artist.get_visible():
            return False
        artist = artist.axes if artist.axes is not None and artist.axes is not artist else None
    return True


def _drawn_texts(fig) -> list:
    """The non-empty visible texts that a draw puts on the canvas (tick labels only of drawn ticks)."""
    from matplotlib.text import Text

    drawn, pooled = [], set()
    for ax in fig.get_axes():
        for axis in ax._axis_map.values():  # noqa: SLF001 - x, y (and z) axes
            pooled |= {id(t) for tick in axis.majorTicks + axis.minorTicks for t in (tick.label1, tick.label2)}
            if ax.get_visible() and ax.axison and axis.get_visible():
                for tick in axis._update_ticks():  # noqa: SLF001 - the ticks a draw shows
                    drawn += [t for t in (tick.label1, tick.label2) if t.get_visible()]
    drawn += [t for t in fig.findobj(Text) if id(t) not in pooled and t.get_visible()]
    return [t for t in drawn if t.get_text().strip() and _shown(t)]


def _describe(text) -> str:
    label = " ".join(text.get_text().split())
    return repr(label if len(label) <= 40 else label[:37] + "...")


def _is_number(text) -> bool:
    return text.get_text().strip().lstrip("-\u2212+").replace(".", "", 1).replace("%", "").isdigit()


def _overlap(a, b, touch: float = _TOUCH_PX) -> bool:
    """Whether two axis-aligned boxes overlap by more than ``touch`` px in both directions."""
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > touch) and (min(a.y1, b.y1) - max(a.y0, b.y0) > touch)


def _outline(artist, renderer) -> np.ndarray:
    """The four corners (display px) of a text's rotated box, or of any other artist's box."""
    box = artist.get_window_extent(renderer)
    angle = artist.get_rotation() if hasattr(artist, "get_rotation") else 0.0
    w, h = box.width, box.height
    if angle % 90 == 0:
        angle = 0.0  # the box is the text's outline
    else:  # the box of a rotated text is centred on the text: rotate its upright box there
        artist.set_rotation(0)
        upright = artist.get_window_extent(renderer)
        artist.set_rotation(angle)
        w, h = upright.width, upright.height
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    half = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2
    return half @ np.array([[c, s], [-s, c]]) + [(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2]


def _outlines_overlap(p: np.ndarray, q: np.ndarray, touch: float = _TOUCH_PX) -> bool:
    """Separating-axis test of two convex quadrilaterals: do they overlap by more than ``touch`` px?"""
    for poly in (p, q):
        for i in range(4):
            edge = poly[(i + 1) % 4] - poly[i]
            norm = np.hypot(*edge)
            if norm == 0:
                continue
            axis = np.array([-edge[1], edge[0]]) / norm
            a, b = p @ axis, q @ axis
            if min(a.max(), b.max()) - max(a.min(), b.min()) <= touch:
                return False
    return True


def _figure_width_in(fig, renderer) -> float:
    pad = 0.1  # savefig's default pad_inches around a tight box
    return fig.get_tightbbox(renderer).width + 2 * pad


def _small_texts(fig, texts, column_px: float, min_px: float, renderer) -> list[str]:
    width_in = _figure_width_in(fig, renderer)
    px_per_pt = min(fig.dpi, column_px / width_in) / 72  # the image is shown at most column-wide
    small = sorted({(t.get_fontsize(), _is_number(t), _describe(t)) for t in texts
                    if t.get_fontsize() * px_per_pt < min_px})  # words before tick numbers
    if not small:
        return []
    sizes = sorted({s for s, _, _ in small})
    names = ", ".join(d for _, _, d in small[:4]) + (f" and {len(small) - 4} more" if len(small) > 4 else "")
    return [f"too small: {', '.join(f'{s:g}' for s in sizes)} pt text shows at "
            f"{sizes[0] * px_per_pt:.1f} px (< {min_px:g} px) in a {column_px:g} px column, the figure being "
            f"{width_in:.1f} in wide (at most {max_width_in(sizes[0], column_px, min_px):.1f} in for "
            f"{sizes[0]:g} pt): {names}"]


def _clipped_texts(texts, renderer) -> list[str]:
    out = []
    for t in texts:
        clip = t.get_clip_box() if t.get_clip_on() else None
        box = t.get_window_extent(renderer)
        if clip is not None and not (box.x0 >= clip.x0 - _TOUCH_PX and box.x1 <= clip.x1 + _TOUCH_PX
                                     and box.y0 >= clip.y0 - _TOUCH_PX and box.y1 <= clip.y1 + _TOUCH_PX):
            out.append(f"clipped: {_describe(t)} runs out of its axes")
    return out


def _overlapping_texts(fig, texts, renderer) -> list[str]:
    """Pairs of texts on top of each other (a legend's own texts are left to :func:`_legend_problems`)."""
    in_legends = {id(a) for lg in _legends(fig) for a in lg[1].findobj()}
    shapes = [(t, _outline(t, renderer)) for t in texts if id(t) not in in_legends]
    return [f"overlap: {_describe(a)} and {_describe(b)}"
            for (a, p), (b, q) in itertools.combinations(shapes, 2) if _outlines_overlap(p, q)]


def _data_hits(ax, box) -> list[str]:
    """The data artists of ``ax`` (lines, points, bars, bands) that reach into ``box``."""
    from matplotlib.collections import Collection
    from matplotlib.transforms import Bbox

    area = Bbox.intersection(box, ax.bbox)
    if area is None or area.width <= _TOUCH_PX or area.height <= _TOUCH_PX:
        return []
    hits = []
    for line in ax.get_lines():
        if not line.get_visible() or len(line.get_xydata()) == 0:
            continue
        path = line.get_transform().transform_path(line.get_path())
        joined = line.get_linestyle() not in ("None", "none", "", " ")
        if (joined and path.intersects_bbox(area, filled=False)) or any(area.contains(x, y) for x, y in path.vertices):
            hits.append(f"line {line.get_label()!r}")
    for coll in ax.collections:
        if not coll.get_visible() or not isinstance(coll, Collection):
            continue
        offsets = coll.get_offset_transform().transform(coll.get_offsets()) if len(coll.get_offsets()) else []
        paths = [coll.get_transform().transform_path(p) for p in coll.get_paths()]
        is_points = len(offsets) > 1 or (len(offsets) == 1 and len(paths) == 1 and paths[0].get_extents().width < 50)
        if (any(area.contains(x, y) for x, y in offsets) if is_points
                else any(p.intersects_bbox(area, filled=True) for p in paths)):
            hits.append(f"{type(coll).__name__} {coll.get_label()!r}")
    for patch in ax.patches:
        if patch.get_visible() and _overlap(patch.get_window_extent(), area):
            hits.append(f"{type(patch).__name__.lower()} {patch.get_label()!r}")
    return hits


def _legends(fig) -> list[tuple]:
    """``(axes or None, legend)`` for every visible legend of ``fig``."""
    pairs = [(ax, ax.get_legend()) for ax in fig.get_axes()] + [(None, lg) for lg in fig.legends]
    return [(ax, lg) for ax, lg in pairs if lg is not None and lg.get_visible()]


def _legend_problems(fig, texts, renderer) -> list[str]:
    out = []
    for ax, legend in _legends(fig):
        box = legend.get_window_extent(renderer)
        frame = _outline(legend, renderer)
        name = ", ".join(_describe(t) for t in legend.get_texts()[:2]) + (" ..." if len(legend.get_texts()) > 2 else "")
        own = set(map(id, legend.findobj()))
        for t in texts:
            if id(t) not in own and _outlines_overlap(frame, _outline(t, renderer)):
                out.append(f"legend over text: the legend ({name}) covers {_describe(t)}")
        for axes in ([ax] if ax is not None else fig.get_axes()):
            hits = _data_hits(axes, box)
            if hits:
                out.append(f"legend over data: the legend ({name}) covers {', '.join(hits[:3])}"
                           + (f" and {len(hits) - 3} more" if len(hits) > 3 else ""))
    return out


def figure_problems(fig, column_px: float = COLUMN_PX, min_px: float = MIN_TEXT_PX) -> list[str]:
    """What would make ``fig`` unreadable in the book (one line each; empty when it reads well)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = _drawn_texts(fig)
    return (_small_texts(fig, texts, column_px, min_px, renderer) + _clipped_texts(texts, renderer)
            + _overlapping_texts(fig, texts, renderer) + _legend_problems(fig, texts, renderer))


def _mode(mode: str | None) -> str:
    mode = mode or os.environ.get("SRLIB_FIGURE_CHECK") or DEFAULT_MODE
    if mode not in MODES:
        raise ValueError(f"figure check mode {mode!r}: expected one of {', '.join(MODES)} (SRLIB_FIGURE_CHECK)")
    return mode


def check_figure(fig, name: str, mode: str | None = None, report: Path | str = REPORT_FILE) -> list[str]:
    """Check ``fig`` (called ``name``) under ``mode`` (see the module); the problems found."""
    mode = _mode(mode)
    if mode == "off":
        return []
    problems = figure_problems(fig)
    if problems and mode == "raise":
        raise FigureLayoutError(f"figure {name!r} is not readable in the book:\n  " + "\n  ".join(problems))
    if problems:
        path = resolve(report)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as f:
            f.writelines(f"{name}\t{p}\n" for p in problems)
    return problems
