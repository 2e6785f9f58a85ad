"""Download the datasets from their pinned public sources, verify them, and the ``data`` command.

The manifest ``srlib/data/sources.tsv`` lists every file the book and the tests use: its path
under the data root, a URL at a fixed commit of a public GitHub repository, its sha256 and its
size in bytes (made from the shared data's ``MANIFEST.tsv`` by ``scripts/make_sources.py``).

:func:`fetch` downloads what is missing or wrong and guarantees:

* a file appears under its final name only after its size and sha256 were checked (it is written
  to ``<name>.part`` and renamed), so an interrupted fetch never leaves a set that looks complete;
* an interrupted transfer resumes from its ``.part`` file (HTTP ``Range``); failures are retried
  with exponential backoff; a 404 or a wrong hash is not retried forever;
* when a file cannot be had (offline, 404, ...) one :class:`~srlib.errors.DataFetchError` names
  what is still missing, the URL, and how to place the files by hand.

:func:`check` compares a data root with the manifest (missing files, wrong size, wrong sha256).

    python -m srlib data fetch        # into $SRLIB_DATA_DIR or ./data
    python -m srlib data check        # verify every file (``--quick``: presence and size only)
"""
from __future__ import annotations

import hashlib
import http.client
import os
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from tqdm.auto import tqdm

from ..errors import DataFetchError, InvalidValueError, SrlibError, output_error
from .manifest import SOURCES_FILE, Source, read_sources
from .registry import data_root, dataset_spec

__all__ = ["SOURCES_FILE", "Source", "Problem", "FetchReport", "read_sources", "select_sources", "file_sha256",
           "check", "fetch"]

_CHUNK = 1 << 16
_RETRY_HTTP = {408, 425, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Problem:
    """A manifest file that is not as it should be under the data root."""

    path: str
    state: str  # 'missing', 'size' or 'sha256'
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.path} ({self.state}{': ' + self.detail if self.detail else ''})"


@dataclass
class FetchReport:
    """What :func:`fetch` did: files already correct, downloaded, and replaced (present but wrong)."""

    root: Path
    present: list[str] = field(default_factory=list)
    downloaded: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)


def select_sources(sources: Sequence[Source], datasets: Sequence[str] | None) -> list[Source]:
    """The files of the named datasets (e.g. ``["Set5", "T91"]``; a benchmark includes its LR
    references); all of them when ``datasets`` is empty or None."""
    if not datasets:
        return list(sources)
    chosen = []
    for name in datasets:
        spec = dataset_spec(name)  # UnknownNameError for a name the registry does not know
        prefix = "/".join(spec.folder.split("/")[:2]) + "/"
        files = [s for s in sources if s.path.startswith(prefix)]
        if not files:
            raise InvalidValueError(f"{spec.name} is not in the download manifest ({SOURCES_FILE.name}); "
                                    f"get it by hand: {spec.source}; layout {spec.layout()}")
        chosen += [s for s in files if s not in chosen]
    return chosen


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _state(src: Source, root: Path, hashes: bool) -> Problem | None:
    dest = root / src.path
    if not dest.is_file():
        return Problem(src.path, "missing")
    size = dest.stat().st_size
    if size != src.bytes:
        return Problem(src.path, "size", f"{size} bytes, expected {src.bytes}")
    if hashes and file_sha256(dest) != src.sha256:
        return Problem(src.path, "sha256", "content differs from the manifest")
    return None


def check(root: str | Path | None = None, sources: Sequence[Source] | None = None, *, hashes: bool = True,
          progress: bool = False) -> list[Problem]:
    """Problems of the data root against the manifest (empty: every file present and correct).

    ``hashes=False`` checks presence and size only (fast)."""
    root = data_root(root)
    sources = read_sources() if sources is None else sources
    problems = []
    for src in tqdm(sources, desc="checking data", unit="file", disable=not progress, leave=False):
        problem = _state(src, root, hashes)
        if problem:
            problems.append(problem)
    return problems


def _missing_summary(missing: Sequence[Source]) -> str:
    groups: dict[str, int] = {}
    for s in missing:
        key = "/".join(s.path.split("/")[:2])
        groups[key] = groups.get(key, 0) + 1
    return ", ".join(f"{k} ({n})" for k, n in groups.items())


def _manual_advice(root: Path) -> str:
    return (f"to place the files by hand, download each URL listed in {SOURCES_FILE} to {root}/<path> "
            "(the sha256 and size are listed beside it), then run `python -m srlib data check`")


class _Retryable(Exception):
    """A transfer failure worth another try (network error, early end, wrong hash)."""


