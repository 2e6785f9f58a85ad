"""Publishing: CITATION.cff, the GitHub Pages workflow and the book's launch / download buttons."""
from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
import yaml

from conftest import REPO_ROOT

PAPER = REPO_ROOT.parent / "shared" / "paper" / "csrcnn-paper.md"
spec = importlib.util.spec_from_file_location("book_publishing", REPO_ROOT / "book" / "_ext" / "book_publishing.py")
publishing = importlib.util.module_from_spec(spec)
spec.loader.exec_module(publishing)


def load(path):
    return yaml.safe_load((REPO_ROOT / path).read_text())


def test_citation_cff_has_the_required_keys_and_cites_the_paper():
    cff = load("CITATION.cff")
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors", "type", "version", "license"):
        assert cff[key], key
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    assert f'version = "{cff["version"]}"' in pyproject and f'license = "{cff["license"]}"' in pyproject
    (paper,) = [r for r in cff["references"] if r["type"] == "article"]
    names = [f'{a["given-names"]} {a["family-names"]}' for a in paper["authors"]]
    assert names == ["Dongyang Zhang", "Jie Shao", "Zhenwen Liang", "Lianli Gao", "Heng Tao Shen"]
    bib = (REPO_ROOT / "book" / "references.bib").read_text()
    assert paper["title"] in bib and paper["title"] in cff["title"]
    if PAPER.is_file():  # the paper's own heading and author line
        text = PAPER.read_text()
        assert f"# {paper['title']}" in text and ", ".join(names[:-1]) + ", and " + names[-1] in text


def test_the_workflow_runs_the_readme_commands_and_publishes_the_html():
    flow = load(".github/workflows/book.yml")
    steps = flow["jobs"]["build"]["steps"]
    runs = [s.get("run") for s in steps if s.get("run")]
    assert runs == ["make book", "make test"]
    readme = (REPO_ROOT / "README.md").read_text()
    assert all(cmd in readme for cmd in runs)
    assert {"uses": "actions/upload-pages-artifact@v3", "with": {"path": "_build/html"}} in steps
    assert flow["jobs"]["deploy"]["steps"][0]["uses"].startswith("actions/deploy-pages@")
    assert "BOOK_REPOSITORY_URL" in flow["jobs"]["build"]["env"]


@pytest.mark.parametrize("path,schema", [(".github/workflows/book.yml", "vendor.github-workflows"),
                                         ("CITATION.cff", "vendor.citation-file-format")])
def test_the_linter_accepts_the_workflow_and_the_citation(path, schema):
    if importlib.util.find_spec("check_jsonschema") is None:
        pytest.skip("check-jsonschema is not installed (pip install -e '.[dev]')")
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(REPO_ROOT / path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_linter_rejects_a_broken_workflow(tmp_path):
    if importlib.util.find_spec("check_jsonschema") is None:
        pytest.skip("check-jsonschema is not installed (pip install -e '.[dev]')")
    bad = tmp_path / "book.yml"
    bad.write_text((REPO_ROOT / ".github/workflows/book.yml").read_text().replace("runs-on:", "runs-onn:", 1))
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                             str(bad)], capture_output=True, text=True)
    assert result.returncode != 0


def test_launch_buttons_follow_the_one_repository_url_and_are_hidden_while_it_is_empty():
    config = load("_config.yml")
    assert config["repository"]["url"] == ""  # no public repository yet: no launch buttons
    assert "book_publishing" in config["sphinx"]["local_extensions"]
    launch = config["launch_buttons"]
    assert launch["binderhub_url"] and launch["colab_url"]
    theme = {"launch_buttons": launch, "repository_url": config["repository"]["url"]}
    hidden = publishing.publishing_options(theme, environ={})
    assert not any(hidden["launch_buttons"].get(k) for k in publishing.LAUNCH_KEYS)
    assert hidden["use_download_button"] is True
    shown = publishing.publishing_options(theme, environ={"BOOK_REPOSITORY_URL": "https://github.com/o/r/"})
    assert shown["repository_url"] == "https://github.com/o/r"
    assert shown["launch_buttons"]["binderhub_url"] == launch["binderhub_url"]
    assert shown["launch_buttons"]["colab_url"] == launch["colab_url"] and shown["use_download_button"] is True
