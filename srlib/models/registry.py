"""A name -> constructor registry for every architecture in :mod:`srlib.models`.

Each model module registers its constructor with :func:`register_model`; the rest of
``srlib`` (training, evaluation, profiling, the CLI) builds models only through
:func:`build_model`, so adding an architecture never touches those layers.
"""
from __future__ import annotations

from typing import Callable

import torch.nn as nn

from ..errors import InvalidValueError, UnknownNameError

_REGISTRY: dict[str, Callable[..., nn.Module]] = {}


def register_model(name: str) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator: register ``fn(scale=..., **kwargs) -> nn.Module`` under ``name`` (case-insensitive)."""

    def decorator(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        key = name.lower()
        if key in _REGISTRY and _REGISTRY[key] is not fn:
            raise ValueError(f"model name {name!r} is registered twice")
        _REGISTRY[key] = fn
        return fn

    return decorator


def build_model(name: str, **kwargs) -> nn.Module:
    """Build the registered model ``name`` with keyword arguments (e.g. ``scale=4``).

    Raises :class:`~srlib.errors.UnknownNameError` (a ``KeyError``) for an unknown name and
    :class:`~srlib.errors.InvalidValueError` (a ``ValueError``) for an option it does not take."""
    key = name.lower()
    if key not in _REGISTRY:
        raise UnknownNameError(f"unknown model {name!r}; registered models: {', '.join(sorted(_REGISTRY))}")
    try:
        return _REGISTRY[key](**kwargs)
    except TypeError as err:  # an option the architecture does not have
        raise InvalidValueError(f"model {name!r} cannot be built with {kwargs}: {err}") from err


def list_models() -> list[str]:
    """Names of all registered models, sorted."""
    return sorted(_REGISTRY)
