"""Architectures: CSRCNN, its ablation variants and the peer models of Table VI.

Every module in this package registers its models in :mod:`srlib.models.registry` on import;
importing :mod:`srlib.models` imports them all. Models import no data or training code.
"""
from __future__ import annotations

import importlib
import pkgutil

from .parameters import count_parameters
from .registry import build_model, list_models, register_model

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_") and _module.name not in ("registry", "parameters", "csrcnn_config"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["build_model", "list_models", "register_model", "count_parameters"]
