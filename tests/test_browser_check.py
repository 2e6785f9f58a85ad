"""scripts/check_book_browser.py finds what a reader would see as broken (needs Debian's chromium)."""
from __future__ import annotations

import importlib.util
import shutil

import pytest

from conftest import REPO_ROOT

spec = importlib.util.spec_from_file_location("check_book_browser", REPO_ROOT / "scripts" / "check_book_browser.py")
check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check)

GOOD = """<html><head><title>ok</title></head><body><main><article class="bd-article" style="width:600px">
<p>A page a reader can use.</p><table data-srlib="fine"><tr><th>a</th><td>1.00</td></tr></table>
<img src="dot.svg" style="max-width:100%">
<details><summary>Show code cell source</summary><pre style="overflow-x:auto">""" + "z" * 300 + """</pre></details>
</article></main></body></html>"""
BAD = """<html><body><main><article class="bd-article" style="width:600px">
<table data-srlib="wide"><tr><td style="white-space:nowrap">""" + "x" * 200 + """</td></tr></table>
<table data-srlib="empty"><tr><td> </td></tr></table>
<img src="missing.png"><img src="wide.svg" style="max-width:100%">
<section><h2>Outputs</h2><pre style="overflow-x:auto">short line
yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy</pre>
<p style="position:relative;top:0">first paragraph</p><p style="position:relative;top:-40px">second paragraph</p></section>
<pre>Traceback (most recent call last):
ValueError: boom</pre><script>console.error("broken")</script></article></main></body></html>"""
WIDE = '<svg xmlns="http://www.w3.org/2000/svg" width="2000" height="100"><rect width="2000" height="100"/></svg>'
DOT = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle cx="5" cy="5" r="4"/></svg>'


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    site = tmp_path_factory.mktemp("site")
    (site / "index.html").write_text(GOOD)
    (site / "bad.html").write_text(BAD)
    (site / "dot.svg").write_text(DOT)
    (site / "wide.svg").write_text(WIDE)
    out = site / "shots"
    return check.run(site, out, pages=["index.html", "bad.html"]), out


def test_a_clean_page_passes_and_is_photographed(results):
    found, out = results
    assert not any(found["index.html"].get(k) for k in check.PROBLEMS), found["index.html"]
    assert (out / "index.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "report.json").is_file()


def test_every_kind_of_problem_is_reported(results):
    found, _ = results
    bad = found["bad.html"]
    assert any("broken" in e for e in bad["console_errors"])
    assert bad["missing_images"] == ["missing.png"]
    assert bad["empty_tables"] == ["table empty"]
    assert any(w.startswith("table wide") for w in bad["too_wide"])
    assert bad["tracebacks"]
    assert len(bad["clipped"]) == 1 and bad["clipped"][0].startswith("pre in 'Outputs': ")
    assert "(1 lines longer than the box)" in bad["clipped"][0]
    assert len(bad["small_text"]) == 1 and bad["small_text"][0].startswith("wide.svg: shown at ")
    assert bad["overlapping"] == ['"first paragraph" and "second paragraph" in \'Outputs\'']
    lines = check.failures(found)
    assert lines and all(line.startswith("bad.html: ") for line in lines)
    lenient = check.failures(found, tuple(k for k in check.PROBLEMS if k not in check.REPORT_ONLY))
    assert len(lenient) == len(lines) - 3 and not any("overlapping text" in line for line in lenient)


def test_pages_come_from_the_toc(tmp_path):
    (tmp_path / "index.html").write_text(GOOD)
    pages = check.book_pages(tmp_path)
    assert pages[0] == "index.html" and "book/intro.html" in pages and "book/notebooks/table5_benchmarks.html" in pages
