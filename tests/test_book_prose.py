"""Prose that cannot drift: the book's hand-written pages against the code that computes what
they state. None of these tests needs a built book or the datasets."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from conftest import REPO_ROOT
from srlib import book
from srlib.profiles import TABLE5_PARTIAL, TABLE6_GFLOP_BUDGET
from srlib.param_counts import csrcnn_parameter_table, paper_consistency
from srlib.training import config_diff, preset

BOOK = REPO_ROOT / "book"


def _pipe_table(markdown: str, first_column: str) -> pd.DataFrame:
    """The MyST pipe table of ``markdown`` whose header starts with ``first_column``, as text cells."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_column} |"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return pd.DataFrame(rows[2:], columns=rows[0])


def _assert_table_matches(shown: pd.DataFrame, expected: pd.DataFrame, what: str) -> None:
    shown = shown.rename(columns=dict(zip(shown.columns, expected.columns)) if len(shown.columns) == len(expected.columns)
                         and list(shown.columns) == [c.replace("_", " ") for c in expected.columns] else {})
    assert list(shown.columns) == list(expected.columns), f"{what}: columns differ (headers: the code's, '_' as ' ')"
    assert len(shown) == len(expected), f"{what}: {len(shown)} rows, the code gives {len(expected)}"
    for column in expected.columns:
        if expected[column].dtype.kind in "if":
            decimals = max((len(v.split(".")[1]) if "." in v else 0) for v in shown[column])
            assert list(shown[column].astype(float)) == list(expected[column].round(decimals).astype(float)), \
                f"{what}: column {column} differs from the code"
        else:
            assert list(shown[column]) == list(expected[column]), f"{what}: column {column} differs from the code"


# ------------------------------------------------------------------ architecture.md
def test_architecture_parameter_table_is_what_the_code_counts():
    shown = _pipe_table((BOOK / "architecture.md").read_text(), "table")
    _assert_table_matches(shown, csrcnn_parameter_table(), "book/architecture.md's parameter table "
                          "(srlib.param_counts.csrcnn_parameter_table())")


def test_architecture_consistency_table_is_what_the_code_derives():
    inc = paper_consistency(include_ours=True)
    inc["ours_conv1x1_k"] = paper_consistency(include_ours=True, fusion="conv1x1")["ours_k"]
    shown = _pipe_table((BOOK / "architecture.md").read_text(), "quantity")
    _assert_table_matches(shown, inc, "book/architecture.md's increments table (srlib.param_counts.paper_consistency())")


def test_architecture_prose_numbers_follow_the_tables():
    text = re.sub(r"\s+", " ", (BOOK / "architecture.md").read_text())
    table = csrcnn_parameter_table().set_index("configuration")
    r2 = [-int(table.loc[n, "difference"]) for n in ("U2TR2 U2TR2", "U3TR2 U3TR2", "U4TR2 U4TR2")]
    assert f"{r2[0]:,}, {r2[1]:,} and {r2[2]:,}".replace(",", " ").replace("  ", ", ") in text \
        or all(f"{v:,}".replace(",", " ") in text for v in r2)
    rel = table.relative_difference
    r2_pct = sorted(-100 * rel[[n for n in table.index if n.endswith("R2")]])
    assert f"{r2_pct[0]:.1f}-{r2_pct[-1]:.1f} %" in text
    r1_pct = sorted(-100 * rel[[n for n in table.index if n.endswith("R1 U3TR1") or n.endswith("R1 U4TR1")]])
    assert f"{r1_pct[0]:.1f}-{r1_pct[-1]:.1f} %" in text
    vi = 100 * rel[[n for n in table.index if n.startswith("CSRCNN x")]]
    assert f"ours are {vi['CSRCNN x2']:.0f} % (x2) and {vi['CSRCNN x4']:.0f} % (x4) *higher* and " \
           f"{-vi['CSRCNN x8']:.1f} % (x8) lower" in text
    fused = csrcnn_parameter_table(fusion="conv1x1").set_index("configuration").relative_difference
    assert f"within {100 * fused[[n for n in fused.index if n.endswith('R2')]].abs().max():.2f} %" in text
    inc = paper_consistency(include_ours=True).set_index("quantity")
    for quantity in ("Table VI level 2 (U4TR1) added", "Table VI level 3 (U2TR1) added"):
        assert f"{inc.loc[quantity, 'ours_k']:.2f}K" in text, quantity
    for quantity, shown in (("U block, 3rd (R0 rows)", "418.5K"), ("U2TR0 U2TR0 if the counts were additive", "1746K"),
                            ("refined block, R0->R1 (U3 rows)", "184.5K"), ("refined block, R1->R2 (U3 rows)", "369.5K")):
        assert float(shown.rstrip("K")) == pytest.approx(inc.loc[quantity, "paper_k"]), quantity
        assert shown in text


