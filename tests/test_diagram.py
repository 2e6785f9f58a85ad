"""The architecture diagram (srlib.book.diagram) is readable and says what the code does."""
from __future__ import annotations

import re

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

from conftest import REPO_ROOT  # noqa: E402
from srlib.book import diagram  # noqa: E402
from srlib.book.figure_checks import figure_problems, max_width_in  # noqa: E402
from srlib.models.csrcnn_config import ASYMMETRIC_BLOCKS  # noqa: E402


@pytest.fixture(scope="module")
def fig():
    figure = diagram.architecture_figure()
    figure.canvas.draw()
    yield figure
    plt.close(figure)


def texts(fig):
    return [t for ax in fig.get_axes() for t in ax.texts]


def test_the_diagram_passes_the_book_figure_check(fig):
    assert figure_problems(fig) == []
    assert fig.get_size_inches()[0] <= max_width_in(diagram.FONT_PT)


def test_every_box_text_fits_inside_its_box(fig):
    renderer = fig.canvas.get_renderer()
    boxes = [p.get_window_extent(renderer) for ax in fig.get_axes() for p in ax.patches
             if isinstance(p, FancyBboxPatch)]
    assert len(boxes) >= 20
    inside = 0
    for t in texts(fig):
        ext = t.get_window_extent(renderer)
        cx, cy = (ext.x0 + ext.x1) / 2, (ext.y0 + ext.y1) / 2
        for box in boxes:
            if box.contains(cx, cy):
                inside += 1
                assert box.x0 <= ext.x0 and ext.x1 <= box.x1 and box.y0 <= ext.y0 and ext.y1 <= box.y1, t.get_text()
    assert inside >= 20


def test_the_cascade_shows_the_papers_block_counts_and_one_loss(fig):
    words = [t.get_text() for t in texts(fig)]
    for n in ASYMMETRIC_BLOCKS:
        assert any(w.startswith(f"{n} BP-U blocks") for w in words)
    assert sum("loss" in w for w in words) == 1  # one loss, at the last level
    assert [w for w in words if w.startswith("SR ×")] == [f"SR ×{2 ** (i + 1)}" for i in range(len(ASYMMETRIC_BLOCKS))]
    for w in ("F0", "F1", "F2", "F4", "F5", "W1", "W5"):
        assert any(w in x for x in words), w


def test_the_chapter_shows_it_and_its_caption_names_the_loss_level():
    page = (REPO_ROOT / "book" / "architecture.md").read_text()
    block = page[page.index(".. plot::"):]
    assert "from srlib.book.diagram import architecture_figure" in block
    caption = re.search(r":caption:(.*?)\n\n", block, re.S).group(1)
    assert diagram.LOSS_LEVELS == "final" and "loss is taken at the last level only" in " ".join(caption.split())
    assert "matplotlib.sphinxext.plot_directive" in (REPO_ROOT / "_config.yml").read_text()


def test_the_module_saves_a_png(tmp_path):
    out = tmp_path / "architecture.png"
    assert diagram.main([str(out)]) == 0 and out.read_bytes()[:4] == b"\x89PNG"
    assert diagram.main([]) == 2
