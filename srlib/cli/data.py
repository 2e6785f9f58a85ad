"""The ``data`` command: download (``fetch``) or verify (``check``) the datasets (:mod:`srlib.data.fetch`)."""
from __future__ import annotations

import argparse

from ..data import fetch as data_fetch  # looked up when the command runs (tests replace its sources)
from ..data.registry import data_root
from ..errors import DataIntegrityError, InvalidValueError

__all__ = ["add_cli_command"]


def _cmd_fetch(args: argparse.Namespace) -> int:
    if not args.timeout > 0 or args.retries < 0:
        raise InvalidValueError(f"--timeout must be > 0 and --retries >= 0 (got {args.timeout} and {args.retries})")
    sources = data_fetch.select_sources(data_fetch.read_sources(), args.datasets)
    report = data_fetch.fetch(args.data_dir, sources, timeout=args.timeout, retries=args.retries, progress=not args.quiet)
    replaced = f", {len(report.replaced)} of them replaced (they differed)" if report.replaced else ""
    print(f"data root {report.root}: {len(sources)} files verified ({len(report.downloaded)} downloaded"
          f"{replaced}, {len(report.present)} already present)")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    sources = data_fetch.select_sources(data_fetch.read_sources(), args.datasets)
    root = data_root(args.data_dir)
    problems = data_fetch.check(root, sources, hashes=not args.quick, progress=not args.quiet)
    if problems:
        shown = ", ".join(str(p) for p in problems[:5]) + (f" and {len(problems) - 5} more" if len(problems) > 5
                                                           else "")
        raise DataIntegrityError(
            f"{len(problems)} of {len(sources)} files under {root} are missing or differ from {data_fetch.SOURCES_FILE.name}: "
            f"{shown}; run `python -m srlib data fetch` (or set SRLIB_DATA_DIR to a complete copy)")
    what = "present with the right size" if args.quick else "present and verified (sha256)"
    if not args.quiet:
        print(f"data root {root}: all {len(sources)} files {what}")
    return 0


def add_cli_command(subparsers) -> None:
    p = subparsers.add_parser(
        "data", help="download (fetch) or verify (check) the datasets",
        description="fetch: download the benchmark and training images from their pinned public sources "
                    "(sha256-verified, resumable); check: verify a data root against the manifest.")
    sub = p.add_subparsers(dest="data_command", metavar="fetch|check", required=True)
    for name, func, helptext in [("fetch", _cmd_fetch, "download what is missing or wrong"),
                                 ("check", _cmd_check, "verify the files against the manifest")]:
        q = sub.add_parser(name, help=helptext)
        q.add_argument("--data-dir", default=None, help="data root (default: $SRLIB_DATA_DIR or ./data)")
        q.add_argument("--datasets", nargs="+", default=None, metavar="NAME",
                       help="only these datasets (e.g. Set5 T91; default: all in the manifest)")
        q.add_argument("--quiet", action="store_true", help="no progress bar")
        if name == "fetch":
            q.add_argument("--timeout", type=float, default=30.0, help="seconds without data before a retry")
            q.add_argument("--retries", type=int, default=4, help="retries per file (exponential backoff)")
        else:
            q.add_argument("--quick", action="store_true", help="presence and size only (no sha256)")
        q.set_defaults(func=func)
