"""Efficiency harness: parameters, peak memory and latency of one forward pass (Table VI).

The paper's Table VI reports, for a 48x48 LR input at x2/x4/x8, each method's parameters,
GPU memory and running time. This module *measures* them for every registered model:

* :func:`count_parameters` -- parameters of a module (all of them, or convolution weights only,
  the convention of some papers, e.g. FSRCNN's "12K"); defined in :mod:`srlib.models.parameters`,
  like ``resolve_device`` / ``describe_device`` (:mod:`srlib.device`) re-exported here.
* :func:`profile_model` -- one model at one scale: parameters, peak memory of the forward pass,
  median latency (+ IQR) over repeated forward passes, the device, the input shape.
* :func:`srlib.efficiency.profile_table` -- many models x scales as a :class:`pandas.DataFrame`.
* the ``profile`` sub-command of ``python -m srlib`` is :mod:`srlib.cli.profile`.

What is measured
----------------
Every pass runs under ``torch.inference_mode()`` with ``model.eval()``, batch 1. Input: uniform
noise in [0, 1]; LR-input models get ``size x size``; pre-upsampling models (SRCNN, VDSR, DRCN,
DRRN: class attribute ``pre_upsample = True``) get the bicubic-upsampled size
``size*scale x size*scale``, so their cost grows with the scale as in the paper (the bicubic
interpolation itself is not timed). Models whose forward returns a list or tuple (CSRCNN: one
image per x2 level) are timed for the whole forward; the last element is the output.

Passes, in order: ``warmup`` untimed warm-up passes (fewer if they already took ``max_seconds``),
one untimed memory pass, then the timed passes.

Memory (``peak_mb``, ``activation_mb``), measured on the dedicated memory pass:

* CUDA (``mem_method='cuda-allocator'``): ``torch.cuda.max_memory_allocated`` over the pass
  after ``reset_peak_memory_stats``: ``peak_mb`` = everything PyTorch's allocator held at the
  peak (weights, input, activations, output, cuDNN workspaces); ``activation_mb`` = peak minus
  what was allocated before the pass (weights + input). ``reserved_mb`` adds the caching
  allocator's reserve. Neither includes the CUDA context (~300-500 MB), which tools such as
  ``nvidia-smi`` -- and apparently the paper (SRCNN, 57K parameters: 571 MB) -- include.
* CPU, ``mem_method='rss'`` (Linux; the default there): the process's resident memory. Before
  the pass, free heap memory is returned to the OS (glibc ``malloc_trim``) and the kernel's
  high-water mark is reset (``/proc/self/clear_refs`` <- 5); after it, ``VmHWM - VmRSS_before``
  is the forward pass's real extra memory (activations, output, oneDNN scratch, allocator
  overhead): ``activation_mb``; ``peak_mb`` = that + the bytes of the weights, buffers and input.
  (``tracemalloc`` does not see tensor memory and the profiler's per-op numbers do not give a
  peak, hence this.)
* CPU, ``mem_method='tensors'`` (fallback where ``/proc`` is unavailable, or on request): a
  ``TorchDispatchMode`` tracks the storages of every operator's outputs while they are alive;
  its peak is ``activation_mb`` (intra-operator scratch is not seen). Deterministic, and close
  to what the CUDA allocator would count.

Latency (``time_ms`` = median, ``time_iqr_ms`` = 75th - 25th percentile, ``time_min_ms``): after
``warmup`` untimed passes, ``repeats`` timed passes (stopping early once ``max_seconds`` of timed
runs have accumulated, but at least one; ``repeats=0`` times nothing); CUDA with CUDA events
around each pass, CPU with ``time.perf_counter``. ``first_ms`` is the wall-clock time of the
very first pass (one-time costs included), a fallback where timed passes are too expensive
(``repeats=0``). ``gmacs``: multiply-accumulates of all convolutions of one pass (1e9), counted
by forward hooks during the memory pass; a machine-independent cost measure.

A model that does not fit (CUDA out-of-memory, a CPU allocation failure, ``MemoryError``) gives
a row with ``status == 'out of memory'`` instead of an exception.
"""
from __future__ import annotations

import contextlib
import ctypes
import gc
import math
import os
import time
from typing import Any

