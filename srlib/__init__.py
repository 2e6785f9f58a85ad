"""srlib: the library behind the CSRCNN paper companion.

Layers (dependencies point one way): ``cli`` -> ``training`` / ``evaluation`` / ``profiling``
-> ``models``, ``data``, ``metrics``, ``matlab`` (MATLAB-compatible imresize and colour).
"""
from __future__ import annotations

__version__ = "0.1.0"

from .matlab import imresize  # noqa: E402  (the MATLAB-exact bicubic, srlib.imresize(img, scale))

__all__ = ["imresize", "__version__"]
