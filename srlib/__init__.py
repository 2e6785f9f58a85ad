"""srlib: the library behind the CSRCNN paper companion.

Layers (dependencies point down only; the README's "Layout and layering", enforced by
``tests/test_layering.py``): ``cli`` -> ``campaign`` / ``book`` (the notebooks' helpers) ->
``training`` -> ``evaluation`` / ``inference`` / ``profiling`` / ``efficiency`` / ``feature_maps``
-> ``models``, ``data``, ``metrics``, ``runfolder`` -> ``matlab`` (MATLAB-compatible imresize),
``colour``, ``device``, ``errors``, ``paper``, ``repository``.
"""
from __future__ import annotations

__version__ = "0.1.0"

from .matlab import imresize  # noqa: E402  (the MATLAB-exact bicubic, srlib.imresize(img, scale))

__all__ = ["imresize", "__version__"]
