"""The library's own error types: each says which file (or name), what was expected and what to do.

Every error a user can cause by what they give the library or the command line (a corrupt or
foreign checkpoint, an unknown name, a missing or corrupt data file, an unwritable folder, a
locked run) derives from :class:`SrlibError`. The command line (:mod:`srlib.cli`) prints such an
error as one line on stderr and exits with status 1; ``--debug`` (or ``SRLIB_DEBUG=1``) shows the
traceback instead.

Where an older built-in type was raised before (``KeyError`` for an unknown name, ``ValueError``
for a bad value, ``FileNotFoundError`` for a missing file) the new type derives from it too, so
existing ``except`` clauses keep working.
"""
from __future__ import annotations

import errno
from pathlib import Path

__all__ = ["SrlibError", "UnknownNameError", "InvalidValueError", "CorruptFileError", "CheckpointFormatError",
           "DataFetchError", "DataIntegrityError", "OutputError", "OutputExistsError", "RunLockedError",
           "one_line", "output_error", "check_writable"]


class SrlibError(Exception):
    """Base of the library's errors; the message is complete (what, where, what to do).

    Errors pickle as their type and message (so they cross process boundaries, e.g. from a
    cache-building worker), whatever their constructor's arguments."""

    def __reduce__(self):
        return _rebuild, (type(self), str(self))


def _rebuild(cls: type, message: str) -> "SrlibError":
    err = cls.__new__(cls)
    BaseException.__init__(err, message)
    return err


class UnknownNameError(SrlibError, KeyError):
    """An unknown dataset, model, preset or other registered name; the message lists the known ones."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InvalidValueError(SrlibError, ValueError):
    """An option or argument outside its allowed range (``--size 0``, an image too small for the scale)."""


class CorruptFileError(SrlibError, ValueError):
    """A file that exists but cannot be read as what it should be (truncated JSON, a broken array)."""

    def __init__(self, path: str | Path, expected: str, reason: str, advice: str):
        self.path = Path(path)
        super().__init__(f"{self.path} is not a valid {expected} ({reason}); {advice}")


class CheckpointFormatError(CorruptFileError):
    """A weights file that is truncated, not safetensors, or not written by srlib."""


class DataFetchError(SrlibError):
    """``srlib data fetch`` could not download or verify a file (offline, 404, wrong hash, timeout)."""


class DataIntegrityError(SrlibError):
    """Files under the data root that are missing or differ from the manifest (``srlib data check``)."""


class OutputError(SrlibError, OSError):
    """An output file or folder cannot be written (permission, full disk, read-only file system)."""


class OutputExistsError(SrlibError, FileExistsError):
    """Writing would replace a file the user did not ask to replace (``--force`` allows it)."""


class RunLockedError(SrlibError):
    """Another live process is writing the same run folder."""


def one_line(message: str) -> str:
    """``message`` with its lines joined by ``'; '`` (the CLI prints every error as one line)."""
    parts = [line.strip() for line in str(message).splitlines() if line.strip()]
    return "; ".join(parts)


def output_error(path: str | Path, err: OSError, what: str = "write") -> OutputError:
    """An :class:`OutputError` for an ``OSError`` met while writing ``path``, with advice by cause."""
    advice = {
        errno.ENOSPC: "the disk is full: free some space or choose another location",
        errno.EDQUOT: "the disk quota is exceeded: free some space or choose another location",
        errno.EACCES: "no permission: choose a folder you can write, or fix its permissions",
        errno.EPERM: "no permission: choose a folder you can write, or fix its permissions",
        errno.EROFS: "the file system is read-only: choose another location",
        errno.ENOTDIR: "a part of the path is a file, not a folder: choose another location",
        errno.EEXIST: "a file of that name is in the way: choose another location",
    }.get(err.errno, "choose another location")
    reason = err.strerror or str(err)
    out = OutputError(f"cannot {what} {path}: {reason}; {advice}")
    out.errno = err.errno
    return out


def check_writable(folder: str | Path, what: str = "write into") -> Path:
    """Create ``folder`` if needed and prove it writable with a probe file (removed again);
    raises :class:`OutputError` with advice otherwise. Run before long work, not after."""
    import os

    folder = Path(folder)
    probe = folder / f".srlib-write-probe-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
    except OSError as err:
        raise output_error(folder, err, what) from err
    finally:
        try:
            probe.unlink()
        except OSError:
            pass
    return folder