# ------------------------------------------------------------------ glued numbers exist
GLUE_REF = re.compile(r"(?:\{glue:text\}`|:doc: )(notebooks/[\w]+)\.ipynb(?:::(\w+))?")


def glues(source: str, name: str) -> bool:
    """Whether a notebook's source glues ``name``: a literal ``glue("name", ...)``, or an
    f-string key (``glue(f"campaign_x{s}_gain", ...)``) whose fields can spell it; in a notebook
    that glues a dict of numbers at once (``glue_all({"name": value, f"x{s}_gain": ...})``), also
    the keys of the dicts inside its ``glue_all(...)`` calls."""
    if re.search(rf'glue\(\s*"{name}"', source):
        return True
    keys = re.findall(r'glue\(\s*f"([^"]+)"', source)
    for call in re.findall(r"glue_all\((\{.*?\})\)\n", source, re.S):
        if re.search(rf'"{name}":', call):
            return True
        keys += re.findall(r'f"([^"]+)":', call)
    for key in keys:
        pattern = "".join(r"\w+" if part.startswith("{") else re.escape(part)
                          for part in re.split(r"(\{[^}]*\})", key) if part)
        if re.fullmatch(pattern, name):
            return True
    return False


def test_glue_names_resolve_literal_and_f_string_keys():
    source = 'glue("plain", 1)\nglue(f"campaign_x{s}_end_ceiling", x)\nglue(f"{name}_gain", y)'
    assert glues(source, "plain") and glues(source, "campaign_x2_end_ceiling") and glues(source, "x2_p48_gain")
    assert not glues(source, "plainer") and not glues(source, "campaign_x2_end") and not glues(source, "gain")
    many = 'glue_all({"total_hours": h,\n          **{f"x{s}_set5": v for s, v in d.items()}})\nother = {"not_glued": 1}\n'
    assert glues(many, "total_hours") and glues(many, "x4_set5") and not glues(many, "not_glued")


@pytest.mark.parametrize("page", ["intro", "method", "reproduce", "limitations", "exercises"])
def test_every_glued_number_is_glued_by_its_notebook(page):
    text = (BOOK / f"{page}.md").read_text()
    for m in re.finditer(r"\{glue:text\}`notebooks/(\w+)\.ipynb::(\w+)", text):
        source = (REPO_ROOT / "notebooks" / f"{m.group(1)}.py").read_text()
        assert glues(source, m.group(2)), f"{page}: {m.group(1)} glues no {m.group(2)!r}"
    for m in re.finditer(r"```\{glue\} (\w+)\n:doc: notebooks/(\w+)\.ipynb", text):
        source = (REPO_ROOT / "notebooks" / f"{m.group(2)}.py").read_text()
        assert glues(source, m.group(1)), f"{page}: {m.group(2)} glues no {m.group(1)!r}"


GLUE_TEXT = re.compile(r"\{glue:text\}`([^`]*)`")


def glue_text_without_format(markdown: str) -> list[str]:
    """The ``{glue:text}`` references of a page that give no format: the role splits its
    argument at the last colon, so ``path.ipynb::key`` alone is read as path ``path.ipynb:``
    with format ``key`` and the build fails."""
    return [ref for ref in GLUE_TEXT.findall(markdown) if not re.fullmatch(r"[\w/.-]+\.ipynb::\w+:[^:`]+", ref)]


