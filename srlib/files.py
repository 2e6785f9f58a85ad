"""Writing a file so that a reader sees the old one or the whole new one, never a part."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

from .errors import output_error

__all__ = ["atomic_write"]


def atomic_write(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a part.

    A failure (full disk, no permission) removes the temporary file and raises
    :class:`~srlib.errors.OutputError` naming ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as err:
        raise output_error(path, err) from err
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
