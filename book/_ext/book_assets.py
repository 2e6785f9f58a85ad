"""Sphinx extension of the companion book: two fixes of the HTML theme's scripts, both found by
scripts/check_book_browser.py as console errors.

1. Repeated <script> entries are dropped from each page.

In this Jupyter Book 1 build sphinx-thebe's and sphinx-togglebutton's inline configuration
scripts are registered twice (once with ``filename=None``, once with ``''``; the cause inside
Jupyter Book was not traced), so every page declared
``const THEBE_JS_URL`` twice and the browser logged "Identifier 'THEBE_JS_URL' has already been
declared". This keeps the first of identical scripts.

2. A first visit (nothing in the browser's localStorage) logged "Got invalid theme mode: .":
pydata-sphinx-theme sets ``<html data-mode>`` to ``localStorage.mode || ""`` and then rejects
"". An inline script, which runs after that and before the theme reads it, makes it "auto"
(the theme's own default).

3. A printed output line longer than the text column (a provenance line, a note) scrolled
sideways in a clipped grey box; it now wraps inside the column (``book_assets.css``).
"""
from __future__ import annotations

from pathlib import Path


def _key(script) -> tuple:
    attributes = getattr(script, "attributes", {}) or {}
    filename = getattr(script, "filename", script) or ""  # an inline script's is None or "" (both occur)
    return str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items()))


def dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


THEME_MODE_JS = 'if (!document.documentElement.dataset.mode) { document.documentElement.dataset.mode = "auto"; }'


STATIC = Path(__file__).resolve().parent / "static"


def _add_static_path(app) -> None:
    app.config.html_static_path.append(str(STATIC))


def setup(app):
    app.connect("builder-inited", _add_static_path)
    app.add_css_file("book_assets.css")
    app.connect("html-page-context", dedupe_scripts, priority=100)
    app.add_js_file(None, body=THEME_MODE_JS, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