def test_glue_text_without_format_is_found():
    page = "a {glue:text}`notebooks/x.ipynb::k:.3f` b {glue:text}`notebooks/x.ipynb::bare` c"
    assert glue_text_without_format(page) == ["notebooks/x.ipynb::bare"]


@pytest.mark.parametrize("page", sorted(p.name for p in BOOK.glob("*.md")))
def test_every_glued_number_has_a_format(page):
    missing = glue_text_without_format((BOOK / page).read_text())
    assert not missing, f"book/{page}: {{glue:text}} without a format (append e.g. :.3f): {missing}"


def test_intro_table_has_the_share_of_the_papers_gain():
    text = (BOOK / "intro.md").read_text()
    assert "```{glue} intro_gain_table\n:doc: notebooks/table5_benchmarks.ipynb" in text
    paper = pd.DataFrame({"method": ["CSRCNN", "Bicubic"], "scale": [4, 4], "dataset": ["Set5"] * 2,
                          "psnr": [32.0, 28.0]})
    ours = pd.DataFrame({"method": ["CSRCNN"], "scale": [4], "dataset": ["Set5"], "psnr": [29.0]})
    bic = pd.DataFrame({"scale": [4], "dataset": ["Set5"], "psnr": [28.5]})
    row = book.gain_share(paper, ours, bic).iloc[0]
    assert row.difference == pytest.approx(-3.0) and row.share == pytest.approx(0.125)
    shown = book.gain_share_display({"this build": book.gain_share(paper, ours, bic),
                                     "committed": book.gain_share(paper, ours.iloc[:0], bic)}, [4])
    assert list(shown.columns) == ["paper", "ours", "difference", "bicubic", "share of the paper's gain"]
    assert shown.loc[("this build", "x4")].tolist() == ["32.00", "29.00", "-3.00", "28.50", "12%"]
    assert shown.loc[("committed", "x4"), "ours"] == "none committed"


