"""The companion book: notebook sources, build wiring, and the built HTML.

The HTML checks need a built book (`make book`, which writes `_build/html`). Without one they
are skipped with the reason, unless ``SRLIB_REQUIRE_BOOK=1`` (set where the book is built
before the tests), which turns the skip into a failure.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conftest import REPO_ROOT

NOTEBOOKS = ["protocol", "train_stage", "table2_ablation", "table3_ublock", "figure5_convergence", "table4_depth",
             "table5_benchmarks", "table6_efficiency", "figure6_feature_maps", "figure10_psnr_vs_params", "try_it",
             "figures7_9_visual", "campaign_compute", "architectures", "claims", "league", "departures",
             "exercise_answers"]

# Built page (book/notebooks/<page>.html) -> the tables (data-srlib ids) and figures (saved PNG
# names) it must show. The ids are set by srlib.book.styled / save_figure in the notebooks.
PAGES = {
    "protocol": (["protocol-data", "protocol-matlab", "table5-bicubic-psnr", "table5-bicubic-ssim",
                  "protocol-ssim-window", "protocol-deviations"], []),
    "train_x2": (["train-x2-config", "train-x2-psnr", "train-x2-ssim"], ["train_x2_full_log"]),
    "train_x4": (["train-x4-config", "train-x4-psnr", "train-x4-ssim"], ["train_x4_full_log"]),
    "train_x8": (["train-x8-config", "train-x8-psnr", "train-x8-ssim"], ["train_x8_full_log"]),
    "table2_ablation": (["table2", "table2-deltas", "table2-seeds", "table2-set5"], ["table2_deltas"]),
    "table3_ublock": (["table3", "table3-ssim", "table3-deltas"], []),
    "figure5_convergence": (["figure5-convergence", "figure5-deltas"], ["figure5_convergence"]),
    "table4_depth": (["table4-params", "table4", "table4-deltas"], ["table4_psnr_vs_params"]),
    "table5_benchmarks": (["table5-best-x2", "table5-best-x4", "table5-best-x8", "table5-psnr", "table5-ssim",
                           "table5-committed", "table5-committed-ssim", "table5-gain", "table5-cited"], []),
    "table6_efficiency": (["table6-params", "table6-memory", "table6-time", "table6-symmetric"],
                          ["table6_time_paper_vs_ours"]),
    "figure6_feature_maps": (["figure6-edges"], ["figure6_feature_maps"]),
    "figure10_psnr_vs_params": (["figure10-csrcnn"], ["figure10_psnr_vs_params"]),
    "league": (["league-entrants", "league-costs"], []),
    "try_it": (["try-it-weights"], ["try_it_x4"]),
    "departures": (["departures"], ["departures"]),
    "exercise_answers": (["answers-1", "answers-2", "answers-6"], []),
    "figures7_9_visual": (["figures7-8-scores"], ["figure7_x4", "figure8_x8", "figure9_native"]),
    "campaign_compute": (["campaign-stages", "campaign-cost", "campaign-fit", "campaign-pilots", "campaign-continued",
                          "campaign-widths", "campaign-periods"], ["campaign_compute_fidelity"]),
    "architectures": (["architectures-summary", "architectures-scores", "architectures-equal-compute"],
                      ["architectures_curves"]),
    "claims": (["claims-comparisons", "claims-convergence", "claims-costs", "claims-league", "claims-paper",
                "claims-untestable", "claims-tally", "claims-budget"], []),
}
# The claims chapter's tables give verdicts, not paper | ours | difference columns.
CLAIMS_TABLES = {"claims-comparisons", "claims-convergence", "claims-costs", "claims-league", "claims-paper",
                 "claims-untestable", "claims-tally", "claims-budget"}
# Tables that compare with the paper must show the three columns; these do not (data checks,
# configurations, derived differences, the cited rows, and Figure 6's edge measure, for which the
# paper gives a picture only).
NOT_COMPARISONS = {"protocol-data", "protocol-matlab", "protocol-ssim-window", "train-x2-config", "train-x4-config",
                   "train-x8-config", "table2-deltas", "table2-seeds", "table2-set5", "table3-deltas", "table4-deltas",
                   "figure5-convergence", "figure5-deltas", "table5-gain", "table5-cited", "figure6-edges",
                   "figures7-8-scores", "protocol-deviations", "campaign-cost", "campaign-fit", "campaign-pilots",
                   "campaign-continued", "campaign-widths", "campaign-periods", "table6-symmetric", "table5-best-x2",
                   "table5-best-x4", "table5-best-x8", "league-entrants", "league-costs", "try-it-weights", "architectures-summary",
                   "architectures-scores", "architectures-equal-compute", "departures", "answers-1", "answers-2",
                   "answers-6", *CLAIMS_TABLES}
PROSE = ["intro", "method", "training", "reproduce", "limitations", "exercises", "references"]


# ------------------------------------------------------------------------------ sources
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_parses_with_jupytext_and_has_one_parameters_cell(name):
    jupytext = pytest.importorskip("jupytext", reason="the 'book' extra is not installed (make book-deps)")
    nb = jupytext.read(REPO_ROOT / "notebooks" / f"{name}.py")
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{name}: {len(tagged)} cells tagged 'parameters'"
    assert tagged[0].cell_type == "code"
    assert re.search(r"^profile = ", tagged[0].source, re.M), f"{name}: the parameters cell must define profile"
    assert nb.metadata["kernelspec"]["name"] == "python3"
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    assert nb.cells[first_code] is tagged[0], f"{name}: parameters must be the first code cell"
    compile("\n".join(c.source for c in nb.cells if c.cell_type == "code"), name, "exec")


def test_every_notebook_is_built_and_in_the_toc():
    graph = (REPO_ROOT / "notebooks" / "build_graph.tsv").read_text()  # what scripts/run_notebooks.py executes
    rows = {line.split("\t")[0]: line.split("\t") for line in graph.splitlines() if not line.startswith("#")}
    toc = (REPO_ROOT / "_toc.yml").read_text()
    sources = sorted(p.stem for p in (REPO_ROOT / "notebooks").glob("*.py"))
    assert sources == sorted(NOTEBOOKS)
    for page in PAGES:
        assert f"file: book/notebooks/{page}" in toc, f"{page} missing from _toc.yml"
        assert page in rows, f"{page} is not executed by scripts/build_book.sh (notebooks/build_graph.tsv)"
    for stage, prev in (("train_x2", '""'), ("train_x4", "previous"), ("train_x8", "previous")):
        assert rows[stage][1] == "train_stage" and rows[stage][4] == f"-p scale {stage[-1]} -r init {prev}"
    assert "scripts/run_notebooks.py" in (REPO_ROOT / "scripts" / "build_book.sh").read_text()
    for page in PROSE + ["architecture"]:
        assert f"file: book/{page}" in toc or f"root: book/{page}" in toc, f"book/{page}.md not in the toc"
    for page in PROSE:
        assert (REPO_ROOT / "book" / f"{page}.md").is_file()


def test_build_is_strict_and_offline():
    script = (REPO_ROOT / "scripts" / "build_book.sh").read_text()
    assert "-W -n --keep-going" in script and "papermill" in script and "jupytext" in script
    config = (REPO_ROOT / "_config.yml").read_text()
    assert re.search(r'execute_notebooks:\s*"off"', config)
    assert re.search(r"intersphinx_mapping:\s*\{\}", config)
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert re.search(r"^book:", makefile, re.M) and "PROFILE ?= quick" in makefile


def test_book_pins_are_in_pyproject():
    import tomllib

    extras = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    book = {r.split("==")[0] for r in extras["book"]}
    assert {"jupyter-book", "jupytext", "papermill", "matplotlib", "seaborn", "ipykernel", "myst-nb"} <= book
    assert "jupyter-book==1.0.4.post1" in extras["book"]


# ------------------------------------------------------------------------------ built HTML
def _html_dir() -> Path:
    html = REPO_ROOT / "_build" / "html"
    if not (html / ".book-complete").is_file():
        message = f"the book is not built ({html}/.book-complete absent: run `make book`, which writes it on success)"
        if os.environ.get("SRLIB_REQUIRE_BOOK") == "1":
            pytest.fail(message + "; SRLIB_REQUIRE_BOOK=1 forbids skipping")
        pytest.skip(message)
    return html


def test_built_figures_pass_the_save_time_checks():
    """Every figure the build saved is readable at the column width, with no label over another
    (srlib.book.figure_checks writes what it finds to _build/figure_checks.tsv, emptied by each
    full build; `make notebooks-smoke` does not check its figures of meaningless numbers)."""
    _html_dir()
    report = REPO_ROOT / "_build" / "figure_checks.tsv"
    lines = report.read_text().splitlines() if report.is_file() else []
    assert not lines, "figures a reader could not read (srlib.book.figure_checks):\n  " + "\n  ".join(lines[:20])


def _table(html: str, table_id: str) -> str:
    start = html.find(f'data-srlib="{table_id}"')
    assert start >= 0, f"table {table_id} not in the page"
    end = html.find("</table>", start)
    return html[start:end]


@pytest.mark.parametrize("page", sorted(PAGES))
def test_built_page_shows_its_tables_figures_and_provenance(page):
    html_dir = _html_dir()
    path = html_dir / "book" / "notebooks" / f"{page}.html"
    assert path.is_file(), f"{path} not built"
    html = path.read_text(encoding="utf-8")
    tables, figures = PAGES[page]
    for table_id in tables:
        body = _table(html, table_id)
        if table_id not in NOT_COMPARISONS:  # paper | ours | ours minus paper ("vs paper" in the budget tables)
            for columns in (("paper",), ("ours",), ("difference", "vs paper")):
                assert any(f">{c}<" in body for c in columns), f"{page}: table {table_id} has no '{columns[0]}' column"
    if figures:
        assert "<img" in html, f"{page}: no figure in the page"
    for name in figures:
        assert (REPO_ROOT / "book" / "notebooks" / "figures" / f"{name}.png").is_file(), f"figure {name}.png not saved"
    assert "Traceback" not in html and "Error</span>" not in html, f"{page}: an error is shown"
    if page != "try_it":
        # a provenance line names the commit(s) behind the numbers: "commit 1a2b3c4" or "commits 1a2b3c4, ..."
        assert re.search(r"commits? [0-9a-f]{7}", html), f"{page}: no provenance line"


def test_built_book_has_every_chapter_and_no_missing_dataset_number():
    html_dir = _html_dir()
    for page in PROSE + ["architecture"]:
        assert (html_dir / "book" / f"{page}.html").is_file(), f"book/{page}.html not built"
    table5 = (html_dir / "book" / "notebooks" / "table5_benchmarks.html").read_text(encoding="utf-8")
    # Manga109 is not in the shared data: its column must say so instead of a number.
    if "Manga109" in table5:
        assert "not available" in _table(table5, "table5-psnr")
    assert "CITED" in table5


def test_built_table5_shows_each_networks_best_committed_weights():
    from srlib import book, published

    by_network = book.best_by_network(REPO_ROOT / "results", (2, 4, 8))
    if not by_network:
        pytest.skip("no result committed under results/")
    table5 = (_html_dir() / "book" / "notebooks" / "table5_benchmarks.html").read_text(encoding="utf-8")
    body = _table(table5, "table5-committed")
    for column in ("paper", "ours", "difference"):
        assert f">{column}<" in body
    for label, refs in by_network.items():
        assert f">{label}<" in body, f"{label}: no row in table5-committed"
        for scale, ref in refs.items():
            for _, row in ref.scores().iterrows():
                assert f">{row.psnr:.2f}<" in body or f">{row.psnr:.2f} (" in body, \
                    f"{label} x{scale} {row.dataset}: the stored {row.psnr:.2f} dB is not in table5-committed"
            assert ref.provenance().commit in table5, f"{ref.name}: its provenance line is missing"
    assert published.best(2, REPO_ROOT / "results").network in by_network  # the default weights are among them


def test_built_campaign_chapter_shows_every_published_stage():
    from srlib import published

    stages = {s: r for s in (2, 4, 8) if (r := published.find_published(f"campaign/x{s}", "results"))}
    if not stages:
        pytest.skip("no campaign stage published under results/campaign/")
    page = (_html_dir() / "book" / "notebooks" / "campaign_compute.html").read_text(encoding="utf-8")
    body = _table(page, "campaign-stages")
    for scale, ref in stages.items():
        for _, row in ref.scores().iterrows():
            assert f">{row.psnr:.2f}<" in body, f"x{scale} {row.dataset}: {row.psnr:.2f} dB not in the campaign table"


def test_built_intro_shows_the_gain_table_and_glued_prose():
    html_dir = _html_dir()
    intro = (html_dir / "book" / "intro.html").read_text(encoding="utf-8")
    body = _table(intro, "intro-gain")
    for column in ("paper", "ours", "difference", "bicubic", "share of the paper"):
        assert f">{column}" in body, f"the intro's gain table has no '{column}' column"
    from srlib import book, published

    committed = [ref for kind in sorted({r.kind for r in published.list_published("results", (2, 4, 8))})
                 for ref in published.best_per_scale("results", kind=kind).values()]
    for page in ("limitations", "reproduce"):
        text = (html_dir / "book" / f"{page}.html").read_text(encoding="utf-8")
        for ref in committed:
            assert book.display_path(ref.folder) in text and f"status {ref.record.get('status')}" in text, \
                f"{page}: the description of {ref.folder} is missing"
    times = (html_dir / "book" / "reproduce.html").read_text(encoding="utf-8")
    assert "chapter (notebook)" in times, "reproduce.html has no per-chapter time table"


@pytest.mark.parametrize("page, table, table_id", [("table2_ablation", "table2", "table2"),
                                                   ("table3_ublock", "table3", "table3"),
                                                   ("table4_depth", "table4", "table4")])
def test_built_ablation_tables_show_the_stored_records(page, table, table_id):
    from srlib import ablations as ab

    records = ab.load_records("quick")
    summary = ab.summary(ab.table_scores(records, table))
    if summary.empty:
        pytest.skip(f"no {table} record committed under {ab.RESULTS_DIR}/quick/")
    html = (_html_dir() / "book" / "notebooks" / f"{page}.html").read_text(encoding="utf-8")
    body = _table(html, table_id)
    for _, row in summary[summary.dataset == "Set14"].iterrows():
        assert f">{row['mean']:.2f}<" in body or f">{row['mean']:.2f} ± " in body, \
            f"{row.row} x{row.scale}: the stored mean {row['mean']:.2f} dB is not in {table_id}"
    n = len(ab.table_records(records, table))
    assert f"{n} record{'s' if n != 1 else ''}, profile quick" in html, f"{page}: no provenance line"


# ------------------------------------------------------------------------------ no process text
#: What a reader of the paper must never read: how the book was made rather than what it shows.
PROCESS_TEXT = [r"\bissues? \d+", r"\bissue's\b", r"\bsessions?\b", r"\bsession's\b", r"\bengineers?'?s?\b",
                r"\bSIG(?:TERM|INT|KILL)\b", r"\bworking periods?\b", r"\bdocs/[\w./-]+", r"\bCEO\b",
                r"time was running out"]


def process_text(text: str) -> list[str]:
    """Every stretch of ``text`` that matches :data:`PROCESS_TEXT`, with a little context."""
    hits = []
    for pattern in PROCESS_TEXT:
        for m in re.finditer(pattern, text, flags=re.I):
            hits.append(text[max(0, m.start() - 40):m.end() + 40].replace("\n", " "))
    return hits


def test_the_process_text_check_finds_what_it_should():
    assert process_text("trained beside another engineer's job; issue 10 asks for 37.5 dB") != []
    assert len(process_text("killed by SIGTERM 4 s after the session's time was running out")) >= 3
    assert process_text("see docs/training.md for the pilots") != []
    assert process_text("The cascade is trained stage by stage on the 291 images; Table V cites 37.53 dB.") == []


def test_no_page_of_the_built_book_speaks_of_how_it_was_made():
    html_dir = _html_dir()
    found = {}
    for path in sorted(html_dir.rglob("*.html")):
        if path.name in ("search.html", "genindex.html") or "_static" in path.parts:
            continue
        text = re.sub(r"<(script|style)\b.*?</\1>", " ", path.read_text(encoding="utf-8"), flags=re.S | re.I)
        text = re.sub(r"<[^>]+>", " ", text)
        hits = process_text(re.sub(r"\s+", " ", text))
        if hits:
            found[str(path.relative_to(html_dir))] = hits[:5]
    assert not found, "process text on reader pages:\n" + "\n".join(f"{p}: {h}" for p, h in found.items())
