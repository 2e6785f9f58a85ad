"""One source per number: no computed number is typed into the book's prose.

The prose of the book (book/*.md and the markdown cells of notebooks/*.py) quotes a number
computed from a stored run through a glue role (``{glue:text}`key:.2f```), so that it changes with
the run. This test finds the numbers typed instead: decimals (a PSNR, a ratio, a cost),
percentages and multiples, outside code, glue roles, math and references. A typed number may
stay only when it is the paper's own (a value of ``data/paper/``) or is on :data:`ALLOWED`, each
entry with its reason.
"""
from __future__ import annotations

import csv
import re

import pytest

from conftest import REPO_ROOT

#: A typed number that may stay in prose -> why it is no computed result. Keys are regular
#: expressions matched against the number and the words around it (``CONTEXT`` characters).
ALLOWED: dict[str, str] = {
    r"95 ?%": "the confidence level of every interval (a protocol constant)",
    r"\b37\.5 dB": "the campaign's x2 target, a constant (srlib.campaign.SET5_TARGETS)",
    r"\b1e-[0-9]|\b[0-9]e-[0-9]": "a training setting (learning rate, weight decay), a preset's value",
    r"\b0\.(01|1|4|9|5)\b(?! ?dB)": "a training setting of a preset (SGD rate, LR factor, clip, momentum)",
    r"a = -0\.5": "the bicubic kernel's constant",
    r"\b(10|20|25|50|75|80) ?%(?! of the paper)": "a preset's schedule fractions (fade-in, L1 share, milestones)",
    r"\b0\.1 dB": "the size of a prediction asked of the reader (exercise 2), not a result",
    r"\b(0\.01|0\.03)\*255|C[12] =": "the SSIM constants",
    r"\bx0\.1\b": "the paper profile's LR decay factor (a preset's value)",
    r"\b1\.0\.\d": "a version number",
    r"(sigma|σ) = ?1\.5|sigma 1\.5": "the SSIM window's constant",
    r"\(100 % is the paper's gain, 0 %": "the definition of the share of the paper's gain",
    r"0\.2 available": "the LeakyReLU slope option of the architecture (a constant)",
    r"against 0\.03 under PyTorch": "read off the code output printed just above it on the page",
    r"(\d+\.\d+-)?\d+\.?\d* % (lower|\(x\d\))|within 0\.33 %|are 24 % \(x2\)": "parameter counts of "
    "srlib.param_counts against the paper's (no run), checked by tests/test_book_prose.py",
    r"within 1 %\. CSRCNN": "the tolerance of the peers' parameter counts in tests/test_models_peers.py (a constant)",
    r"rescaling \(0\.9, 0\.8, 0\.7 and 0\.5\)": "the paper's stated augmentation scales (Sec. IV-A)",
    r"up to 2\.7 million multiply-adds": "a bound stated with the league's entry rule (srlib.league), no run's result",
    r"\b\d+\.\d+K\b": "a parameter count in thousands, from srlib.param_counts or the paper's own counts (no run); "
    "tests/test_book_prose.py checks the architecture page's against the code",
}
CONTEXT = 25

#: Pipe tables of a page whose every cell tests/test_book_prose.py compares with the code that
#: computes it (page -> the first header cell of each such table): not scanned here.
CHECKED_TABLES: dict[str, tuple[str, ...]] = {"book/architecture.md": ("table", "quantity")}

#: What a computed-looking number is: a decimal, a percentage, a multiple (``2.5x``, ``3 ×``).
NUMBER = re.compile(r"(?<![\w.\-/])[-+−]?\d+(?:\.\d+)?(?: ?%| ?×(?!\d)|x\b)|(?<![\w.\-/])[-+−]?\d+\.\d+(?!\d|\.\d)")
#: What is not prose: fenced code (but not a directive's body), inline code and roles, math, links' targets.
NOT_PROSE = [re.compile(p, re.S | re.M) for p in (
    r"\{[\w:-]+\}`[^`]*`",                # roles: {glue:text}`...`, {ref}`...`, {doc}`...`, {cite}`...`
    r"``[^`]*``|`[^`]*`",                  # inline code
    r"\$\$.*?\$\$|\$[^$\n]+\$",            # math
    r"\]\([^)]*\)",                         # link targets
    r"^:[\w-]+:[^\n]*$",                   # directive options (:class:, :width:)
)]