# ------------------------------------------------------------------ limitations.md
def _sections(markdown: str) -> dict[str, str]:
    parts = re.split(r"^###? (.+)$", markdown, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


#: Which sections of limitations.md describe each profile (a profile inherits the ones it builds on).
PROFILE_SECTIONS = {"reference": ["Every profile, including `paper`", "`reference`"],
                    "quick": ["Every profile, including `paper`", "`reference`", "`quick` (the book's default)"],
                    "smoke": ["Every profile, including `paper`", "`smoke` (tests and installation checks only)"],
                    "campaign": ["Every profile, including `paper`", "`reference`",
                                 "`campaign` (the CPU campaign's long trainings)"]}


@pytest.mark.parametrize("profile", sorted(PROFILE_SECTIONS))
def test_limitations_name_every_field_a_profile_changes(profile):
    sections = _sections((BOOK / "limitations.md").read_text())
    text = "".join(sections[name] for name in PROFILE_SECTIONS[profile])
    for scale in (2, 4, 8):
        for field in config_diff(preset(profile, scale), preset("paper", scale)):
            assert f"`{field}" in text, f"limitations.md does not say that {profile} changes {field!r} (x{scale})"


def test_limitations_quote_the_profiles_values_and_the_measurements():
    text = re.sub(r"\s+", " ", (BOOK / "limitations.md").read_text())
    quick = {s: preset("quick", s) for s in (2, 4, 8)}
    assert f"`channels={quick[2].channels}`" in text and f"`hr_blocks={quick[2].hr_blocks}`" in text
    assert f"`blocks_per_level={tuple(quick[2].blocks_per_level)}`" in text
    assert f"`batch_size={quick[2].batch_size}`" in text
    assert " / ".join(str(quick[s].patch_size) for s in (2, 4, 8)) + " pixels" in text
    assert " / ".join(str(quick[s].steps) for s in (2, 4, 8)) + " per stage" in text
    ref_steps = " / ".join(f"{preset('reference', s).steps:,}".replace(",", " ") for s in (2, 4, 8))
    assert ref_steps in text
    from srlib.ablations import BUDGETS  # the ablation records' budget (Tables II-IV, Figure 5)

    abl = BUDGETS["quick"]
    assert f"{abl.seeds} paired seeds at {abl.steps[2]} / {abl.steps[4]} / {abl.steps[8]} steps" in text
    assert f"from {abl.table4_seeds} seeds at {abl.table4_steps[2]} / {abl.table4_steps[4]} steps" in text
    part = TABLE5_PARTIAL["quick"]
    assert f"first {part['B100']} and {part['Urban100']} images" in text
    assert f"at most {TABLE6_GFLOP_BUDGET['quick']:.0f} GFLOP" in text
    # the measured numbers of the deviations are glued from stored runs (tests/test_numbers_in_prose.py)
    deviations = text[text.index("Deviations from the paper"):text.index("Not re-run at all")]
    assert "notebooks/departures.ipynb::pilot_c48" in deviations and "docs/" not in deviations


def test_committed_weights_are_described_by_their_provenance():
    from srlib import published

    best = published.best_per_scale("results")
    for scale, ref in best.items():
        line = book.describe_committed(ref)
        rec = ref.record
        assert f"{rec['steps']} " in line and f"status {rec['status']}" in line
    for page in ("intro", "reproduce", "limitations"):
        text = (BOOK / f"{page}.md").read_text()
        assert not re.search(r"(trained|weights)[^.]*\b(for longer|GPU)\b[^.]*committed|"
                             r"committed[^.|]*\b(trained for longer|GPU)\b", text), \
            f"{page}.md describes committed weights as longer or GPU runs; their provenance decides"
    for page in ("reproduce", "limitations"):
        assert "notebooks/table5_benchmarks.ipynb::committed_summary" in (BOOK / f"{page}.md").read_text()


# ------------------------------------------------------------------ one build time everywhere
def test_the_build_time_is_the_measured_one():
    """No page states a build time of its own: the book includes the one the build measured
    (scripts/run_notebooks.py writes book/notebooks/build_wall.md from _build/book_times.tsv)."""
    readme = re.sub(r"\s+", " ", (REPO_ROOT / "README.md").read_text())
    pages = {p: re.sub(r"\s+", " ", (BOOK / f"{p}.md").read_text())
             for p in ("intro", "limitations", "reproduce", "exercises", "training")}
    stated = re.compile(r"(?:about|~) ?\d+ ?min(?:utes)?\b[^.]{0,30}?(?:in all|CPU cores|build)"
                        r"|build[^.]{0,40}?(?:about|~|takes) ?\d+ ?(?:min|minutes|hours?)\b|quarter of an hour")
    for name, text in {"README.md": readme, **pages}.items():
        assert not stated.search(text), f"{name} states a build time: {stated.search(text).group(0)!r}"
    reproduce = (BOOK / "reproduce.md").read_text()
    assert "{include} notebooks/build_wall.md" in reproduce and "{include} notebooks/build_times.md" in reproduce
    runner = (REPO_ROOT / "scripts" / "run_notebooks.py").read_text()
    assert "build_wall.md" in runner and "build_times.md" in runner
    assert "run_notebooks.py" in (REPO_ROOT / "scripts" / "build_book.sh").read_text()


# ------------------------------------------------------------------ teaching kit
def _toc_chapters() -> list[str]:
    toc = (REPO_ROOT / "_toc.yml").read_text()
    return re.findall(r"(?:file|root): (book/\S+)", toc)


def test_every_chapter_states_its_learning_objectives():
    chapters = _toc_chapters()
    assert len(chapters) > 15
    for chapter in chapters:
        if chapter == "book/references":
            continue
        if chapter.startswith("book/notebooks/"):
            name = chapter.split("/")[-1]
            name = "train_stage" if name.startswith("train_x") else name
            source = (REPO_ROOT / "notebooks" / f"{name}.py").read_text()
        else:
            source = (REPO_ROOT / f"{chapter}.md").read_text()
        assert re.search(r"\{admonition\} Learning objectives\n(# )?:class: tip", source), \
            f"{chapter}: no learning objectives"
