"""Sphinx extension of the companion book: launch and download buttons from one setting.

The book's notebook pages get Binder and Colab launch buttons (``launch_buttons`` in
``_config.yml``) only when the book knows the repository they live in: ``repository.url`` in
``_config.yml``, or the environment variable ``BOOK_REPOSITORY_URL`` (the publishing workflow
sets it to the GitHub repository). While both are empty the launch buttons are removed: the theme
would otherwise fail on an empty repository URL or link to nowhere. The download button (the
executed notebook as ``.ipynb``, the page's source) is always on.
"""
from __future__ import annotations

import os

#: The theme options that launch a notebook elsewhere (all need the repository's URL).
LAUNCH_KEYS = ("binderhub_url", "jupyterhub_url", "colab_url", "jupyterlite_url", "thebe")


def publishing_options(theme: dict, environ=os.environ) -> dict:
    """``theme`` (sphinx-book-theme's options) with the repository URL, launch and download buttons set."""
    theme = dict(theme)
    url = (environ.get("BOOK_REPOSITORY_URL") or theme.get("repository_url") or "").strip().rstrip("/")
    theme["repository_url"] = url
    theme["use_download_button"] = True
    if not url:
        theme["launch_buttons"] = {k: v for k, v in theme.get("launch_buttons", {}).items() if k not in LAUNCH_KEYS}
    return theme


def _apply(app, config) -> None:
    config.html_theme_options = publishing_options(config.html_theme_options or {})


def setup(app):
    app.connect("config-inited", _apply)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
