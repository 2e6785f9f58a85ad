"""The notebooks' shared parameters: checked once, derived once (``srlib.book.shared_parameters``)."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from srlib.book import NotebookParameterError, shared_parameters
from srlib.profiles import TABLE5_PARTIAL, TABLE6_GFLOP_BUDGET

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_the_shared_values_are_derived_from_the_parameters(tmp_path):
    shared = shared_parameters({"profile": "quick", "device": "cpu", "data_dir": str(tmp_path), "scales": "2, 8",
                                "datasets": "Set5,Set14,", "runs_dir": "runs/x", "results_dir": "results/ablations",
                                "retrain": "1", "jobs": 3}, profiles=("scale",))
    assert shared.root == tmp_path and shared.scales == [2, 8] and shared.datasets == ["Set5", "Set14"]
    assert shared.run_options == {"runs_dir": "runs/x", "device": "cpu", "progress": False, "data_root": str(tmp_path)}
    assert shared.record_options == {"results_dir": "results/ablations", "runs_dir": "runs/x", "retrain": True,
                                     "jobs": 3, "data_root": str(tmp_path)}
    assert shared.start <= time.perf_counter()


def test_one_scale_and_eval_sets_and_the_default_data_root(monkeypatch):
    monkeypatch.setenv("SRLIB_DATA_DIR", "/somewhere/data")
    shared = shared_parameters({"profile": "smoke", "scale": "4", "eval_sets": "Set14", "runs_dir": "runs"})
    assert shared.scales == [4] and shared.datasets == ["Set14"] and shared.root == Path("/somewhere/data")
    assert "data_root" not in shared.run_options and shared.record_options == {}


@pytest.mark.parametrize("profile", ["smoke", "quick", "reference", "paper"])
def test_the_profile_budgets_of_tables_5_and_6(profile):
    shared = shared_parameters({"profile": profile, "partial": "", "max_gflops": -1.0})
    assert shared.partial == TABLE5_PARTIAL[profile] and shared.max_gflops == TABLE6_GFLOP_BUDGET[profile]
    given = shared_parameters({"profile": profile, "partial": '{"Urban100": 7}', "max_gflops": 0})
    assert given.partial == {"Urban100": 7} and given.max_gflops == 0.0
    assert shared_parameters({"profile": profile, "partial": "{}"}).partial == {}


def test_a_bad_parameter_is_still_one_line_and_nothing_is_derived():
    with pytest.raises(NotebookParameterError, match=r"^parameter scales='2,5' must be"):
        shared_parameters({"profile": "quick", "scales": "2,5"})
    with pytest.raises(NotebookParameterError, match="profile='scale'"):
        shared_parameters({"profile": "scale"})  # an ablation budget only where the notebook allows it
    assert shared_parameters({"profile": "scale"}, profiles=("scale",)).profile == "scale"


def test_no_notebook_repeats_the_shared_derivations():
    """The derivations that :class:`Shared` holds are written nowhere else in the notebooks."""
    repeated = ("data_root(data_dir", "retrain=bool(int(retrain))", 'split(",")] if', "TABLE5_PARTIAL.get(",
                "TABLE6_GFLOP_BUDGET.get(")
    found = [f"{p.name}: {needle}" for p in sorted((REPO_ROOT / "notebooks").glob("*.py"))
             for needle in repeated if needle in p.read_text()]
    assert not found, found
