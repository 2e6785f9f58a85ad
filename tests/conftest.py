"""Shared fixtures.

Tests that need the real datasets use the ``data_root`` fixture: it points at
``$SRLIB_DATA_DIR`` (CI sets it to ``../shared/data``). Where the data is absent the test is
skipped with the reason, unless ``SRLIB_REQUIRE_DATA=1`` (set by ``.ci/run``), which turns the
skip into a failure so CI can never pass by silently skipping the protocol tests.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _real_data_root() -> Path:
    env = os.environ.get("SRLIB_DATA_DIR")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_root() -> Path:
    root = _real_data_root()
    if not (root / "benchmark" / "Set5" / "HR").is_dir():
        message = f"real datasets not found under {root} (set SRLIB_DATA_DIR)"
        if os.environ.get("SRLIB_REQUIRE_DATA") == "1":
            pytest.fail(message + "; SRLIB_REQUIRE_DATA=1 forbids skipping")
        pytest.skip(message)
    return root


def assert_stored_set5_score(folder: Path, data_root: Path) -> None:
    """A committed result folder's fp16 weights, evaluated on Set5 now, give the PSNR / SSIM its
    ``metrics.json`` stores (within 0.01 dB / 0.0005)."""
    import json

    from srlib.evaluation import evaluate
    from srlib.inference import load_upscaler

    metrics = json.loads((folder / "metrics.json").read_text())
    scale = int(metrics["scale"])
    up, name = load_upscaler(folder / "weights_fp16.safetensors", scale=scale, device="cpu")
    res = evaluate(up, "Set5", scale, method=name, root=data_root, progress=False)
    assert abs(res.psnr - metrics["results"]["Set5"]["psnr"]) <= 0.01
    assert abs(res.ssim - metrics["results"]["Set5"]["ssim"]) <= 0.0005
