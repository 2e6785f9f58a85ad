"""The efficiency harness (srlib.profiling) on tiny models and inputs."""
from __future__ import annotations

import argparse
import io
import json

import pandas as pd
import pytest

from srlib.cli import profile as profile_cli
import torch
import torch.nn as nn

from srlib import profiling
from srlib.models import list_models
from srlib import efficiency
from srlib.efficiency import profile_table
from srlib.profiling import OOM_STATUS, count_parameters, describe_device, is_out_of_memory, profile_model

FAST = dict(size=8, repeats=2, warmup=1, device="cpu")


class Raises(nn.Module):
    """A model whose forward raises ``exc`` (to simulate running out of memory)."""

    in_channels = 3

    def __init__(self, exc: BaseException):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)
        self.exc = exc

    def forward(self, x):
        raise self.exc


class Pyramid(nn.Module):
    """Returns a list of images, like CSRCNN (one per x2 level)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        x2 = nn.functional.interpolate(self.conv(x), scale_factor=2)
        return [x2, nn.functional.interpolate(x2, scale_factor=2)]


class BigIntermediate(nn.Module):
    """Creates a 16 MiB intermediate (1 x 1024 x 64 x 64 float32) and reduces it."""

    in_channels = 1

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return x.repeat(1, 1024, 1, 1).mul_(self.w).sum(dim=1, keepdim=True)


def test_count_parameters():
    conv = nn.Conv2d(1, 2, 3)
    assert count_parameters(conv) == 20
    assert count_parameters(conv, weights_only=True) == 18
    shared = nn.Sequential(conv, nn.PReLU(), conv)  # shared weights count once
    assert count_parameters(shared) == 21


def test_profile_model_by_name():
    row = profile_model("fsrcnn", 2, **FAST)
    assert row["status"] == "ok" and row["model"] == "fsrcnn"
    assert row["params"] == 12_809 and row["params_k"] == pytest.approx(12.809)
    assert row["input_shape"] == "1x1x8x8" and row["output_shape"] == "1x1x16x16"
    assert row["time_ms"] > 0 and row["time_iqr_ms"] >= 0 and row["time_min_ms"] <= row["time_ms"]
    assert row["repeats"] == 2 and row["warmup"] == 1 and row["first_ms"] > 0
    assert row["peak_mb"] > row["activation_mb"] >= 0
    assert row["device"] == "cpu" and row["device_name"]
    # MACs: 8x8 LR convs + the 9x9 deconvolution (input elements x out channels x 81)
    d, s, m, hw = 56, 12, 4, 64
    macs = hw * (25 * d + d * s + 9 * m * s * s + s * d) + hw * d * 81
    assert row["gmacs"] * 1e9 == pytest.approx(macs)


def test_pre_upsampling_models_get_hr_input():
    row = profile_model("srcnn", 4, **FAST)
    assert row["pre_upsample"] and row["input_shape"] == "1x1x32x32" and row["output_shape"] == "1x1x32x32"
    row = profile_model("lapsrn", 4, size=4, repeats=1, warmup=0, device="cpu")
    assert not row["pre_upsample"] and row["input_shape"] == "1x3x4x4" and row["output_shape"] == "1x3x16x16"


def test_list_output_takes_last_element_and_module_input():
    row = profile_model(Pyramid(), 4, **FAST)
    assert row["model"] == "Pyramid" and row["output_shape"] == "1x3x32x32"
    assert row["input_shape"] == "1x3x8x8"  # in_channels inferred from the first convolution


@pytest.mark.parametrize("memory", ["tensors", "rss"])
def test_memory_sees_intermediates(memory):
    if memory == "rss" and not profiling._rss_supported():
        pytest.skip("/proc/self/clear_refs not available")
    row = profile_model(BigIntermediate(), 1, size=64, repeats=1, warmup=1, device="cpu", memory=memory)
    assert row["mem_method"] == memory
    assert 15.5 <= row["activation_mb"] < 24  # the 16 MiB intermediate (+ small outputs / overhead)


@pytest.mark.parametrize("exc", [
    torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB"),
    RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"),
    RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory"),
    MemoryError(),
])
def test_out_of_memory_becomes_a_row(exc):
    assert is_out_of_memory(exc)
    row = profile_model(Raises(exc), 2, **FAST)
    assert row["status"] == OOM_STATUS
    assert row["params"] == 12 and pd.isna(row["time_ms"]) and pd.isna(row["peak_mb"])


def test_other_errors_propagate():
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
    with pytest.raises(RuntimeError, match="shape mismatch"):
        profile_model(Raises(RuntimeError("shape mismatch")), 2, **FAST)


def test_out_of_memory_row_in_table(monkeypatch):
    from srlib import models

    real = models.build_model

    def fake_build(name, **kwargs):
        if name == "srcnn":
            return Raises(torch.cuda.OutOfMemoryError("out of memory"))
        return real(name, **kwargs)

    monkeypatch.setattr(models, "build_model", fake_build)
    df = profile_table(["srcnn", "fsrcnn"], [2], progress=False, **FAST)
    assert list(df["status"]) == [OOM_STATUS, "ok"]


def test_flags_bf16_channels_last_max_seconds():
    row = profile_model("fsrcnn", 2, size=8, repeats=5, warmup=3, device="cpu", bf16=True,
                        channels_last=True, max_seconds=0)
    assert row["status"] == "ok" and row["dtype"] == "bfloat16" and row["channels_last"]
    assert row["repeats"] == 1 and row["warmup"] == 1  # max_seconds=0: one pass per phase
    row = profile_model("fsrcnn", 2, size=8, repeats=0, warmup=0, device="cpu")
    assert row["repeats"] == 0 and pd.isna(row["time_ms"]) and row["first_ms"] > 0


def test_profile_table():
    df = profile_table(["FSRCNN", "srcnn"], [2, 4], progress=False, **FAST)
    assert list(df["model"]) == ["fsrcnn", "fsrcnn", "srcnn", "srcnn"]
    assert list(df["method"]) == ["FSRCNN", "FSRCNN", "SRCNN", "SRCNN"]
    assert list(df["scale"]) == [2, 4, 2, 4]
    assert (df["status"] == "ok").all() and (df["device"] == "cpu").all()
    assert df["device_name"].nunique() == 1 and df["device_name"].iloc[0] == describe_device("cpu")
    assert list(df.columns) == efficiency.COLUMNS


def test_all_expands_to_registered_models():
    names = efficiency._expand_models("all")
    assert names == list(profiling.TABLE6_MODELS)
    assert set(names) <= set(list_models())
    assert profiling.resolve_model_name("D-DBPN") == "dbpn"


def _run_cli(argv, capsys):
    parser = argparse.ArgumentParser(prog="srlib")
    profile_cli.add_cli_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code = args.func(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


CLI = ["profile", "--models", "fsrcnn", "srcnn", "--scales", "2", "4", "--size", "8", "--repeats", "1",
       "--warmup", "0", "--device", "cpu", "--quiet"]


def test_cli_csv(capsys, tmp_path):
    out_file = tmp_path / "t.csv"
    code, out, err = _run_cli(CLI + ["--format", "csv", "--output", str(out_file)], capsys)
    assert code == 0
    df = pd.read_csv(io.StringIO(out))
    assert len(df) == 4 and list(df.columns) == efficiency.COLUMNS
    assert set(df["method"]) == {"FSRCNN", "SRCNN"} and (df["status"] == "ok").all()
    assert "device:" in err and "device:" not in out  # stdout stays machine-readable
    assert pd.read_csv(out_file).equals(df)


def test_cli_json_and_paper_columns(capsys):
    code, out, err = _run_cli(CLI + ["--format", "json", "--paper"], capsys)
    assert code == 0
    records = json.loads(out)
    assert len(records) == 4
    fsrcnn_x2 = next(r for r in records if r["model"] == "fsrcnn" and r["scale"] == 2)
    assert fsrcnn_x2["paper_params_k"] == 12 and fsrcnn_x2["paper_time_ms"] == pytest.approx(1.036)


def test_cli_table(capsys):
    code, out, _ = _run_cli(CLI + ["--format", "table"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("# device: ") and lines[1].startswith("# LR 8x8")
    assert lines[2].split()[:3] == ["method", "scale", "status"]
    assert len(lines) == 3 + 4


def test_the_claims_chapter_reads_table6_measurements_when_they_cover_its_cells(tmp_path, monkeypatch):
    from srlib import efficiency
    from srlib.device import describe_device, resolve_device

    here = describe_device(resolve_device("cpu"))
    measured_now = pd.DataFrame({"method": ["measured now"]})
    monkeypatch.setattr(efficiency, "efficiency_table", lambda *a, **k: measured_now)
    table = pd.DataFrame({"method": ["CSRCNN", "CSRCNN symmetric", "CSRCNN"],
                          "model": ["csrcnn", "csrcnn-symmetric", "csrcnn"],
                          "scale": [8, 8, 4], "peak_mb": [300.0, 340.0, 90.0], "time_ms": [6.5e3, 6.6e3, 1e3],
                          "device": [here] * 3, "status": ["ok"] * 3, "repeats": [1, 1, 3]})
    stored = efficiency.keep_measured(table, tmp_path / "cache" / "table6.csv")
    rows, source = efficiency.stored_or_measured(["CSRCNN", "CSRCNN symmetric"], 8, stored=stored, device="cpu")
    assert sorted(rows.model) == ["csrcnn", "csrcnn-symmetric"] and "Table VI" in source
    assert rows.set_index("model").loc["csrcnn-symmetric", "peak_mb"] == 340.0
    for broken in (table.assign(status=["ok", "not measured: 193 GFLOP per pass exceeds", "ok"]),  # over the budget
                   table.assign(device="another device")):
        efficiency.keep_measured(broken, stored)
        rows, source = efficiency.stored_or_measured(["CSRCNN", "CSRCNN symmetric"], 8, stored=stored, device="cpu")
        assert rows is measured_now and source == "measured now"
    absent = tmp_path / "absent.csv"
    assert efficiency.stored_or_measured(["CSRCNN"], 8, stored=absent, device="cpu")[1] == "measured now"
