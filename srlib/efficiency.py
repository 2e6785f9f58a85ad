"""Table VI on this device: parameters, forward FLOPs, peak memory and latency of every model x
scale, within a per-profile compute budget (:data:`srlib.profiles.TABLE6_GFLOP_BUDGET`).

The measurements themselves are :mod:`srlib.profiling`'s; this module decides which cells a
profile can afford (:func:`forward_flops`, counted on the meta device) and gathers the table.
The command line's ``profile`` table is :func:`profile_table` (:func:`format_table` prints it).
Table VI keeps what it measured (:func:`keep_measured`) so that the claims chapter reads its
cascades' cells instead of timing them a second time (:func:`stored_or_measured`).
"""
from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd
import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

from .device import describe_device, resolve_device
from .models import build_model
from .models.parameters import count_parameters, model_input_channels
from .paper import load_paper_table
from .profiling import PAPER_NAMES, TABLE6_MODELS, profile_model, resolve_model_name

__all__ = ["forward_flops", "COLUMNS", "profile_table", "attach_paper_columns", "format_table", "TABLE6_MEASURED", "efficiency_table", "keep_measured",
           "stored_or_measured"]


def forward_flops(name: str, scale: int, size: int = 48) -> float:
    """Floating-point operations of one forward pass of registered model ``name`` at ``scale``
    for a ``size x size`` LR input (the HR-size input for pre-upsampling models), counted with
    ``torch.utils.flop_counter`` on the meta device: no memory, no compute, about a second.
    Used to decide which Table VI cells fit a profile's time budget before running them."""
    with torch.device("meta"):
        model = build_model(resolve_model_name(name), scale=scale)
    side = size * scale if getattr(model, "pre_upsample", False) else size
    x = torch.empty(1, model_input_channels(model), side, side, device="meta")
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(x)
    return float(counter.get_total_flops())


def efficiency_table(models: Sequence[str], scales: Sequence[int], *, size: int = 48, device: str = "auto",
                     max_gflops: float = 0.0, repeats: int = 3, warmup: int = 1,
                     max_seconds: float | None = 5.0) -> pd.DataFrame:
    """Table VI on this device: for every model x scale the exact parameter count, the forward
    FLOPs (:func:`forward_flops`) and, where the pass is at most ``max_gflops`` (0 = all),
    peak memory and median latency measured by :func:`srlib.profiling.profile_model`.

    Cells over the budget keep their parameter count and get ``status = 'not measured: N GFLOP
    per pass exceeds this profile's budget'``.
    """
    dev = resolve_device(device)
    rows = []
    for name in models:
        key = resolve_model_name(name)
        for s in scales:
            with torch.device("meta"):
                params = count_parameters(build_model(key, scale=s))
            flops = forward_flops(key, s, size)
            row = {"method": PAPER_NAMES.get(key, key), "model": key, "scale": int(s), "params_k": params / 1000,
                   "gflops": flops / 1e9, "peak_mb": math.nan, "time_ms": math.nan, "time_iqr_ms": math.nan,
                   "repeats": 0, "device": describe_device(dev), "status": "ok"}
            if max_gflops and flops / 1e9 > max_gflops:
                row["status"] = (f"not measured: {flops / 1e9:.0f} GFLOP per pass exceeds this profile's "
                                 f"budget of {max_gflops:.0f}")
            else:
                r = profile_model(key, s, size=size, device=dev, repeats=repeats, warmup=warmup,
                                  max_seconds=max_seconds)
                row.update(peak_mb=r["peak_mb"], time_ms=r["time_ms"], time_iqr_ms=r["time_iqr_ms"],
                           repeats=r["repeats"], status=r["status"], mem_method=r["mem_method"])
            rows.append(row)
    return pd.DataFrame(rows)


#: Where Table VI's notebook keeps the table it measured (relative to the working directory).
TABLE6_MEASURED = Path("runs/cache/table6_efficiency.csv")


