"""Command line: ``python -m srlib <command> ...`` (also installed as ``srlib``).

Each command is a module of this package (the library modules it drives hold no argument
parsing); a module listed in ``_COMMAND_MODULES`` provides ``add_cli_command(subparsers)``, which
adds its sub-parser and sets ``func(args) -> exit code``.

Errors: every failure ends in one line on stderr (``srlib <command>: error: ...``) and exit code 1
(3 for a diverged training, 130 for Ctrl-C); ``--debug`` or ``SRLIB_DEBUG=1`` shows the traceback.
Output piped into ``head`` that closes early is not an error.
"""
from __future__ import annotations

import argparse
import importlib
import errno
import os
import sys
import traceback

from .. import __version__

# Modules that contribute sub-commands (imported lazily so `--help` stays fast).
_COMMAND_MODULES = ["srlib.cli.evaluate", "srlib.cli.profile", "srlib.cli.train", "srlib.cli.upscale", "srlib.cli.data",
                    "srlib.cli.campaign", "srlib.cli.ablations", "srlib.cli.league", "srlib.cli.weights"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="srlib", description="CSRCNN paper companion toolkit")
    parser.add_argument("--version", action="version", version=f"srlib {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error (or SRLIB_DEBUG=1)")
    subparsers = parser.add_subparsers(dest="command", metavar="command")
    for name in _COMMAND_MODULES:
        module = importlib.import_module(name)
        module.add_cli_command(subparsers)
    for sub in subparsers.choices.values():  # `srlib upscale ... --debug` works too
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def error_message(err: BaseException) -> str:
    """One line for a failure: the library's own errors as they are, OS errors with their advice."""
    from ..errors import SrlibError, one_line, output_error

    if isinstance(err, SrlibError):
        return one_line(str(err))
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM,
                                                   errno.EROFS) and err.filename:
        return one_line(str(output_error(err.filename, err)))
    if isinstance(err, (FileNotFoundError, ValueError, KeyError, OSError)):
        text = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
        return one_line(str(text))
    return one_line(f"unexpected {type(err).__name__}: {err} (a bug? run with --debug for the traceback)")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    debug = bool(getattr(args, "debug", False)) or os.environ.get("SRLIB_DEBUG", "") not in ("", "0")
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # The reader (e.g. `head`) closed the pipe: not an error; silence the flush at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc()
        hint = getattr(args, "interrupt_hint", None)
        print(f"srlib {args.command}: interrupted{'; ' + hint if hint else ''}", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - the one place that turns errors into a message
        if debug:
            traceback.print_exc()
        print(f"srlib {args.command}: error: {error_message(err)}", file=sys.stderr)
        return 1
