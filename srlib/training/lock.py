"""One writer per run folder: ``<run>/.srlib-run.lock`` while a training writes it.

The lock file is created exclusively (``O_CREAT | O_EXCL``) and holds the writer's PID, host and
start time as JSON. A second writer is refused with :class:`~srlib.errors.RunLockedError` naming
the holder's PID. A lock whose process no longer exists on this host (a killed run) is stale and
taken over; so is an empty or unreadable lock file older than a few seconds. The lock is removed
when the training ends, however it ends.
"""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from ..errors import RunLockedError, output_error

__all__ = ["LOCK_NAME", "RunLock", "pid_alive"]

LOCK_NAME = ".srlib-run.lock"
_GRACE_SECONDS = 5.0  # an empty lock file younger than this is a writer that is still starting


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class RunLock:
    """Context manager holding the lock of run folder ``folder`` (created if needed)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.held = False

    def _holder(self) -> dict | None:
        """The lock's content, or None when it is unreadable (empty, half-written, garbage)."""
        try:
            info = json.loads(self.path.read_text())
            return info if isinstance(info, dict) and isinstance(info.get("pid"), int) else None
        except (OSError, ValueError):
            return None

    def _is_stale(self) -> bool:
        info = self._holder()
        if info is None:
            try:
                age = time.time() - self.path.stat().st_mtime
            except FileNotFoundError:
                return True
            return age > _GRACE_SECONDS
        if info.get("host") != socket.gethostname():
            return False  # another machine's process: we cannot tell, so it holds
        return not pid_alive(int(info["pid"]))

    def acquire(self) -> "RunLock":
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise output_error(self.folder, err, "create the run folder") from err
        for _ in range(10):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if not self._is_stale():
                    info = self._holder() or {}
                    holder = f"process {info['pid']}" if "pid" in info else "another process"
                    where = f" on {info['host']}" if info.get("host") not in (None, socket.gethostname()) else ""
                    since = f" since {info['started']}" if info.get("started") else ""
                    raise RunLockedError(
                        f"run folder {self.folder} is being written by {holder}{where}{since} (lock file "
                        f"{self.path}); wait for that training to finish or choose another --out; if no such "
                        "process is running, delete the lock file")
                self.path.unlink(missing_ok=True)  # stale: a killed run's lock
                continue
            except OSError as err:
                raise output_error(self.path, err, "create the lock file") from err
            info = {"pid": os.getpid(), "host": socket.gethostname(),
                    "started": time.strftime("%Y-%m-%d %H:%M:%S")}
            try:
                with os.fdopen(fd, "w") as fh:
                    json.dump(info, fh)
            except OSError as err:
                self.path.unlink(missing_ok=True)
                raise output_error(self.path, err, "write the lock file") from err
            self.held = True
            return self
        raise RunLockedError(f"could not take the lock {self.path} (it keeps changing); is another training "
                             "starting in the same folder?")

    def release(self) -> None:
        if self.held:
            info = self._holder()
            if info is None or info.get("pid") == os.getpid():
                self.path.unlink(missing_ok=True)
            self.held = False

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
