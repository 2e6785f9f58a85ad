"""`python -m srlib evaluate` end to end (a subprocess, as a user runs it)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from srlib.paper import paper_cell


def _run(args, data_root):
    env = dict(os.environ, SRLIB_DATA_DIR=str(data_root))
    return subprocess.run([sys.executable, "-m", "srlib", *args], capture_output=True, text=True, env=env, timeout=300)


def test_evaluate_bicubic_json(data_root):
    proc = _run(["evaluate", "bicubic", "--dataset", "Set5", "--scale", "4", "--format", "json", "--quiet"], data_root)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert {"dataset", "scale", "images", "psnr", "ssim", "per_image"} <= set(result)
    assert result["dataset"] == "Set5" and result["scale"] == 4 and result["images"] == 5
    assert [r["name"] for r in result["per_image"]] == ["baby", "bird", "butterfly", "head", "woman"]
    assert result["psnr"] == pytest.approx(paper_cell("table5", method="Bicubic", scale=4, dataset="Set5",
                                                      column="psnr"), abs=0.02)


def test_evaluate_csv_and_table_formats(data_root):
    proc = _run(["evaluate", "bicubic", "--dataset", "Set5", "--scale", "2", "--format", "csv", "--quiet"], data_root)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == "method,dataset,scale,image,psnr,ssim" and len(lines) == 7 and ",MEAN," in lines[-1]
    proc = _run(["evaluate", "bicubic", "--dataset", "Set5", "--scale", "2", "--quiet"], data_root)
    assert "mean" in proc.stdout and "butterfly" in proc.stdout


def test_missing_dataset_is_a_clean_error(tmp_path):
    proc = _run(["evaluate", "bicubic", "--dataset", "Manga109", "--scale", "2", "--quiet"], tmp_path)
    assert proc.returncode == 1
    assert "Manga109 is missing" in proc.stderr and "Traceback" not in proc.stderr