import numpy as np
import torch
import torch.nn as nn

from .device import describe_device, resolve_device
from .models.parameters import count_parameters, model_input_channels

#: The methods of Table VI in the paper's order, then EDSR (Figure 10); registry names.
TABLE6_MODELS = ("srcnn", "drrn", "drcn", "fsrcnn", "vdsr", "lapsrn", "rrdb", "dbpn", "csrcnn", "edsr")

#: Registry name -> the paper's spelling (Table VI / Figure 10).
PAPER_NAMES = {
    "srcnn": "SRCNN", "drrn": "DRRN", "drcn": "DRCN", "fsrcnn": "FSRCNN", "vdsr": "VDSR",
    "lapsrn": "LapSRN", "rrdb": "RRDB", "dbpn": "D-DBPN", "csrcnn": "CSRCNN", "edsr": "EDSR",
    "csrcnn-symmetric": "CSRCNN symmetric",  # Sec. IV-C's 4-4-4 cascade (Table II's Model1 family)
}
_ALIASES = {v.lower(): k for k, v in PAPER_NAMES.items()} | {"ddbpn": "dbpn", "d_dbpn": "dbpn", "esrgan": "rrdb"}

OOM_STATUS = "out of memory"
_MB = 2 ** 20


# --------------------------------------------------------------------------------------------
# parameters and small helpers
# --------------------------------------------------------------------------------------------
def resolve_model_name(name: str) -> str:
    """Registry name for ``name`` (case-insensitive; the paper's spellings such as 'D-DBPN' work)."""
    key = name.lower()
    return _ALIASES.get(key, key)


def _final_output(out: Any) -> torch.Tensor:
    while isinstance(out, (list, tuple)):
        out = out[-1]
    return out


def is_out_of_memory(exc: BaseException) -> bool:
    """True for CUDA OOM, CPU allocation failures and ``MemoryError``."""
    if isinstance(exc, MemoryError):
        return True
    oom_type = getattr(torch.cuda, "OutOfMemoryError", None)
    if oom_type is not None and isinstance(exc, oom_type):
        return True
    if isinstance(exc, RuntimeError):
        msg = str(exc).lower()
        return any(s in msg for s in ("out of memory", "can't allocate memory", "not enough memory",
                                      "failed to allocate"))
    return False