def _paper_values() -> set[str]:
    """Every numeric cell of data/paper/*.csv as it is written there: the paper's own numbers."""
    values = set()
    for path in (REPO_ROOT / "data" / "paper").glob("*.csv"):
        with open(path, newline="") as f:
            for row in csv.reader(f):
                values.update(cell.strip() for cell in row if re.fullmatch(r"-?\d+\.\d+", cell.strip()))
    return values


PAPER_VALUES = _paper_values()


def markdown_of_notebook(source: str) -> str:
    """The markdown cells of a jupytext percent notebook, without their ``# `` prefixes."""
    cells = re.split(r"^# %%.*$", source, flags=re.M)
    heads = re.findall(r"^# %%.*$", source, flags=re.M)
    out = []
    for head, body in zip(heads, cells[1:]):
        if "[markdown]" in head:
            out.append("\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in body.splitlines()))
    return "\n\n".join(out)


def without_checked_tables(name: str, markdown: str) -> str:
    """``markdown`` without the pipe tables of :data:`CHECKED_TABLES` for page ``name``."""
    out, skipping = [], False
    for line in markdown.splitlines():
        if any(line.startswith(f"| {first} |") for first in CHECKED_TABLES.get(name, ())):
            skipping = True
        if skipping and not line.startswith("|"):
            skipping = False
        if not skipping:
            out.append(line)
    return "\n".join(out)


def prose_sources() -> dict[str, str]:
    pages = {f"book/{p.name}": without_checked_tables(f"book/{p.name}", p.read_text())
             for p in sorted((REPO_ROOT / "book").glob("*.md"))}
    notebooks = {f"notebooks/{p.name}": markdown_of_notebook(p.read_text())
                 for p in sorted((REPO_ROOT / "notebooks").glob("*.py"))}
    return {**pages, **notebooks}


def without_code(markdown: str) -> str:
    """``markdown`` without its fenced code blocks (a directive's body, ```{admonition} ...``` , stays)."""
    out, fences = [], []  # fences: for each open fence, whether it is code
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            rest = line.lstrip()[3:].strip()
            if fences and not rest:
                fences.pop()
                continue
            fences.append(not rest.startswith("{"))
            continue
        if not any(fences):
            out.append(line)
    return "\n".join(out)


def typed_numbers(markdown: str) -> list[str]:
    """The computed-looking numbers typed in ``markdown``'s prose, each with its context, that
    are neither the paper's (:data:`PAPER_VALUES`) nor on :data:`ALLOWED`."""
    text = without_code(markdown)
    for pattern in NOT_PROSE:
        text = pattern.sub(" ", text)
    text = re.sub(r"\s+", " ", text)
    found = []
    for m in NUMBER.finditer(text):
        number = m.group(0).strip().lstrip("+-−").rstrip("%× x").strip()
        around = text[max(0, m.start() - CONTEXT):m.end() + CONTEXT]
        if number in PAPER_VALUES:
            continue
        if any(a.start() <= m.start() - lo and m.end() - lo <= a.end() + 1
               for p in ALLOWED for lo in [max(0, m.start() - 60)]
               for a in re.finditer(p, text[lo:m.end() + 60])):
            continue  # an allowed pattern covers the number
        found.append(f"{m.group(0).strip()!r} in '...{around}...'")
    return found


def test_the_scanner_finds_typed_numbers_and_spares_glue_code_and_paper_values():
    assert typed_numbers("Our network reaches 37.43 dB on Set5.")
    assert typed_numbers("It is 12% faster and 1.8x smaller.") and len(typed_numbers("1.8x smaller")) == 1
    assert not typed_numbers("It reaches {glue:text}`notebooks/x.ipynb::psnr:.2f` dB.")
    assert not typed_numbers("```python\nprint(37.43)\n```\nand `lr=2e-4` and $x = 0.25$")
    assert not typed_numbers("The paper's CSRCNN reaches 37.89 dB at x2.")  # data/paper: the paper's value
    assert not typed_numbers("with its 95 % interval")  # ALLOWED
    assert markdown_of_notebook("# %% [markdown]\n# It is 3.14 dB.\n\n# %%\nx = 2.71\n") .strip() == "It is 3.14 dB."


@pytest.mark.parametrize("name", sorted(prose_sources()))
def test_no_computed_number_is_typed_in_prose(name):
    hits = typed_numbers(prose_sources()[name])
    assert not hits, (f"{name} types numbers that look computed; glue them from the notebook that computes "
                      "them (myst_nb glue + {glue:text}), or add them to ALLOWED with a reason:\n  "
                      + "\n  ".join(hits))
