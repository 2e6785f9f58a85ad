"""Set-up files agree with each other, and srlib imports the way a GPU host uses it."""
from __future__ import annotations

import os
import re
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
    """A GPU host runs the working tree with PYTHONPATH=. and no pip install."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(REPO_ROOT)
    code = "import srlib, srlib.models, srlib.evaluation, srlib.cli; print(srlib.__file__)"
    proc = subprocess.run([sys.executable, "-S", "-c", "import sys; sys.path.extend(__import__('site').getsitepackages()); " + code],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().startswith(str(REPO_ROOT))


def test_ci_runs_the_readme_command():
    ci = (REPO_ROOT / ".ci/run").read_text()
    readme = (REPO_ROOT / "README.md").read_text()
    assert "make test" in ci and "make test" in readme
    assert "SRLIB_DATA_DIR" in ci