def keep_measured(table: pd.DataFrame, path: str | Path = TABLE6_MEASURED) -> Path:
    """Write an :func:`efficiency_table` to ``path`` (CSV, replaced atomically); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    table.to_csv(tmp, index=False)
    os.replace(tmp, path)
    return path


def stored_or_measured(models: Sequence[str], scale: int, *, stored: str | Path = TABLE6_MEASURED,
                       device: str = "auto", **measure) -> tuple[pd.DataFrame, str]:
    """The :func:`efficiency_table` rows of ``models`` at ``scale``: read from ``stored`` (a table
    :func:`keep_measured` wrote, Table VI's) when it has every one of them measured on this
    device, else measured now with ``measure`` (``repeats``, ``warmup``, ...).

    Returns ``(rows, source)``: ``source`` says where the rows come from (the file and when it
    was written, or that they were measured now)."""
    stored, keys = Path(stored), [resolve_model_name(m) for m in models]
    here = describe_device(resolve_device(device))
    if stored.is_file():
        table = pd.read_csv(stored)
        rows = table[table.model.isin(keys) & (table.scale == int(scale)) & (table.status == "ok")
                     & (table.device == here)]
        if sorted(rows.model) == sorted(keys):
            written = pd.Timestamp(stored.stat().st_mtime, unit="s", tz="UTC").strftime("%Y-%m-%d %H:%M UTC")
            return rows.reset_index(drop=True), f"measured by Table VI ({stored}, written {written})"
    return efficiency_table(models, [scale], device=device, **measure), "measured now"


# ---------------------------------------------------------------------------------------- profile tables
#: Columns of :func:`profile_table` (one :func:`srlib.profiling.profile_model` row each).
COLUMNS = ["method", "model", "scale", "status", "params", "params_k", "pre_upsample", "input_shape",
           "output_shape", "dtype", "channels_last", "peak_mb", "activation_mb", "reserved_mb",
           "mem_method", "gmacs", "time_ms", "time_iqr_ms", "time_min_ms", "first_ms", "repeats", "warmup", "device",
           "device_name"]


def _expand_models(models: str | Iterable[str]) -> list[str]:
    if isinstance(models, str):
        models = [models]
    names: list[str] = []
    for m in models:
        names.extend(TABLE6_MODELS if m.lower() == "all" else [resolve_model_name(m)])
    return names


def profile_table(models: str | Iterable[str | nn.Module] = "all", scales: Sequence[int] = (2, 4, 8),
                  size: int = 48, device: str | torch.device = "auto", repeats: int = 10, warmup: int = 2,
                  bf16: bool = False, channels_last: bool = False, max_seconds: float | None = None,
                  memory: str = "auto", progress: bool = True) -> pd.DataFrame:
    """Profile every model at every scale; one row per (model, scale) with the device named.

    ``models``: 'all' (Table VI's methods + EDSR), or registry / paper names. Each model is built
    anew at each scale (so CSRCNN gets its scale's depth and EDSR/RRDB/D-DBPN their x-specific
    upsamplers). Columns: see :data:`COLUMNS`; ``method`` is the paper's spelling.
    """
    from tqdm.auto import tqdm

    dev = resolve_device(device)
    names = _expand_models(models) if not isinstance(models, nn.Module) else [models]
    jobs = [(m, s) for m in names for s in scales]
    rows = []
    with tqdm(jobs, desc="profile", disable=not progress, file=sys.stderr) as bar:
        for m, s in bar:
            bar.set_postfix_str(f"{m if isinstance(m, str) else type(m).__name__} x{s}")
            row = profile_model(m, s, size=size, device=dev, repeats=repeats, warmup=warmup, bf16=bf16,
                                channels_last=channels_last, max_seconds=max_seconds, memory=memory)
            row["method"] = PAPER_NAMES.get(row["model"], row["model"])
            rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def attach_paper_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Add the paper's Table VI values (paper_params_k, paper_gpu_mb, paper_time_ms) by method/scale."""
    paper = load_paper_table("table6").rename(
        columns={"params_k": "paper_params_k", "gpu_mb": "paper_gpu_mb", "time_ms": "paper_time_ms"})
    return df.merge(paper, on=["method", "scale"], how="left")


#: The key columns of :func:`format_table`'s ``'table'`` view (the CLI's ``profile`` command).
TABLE_COLUMNS = ["method", "scale", "status", "params_k", "input_shape", "gmacs", "peak_mb", "activation_mb",
                 "time_ms", "time_iqr_ms", "time_min_ms", "first_ms", "repeats"]


def format_table(df: pd.DataFrame, fmt: str) -> str:
    """``df`` as 'csv' (all columns), 'json' (records, all columns) or 'table' (the key columns)."""
    if fmt == "csv":
        return df.to_csv(index=False).rstrip("\n")
    if fmt == "json":
        return json.dumps(json.loads(df.to_json(orient="records")), indent=2)
    if fmt == "table":
        cols = TABLE_COLUMNS + [c for c in ("paper_params_k", "paper_gpu_mb", "paper_time_ms") if c in df]
        view = df[cols].copy()
        for c in ("params_k", "gmacs", "peak_mb", "activation_mb", "time_ms", "time_iqr_ms", "time_min_ms",
                  "first_ms"):
            view[c] = view[c].map(lambda v: "" if pd.isna(v) else f"{v:.3f}" if c.endswith("_ms") else f"{v:.1f}")
        return view.to_string(index=False)
    raise ValueError(f"unknown format {fmt!r}")
