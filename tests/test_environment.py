"""Set-up files agree with each other, and srlib imports the way a GPU host uses it."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib

from conftest import REPO_ROOT


def _pyproject_requirements() -> set[str]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    reqs = set(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs |= set(extra)
    return reqs


def _environment_yml_requirements() -> set[str]:
    text = (REPO_ROOT / "environment.yml").read_text()
    pip_block = text.split("- pip:", 1)[1]
    return {m.group(1) for m in re.finditer(r"^\s+-\s+([A-Za-z0-9_.\-\[\]]+==[^\s#]+)", pip_block, re.M)}


def test_environment_yml_matches_pyproject():
    ours, conda = _pyproject_requirements(), _environment_yml_requirements()
    assert ours == conda, f"only in pyproject: {ours - conda}; only in environment.yml: {conda - ours}"


def test_every_dependency_is_pinned_and_torch_exactly():
    reqs = _pyproject_requirements()
    assert all("==" in r for r in reqs), [r for r in reqs if "==" not in r]
    assert "torch==2.13.0" in reqs


def test_srlib_imports_with_pythonpath_only(tmp_path):
    """A GPU host runs a copy of the working tree with PYTHONPATH=. and no pip install."""
    tree = tmp_path / "tree"
    shutil.copytree(REPO_ROOT / "srlib", tree / "srlib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO_ROOT / "data" / "paper", tree / "data" / "paper")
    env = dict(os.environ, PYTHONPATH=str(tree))
    code = ("import srlib, srlib.models, srlib.evaluation, srlib.cli, srlib.paper; "
            "print(srlib.__file__); print(len(srlib.paper.load_paper_table('table5')))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    srlib_file, rows = proc.stdout.split()
    assert srlib_file.startswith(str(tree)), srlib_file  # the copy, not the installed package
    assert int(rows) > 0


def test_ci_runs_the_readme_command():
    ci = (REPO_ROOT / ".ci/run").read_text()
    readme = (REPO_ROOT / "README.md").read_text()
    assert "make test" in ci and "make test" in readme
    assert "SRLIB_DATA_DIR" in ci
