"""Which torch device to run on, and a human description of it (for provenance records)."""
from __future__ import annotations

import contextlib
import platform

import torch

from .errors import InvalidValueError

__all__ = ["resolve_device", "describe_device"]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``'auto'`` -> CUDA when available, else CPU; otherwise ``torch.device(device)``.

    Raises:
        InvalidValueError: an unknown device string, or CUDA asked for where there is none.
    """
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError, TypeError) as err:
        raise InvalidValueError(f"unknown device {str(device)!r}; use auto, cpu, cuda or cuda:N") from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InvalidValueError("device 'cuda' requested but CUDA is not available; use cpu or auto")
    return dev


def _cpu_name() -> str:
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "CPU"


def describe_device(device: str | torch.device) -> str:
    """A human description of ``device``, e.g. 'NVIDIA H100 80GB HBM3 (CUDA 12.4, 79 GiB)' or
    'AMD EPYC 7B13 (2 threads, torch 2.4.0)'."""
    dev = resolve_device(device)
    if dev.type == "cuda":
        idx = dev.index if dev.index is not None else torch.cuda.current_device()
        props = torch.cuda.get_device_properties(idx)
        return f"{props.name} (CUDA {torch.version.cuda}, {props.total_memory / 2**30:.0f} GiB)"
    return f"{_cpu_name()} ({torch.get_num_threads()} threads, torch {torch.__version__})"
