"""The paper's protocol reproduces its own Table V Bicubic rows (12 cells).

Paper values come from data/paper/table5_benchmarks.csv (the paper's numbers); ours are
computed here from the HR images with srlib's MATLAB bicubic and metrics.
"""
from __future__ import annotations

import pytest

from srlib.evaluation import bicubic_upscaler, evaluate
from srlib.paper import paper_cell

PSNR_TOL, SSIM_TOL = 0.02, 0.001
CELLS = [(d, s) for d in ("Set5", "Set14", "B100", "Urban100") for s in (2, 4, 8)]


@pytest.mark.data
@pytest.mark.parametrize("dataset,scale", [pytest.param(d, s, marks=[pytest.mark.slow] if d == "Urban100" else [])
                                           for d, s in CELLS])
def test_bicubic_row_of_table_v(data_root, dataset, scale):
    result = evaluate(bicubic_upscaler, dataset, scale, root=data_root, progress=False)
    expected_images = {"Set5": 5, "Set14": 14, "B100": 100, "Urban100": 100}[dataset]
    assert len(result.images) == expected_images
    paper_psnr = paper_cell("table5", method="Bicubic", scale=scale, dataset=dataset, column="psnr")
    paper_ssim = paper_cell("table5", method="Bicubic", scale=scale, dataset=dataset, column="ssim")
    assert abs(result.psnr - paper_psnr) <= PSNR_TOL, f"PSNR {result.psnr:.4f} vs paper {paper_psnr}"
    assert abs(result.ssim - paper_ssim) <= SSIM_TOL, f"SSIM {result.ssim:.5f} vs paper {paper_ssim}"


@pytest.mark.data
def test_the_protocol_choices_matter(data_root):
    """Guard against a protocol that passes by luck: BasicSR's 'valid' SSIM does NOT reproduce x8."""
    matlab = evaluate(bicubic_upscaler, "Set14", 8, root=data_root, progress=False)
    valid = evaluate(bicubic_upscaler, "Set14", 8, root=data_root, progress=False, ssim_window="valid")
    assert valid.ssim < matlab.ssim - 0.001