def _download_once(src: Source, part: Path, timeout: float, bar) -> None:
    have = part.stat().st_size if part.exists() else 0
    if have > src.bytes:
        part.unlink()
        have = 0
    if have < src.bytes:
        headers = {"User-Agent": "srlib-data-fetch", **({"Range": f"bytes={have}-"} if have else {})}
        try:
            resp = urllib.request.urlopen(urllib.request.Request(src.url, headers=headers), timeout=timeout)
        except urllib.error.HTTPError as err:
            if err.code == 416:  # our .part is not a prefix the server knows: start again
                part.unlink(missing_ok=True)
                raise _Retryable("HTTP 416 for a resumed transfer") from err
            if err.code in _RETRY_HTTP:
                raise _Retryable(f"HTTP {err.code} {err.reason}") from err
            raise DataFetchError(f"HTTP {err.code} {err.reason}") from err
        with resp:
            if have and resp.status != 206:  # the server ignored the Range header: start over
                bar.update(-have)
                have = 0
            try:
                fh = open(part, "ab" if have else "wb")
            except OSError as err:
                raise output_error(part, err) from err
            with fh:
                while True:
                    chunk = resp.read(_CHUNK)
                    if not chunk:
                        break
                    try:
                        fh.write(chunk)
                    except OSError as err:
                        raise output_error(part, err) from err
                    bar.update(len(chunk))
    size = part.stat().st_size
    if size != src.bytes:
        raise _Retryable(f"the transfer ended after {size} of {src.bytes} bytes")
    digest = file_sha256(part)
    if digest != src.sha256:
        part.unlink()
        bar.update(-size)
        raise _Retryable(f"sha256 {digest[:16]}... differs from the manifest's {src.sha256[:16]}...")


def _download(src: Source, dest: Path, timeout: float, retries: int, backoff: float, bar) -> None:
    """Download ``src`` to ``dest`` through ``dest.part``: resume, retry, verify, rename."""
    part = dest.with_name(dest.name + ".part")
    if part.exists():
        bar.update(min(part.stat().st_size, src.bytes))
    reason = ""
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            _download_once(src, part, timeout, bar)
            os.replace(part, dest)
            return
        except DataFetchError as err:
            reason = str(err)
            break  # not worth retrying (404, 403, ...)
        except SrlibError:
            raise  # local problem (disk full, permission): retrying cannot help
        except _Retryable as err:
            reason = str(err)
        except (urllib.error.URLError, http.client.HTTPException, socket.timeout, TimeoutError,
                ConnectionError) as err:
            cause = getattr(err, "reason", err)
            reason = f"{type(cause).__name__}: {cause}" if not isinstance(cause, str) else cause
    raise DataFetchError(f"cannot download {src.path} from {src.url}: {reason} (after {attempt + 1} "
                         f"attempt{'s' if attempt else ''})")


def fetch(root: str | Path | None = None, sources: Sequence[Source] | None = None, *, timeout: float = 30.0,
          retries: int = 4, backoff: float = 1.0, progress: bool = True) -> FetchReport:
    """Make every manifest file present and correct under the data root (default
    ``$SRLIB_DATA_DIR`` or ``./data``), downloading what is missing or wrong.

    Raises:
        DataFetchError: a file could not be downloaded or verified; the message names what is
            still missing, the URL that failed and how to place the files by hand.
        OutputError: the data root cannot be written (permission, full disk).
    """
    root = data_root(root)
    sources = read_sources() if sources is None else list(sources)
    report = FetchReport(root)
    todo: list[Source] = []
    for src in tqdm(sources, desc="checking data", unit="file", disable=not progress, leave=False):
        problem = _state(src, root, hashes=True)
        if problem is None:
            report.present.append(src.path)
        else:
            todo.append(src)
            if problem.state != "missing":
                report.replaced.append(src.path)
    if not todo:
        return report
    bar = tqdm(total=sum(s.bytes for s in todo), desc=f"downloading {len(todo)} files", unit="B",
               unit_scale=True, unit_divisor=1024, disable=not progress)
    try:
        for i, src in enumerate(todo):
            dest = root / src.path
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise output_error(dest.parent, err, "create the folder") from err
            try:
                _download(src, dest, timeout, retries, backoff, bar)
            except DataFetchError as err:
                left = todo[i:]
                raise DataFetchError(
                    f"{err}. Still missing under {root}: {len(left)} file(s): {_missing_summary(left)}; "
                    f"{report.downloaded and f'{len(report.downloaded)} file(s) were downloaded and verified; ' or ''}"
                    f"run the command again when online (it resumes), or {_manual_advice(root)}") from err
            report.downloaded.append(src.path)
    finally:
        bar.close()
    return report