@contextlib.contextmanager
def count_macs(model: nn.Module):
    """Context manager yielding a one-element list that accumulates the multiply-accumulates of
    every Conv2d / ConvTranspose2d / Linear call of ``model`` inside the block (bias and
    activations ignored)."""
    total = [0]

    def hook(module: nn.Module, inputs, output) -> None:
        if isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1]
            total[0] += output.numel() * (module.in_channels // module.groups) * k
        elif isinstance(module, nn.ConvTranspose2d):
            k = module.kernel_size[0] * module.kernel_size[1]
            total[0] += inputs[0].numel() * (module.out_channels // module.groups) * k
        elif isinstance(module, nn.Linear):
            total[0] += output.numel() * module.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]
    try:
        yield total
    finally:
        for h in handles:
            h.remove()


def _tensor_bytes(model: nn.Module) -> int:
    seen: set[int] = set()
    total = 0
    for t in list(model.parameters()) + list(model.buffers()):
        if t.data_ptr() not in seen:
            seen.add(t.data_ptr())
            total += t.numel() * t.element_size()
    return total


# --------------------------------------------------------------------------------------------
# memory measurement
# --------------------------------------------------------------------------------------------
def _proc_status_kb(*keys: str) -> dict[str, int]:
    values: dict[str, int] = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in keys:
                values[key] = int(rest.split()[0])
    return values


def _rss_supported() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return len(_proc_status_kb("VmHWM", "VmRSS")) == 2
    except OSError:
        return False


def _malloc_trim() -> None:
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _rss_forward_bytes(run) -> tuple[Any, int]:
    """Run ``run()``; return its result and the increase of the process's peak RSS it caused."""
    _malloc_trim()
    before = _proc_status_kb("VmRSS")["VmRSS"]
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to the current RSS
    out = run()
    peak = _proc_status_kb("VmHWM")["VmHWM"]
    return out, max(peak - before, 0) * 1024


def _tensors_forward_bytes(run) -> tuple[Any, int]:
    """Run ``run()`` while tracking the live storages of all operator outputs; return the peak bytes."""
    from torch.multiprocessing.reductions import StorageWeakRef
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_leaves

    class Tracker(TorchDispatchMode):
        def __init__(self) -> None:
            super().__init__()
            self.live: dict[int, tuple[StorageWeakRef, int]] = {}
            self.current = 0
            self.peak = 0

        def _sweep(self) -> None:
            for key in [k for k, (ref, _) in self.live.items() if ref.expired()]:
                self.current -= self.live.pop(key)[1]

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            self._sweep()
            for t in tree_leaves(out):
                if isinstance(t, torch.Tensor):
                    storage = t.untyped_storage()
                    key, nbytes = storage.data_ptr(), storage.nbytes()
                    if nbytes and key not in self.live:
                        self.live[key] = (StorageWeakRef(storage), nbytes)
                        self.current += nbytes
            self.peak = max(self.peak, self.current)
            return out

    tracker = Tracker()
    with tracker:
        out = run()
    return out, tracker.peak


# --------------------------------------------------------------------------------------------
# profiling
# --------------------------------------------------------------------------------------------
def _build(model_or_name: nn.Module | str, scale: int, in_channels: int | None) -> tuple[nn.Module, str]:
    if isinstance(model_or_name, nn.Module):
        return model_or_name, type(model_or_name).__name__
    from .models import build_model

    name = resolve_model_name(model_or_name)
    kwargs = {"scale": scale}
    if in_channels is not None:
        kwargs["in_channels"] = in_channels
    return build_model(name, **kwargs), name


def profile_model(model_or_name: nn.Module | str, scale: int, size: int = 48, device: str | torch.device = "cpu",
                  repeats: int = 10, warmup: int = 2, bf16: bool = False, channels_last: bool = False,
                  in_channels: int | None = None, max_seconds: float | None = None,
                  memory: str = "auto") -> dict[str, Any]:
    """Profile one forward pass of a model at one scale (see the module docstring for what is measured).

    Args:
        model_or_name: a registered model name (built with ``scale=scale``) or a module.
        scale: upscaling factor; pre-upsampling models get a ``size*scale`` input.
        size: LR input side (the paper: 48).
        device: 'cpu', 'cuda', 'cuda:1' or 'auto'.
        repeats: timed passes (at most; see ``max_seconds``; 0: none). warmup: untimed passes before
            the memory pass (at most; see ``max_seconds``).
        bf16: run weights and input in bfloat16. channels_last: NHWC memory format.
        in_channels: image channels of the input (default: the model's own). A module passed
            in is moved to ``device`` / bf16 / channels-last in place.
        max_seconds: stop warming up / timing once that phase has taken this long (>= 1 timed pass).
        memory: 'auto' | 'rss' | 'tensors' for CPU (CUDA always uses the allocator statistics).

    Returns a dict: model, scale, status ('ok' or 'out of memory'), params, params_k,
    pre_upsample, input_shape, output_shape, dtype, channels_last, peak_mb, activation_mb,
    reserved_mb (CUDA), mem_method, gmacs (multiply-accumulates of the convolutions, 1e9),
    time_ms (median), time_iqr_ms, time_min_ms, first_ms (the very first pass, wall clock),
    repeats / warmup (passes actually run), device, device_name.
    """
    dev = resolve_device(device)
    dtype = torch.bfloat16 if bf16 else torch.float32
    model, name = _build(model_or_name, scale, in_channels)
    model.eval()
    pre_upsample = bool(getattr(model, "pre_upsample", False))
    channels = in_channels if in_channels is not None else model_input_channels(model)
    side = size * scale if pre_upsample else size
    shape = (1, channels, side, side)
    row: dict[str, Any] = {
        "model": name, "scale": scale, "status": "ok", "params": count_parameters(model),
        "pre_upsample": pre_upsample, "input_shape": "x".join(map(str, shape)), "output_shape": "",
        "dtype": str(dtype).replace("torch.", ""), "channels_last": channels_last,
        "peak_mb": math.nan, "activation_mb": math.nan, "reserved_mb": math.nan, "mem_method": "",
        "gmacs": math.nan, "time_ms": math.nan, "time_iqr_ms": math.nan, "time_min_ms": math.nan,
        "first_ms": math.nan, "repeats": 0,
        "warmup": 0, "device": dev.type, "device_name": describe_device(dev),
    }
    row["params_k"] = row["params"] / 1000
    if dev.type == "cuda":
        mem_method = "cuda-allocator"
    elif memory == "auto":
        mem_method = "rss" if _rss_supported() else "tensors"
    elif memory in ("rss", "tensors"):
        mem_method = memory
    else:
        raise ValueError(f"memory must be 'auto', 'rss' or 'tensors', got {memory!r}")
    row["mem_method"] = mem_method

    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    x = None
    try:
        model.to(device=dev, dtype=dtype, memory_format=memory_format)
        gen = torch.Generator().manual_seed(0)
        x = torch.rand(shape, generator=gen).to(device=dev, dtype=dtype).contiguous(memory_format=memory_format)

        def run() -> torch.Tensor:
            return _final_output(model(x))

        with torch.inference_mode():
            # 1) warm-up (stops early once it took max_seconds)
            first_ms = None
            warm_ms = 0.0
            for _ in range(warmup):
                t0 = time.perf_counter()
                run()
                if dev.type == "cuda":
                    torch.cuda.synchronize(dev)
                dt = (time.perf_counter() - t0) * 1000
                first_ms = dt if first_ms is None else first_ms
                warm_ms += dt
                row["warmup"] += 1
                if max_seconds is not None and warm_ms / 1000 >= max_seconds:
                    break
            # 2) memory pass (untimed; convolution MACs are counted here too)
            with count_macs(model) as macs:
                if dev.type == "cuda":
                    torch.cuda.synchronize(dev)
                    gc.collect()
                    torch.cuda.empty_cache()
                    base = torch.cuda.memory_allocated(dev)
                    torch.cuda.reset_peak_memory_stats(dev)
                    t0 = time.perf_counter()
                    out = run()
                    torch.cuda.synchronize(dev)
                    dt = (time.perf_counter() - t0) * 1000
                    peak = torch.cuda.max_memory_allocated(dev)
                    row["peak_mb"] = peak / _MB
                    row["activation_mb"] = (peak - base) / _MB
                    row["reserved_mb"] = torch.cuda.max_memory_reserved(dev) / _MB
                else:
                    measure = _rss_forward_bytes if mem_method == "rss" else _tensors_forward_bytes
                    t0 = time.perf_counter()
                    out, extra = measure(run)
                    dt = (time.perf_counter() - t0) * 1000
                    row["activation_mb"] = extra / _MB
                    row["peak_mb"] = (extra + _tensor_bytes(model) + x.numel() * x.element_size()) / _MB
            row["gmacs"] = macs[0] / 1e9
            row["first_ms"] = first_ms if first_ms is not None else dt
            row["output_shape"] = "x".join(map(str, out.shape))
            del out
            # 3) timed passes
            times: list[float] = []
            if dev.type == "cuda":
                torch.cuda.synchronize(dev)
                for _ in range(repeats):
                    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                    start.record()
                    run()
                    end.record()
                    end.synchronize()
                    times.append(start.elapsed_time(end))
                    if max_seconds is not None and sum(times) / 1000 >= max_seconds:
                        break
            else:
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    run()
                    times.append((time.perf_counter() - t0) * 1000)
                    if max_seconds is not None and sum(times) / 1000 >= max_seconds:
                        break
        if times:
            q25, q50, q75 = np.percentile(times, [25, 50, 75])
            row.update(time_ms=float(q50), time_iqr_ms=float(q75 - q25), time_min_ms=float(min(times)),
                       repeats=len(times))
    except Exception as exc:  # noqa: BLE001 -- only out-of-memory is turned into a row
        if not is_out_of_memory(exc):
            raise
        row["status"] = OOM_STATUS
    finally:
        x = None
        if isinstance(model_or_name, str):
            del model
        if dev.type == "cuda":
            gc.collect()
            torch.cuda.empty_cache()
    return row
