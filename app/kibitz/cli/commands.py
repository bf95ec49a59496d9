"""Runs a parsed CLI command: shared set-up (paths, logging, settings, store) and error output."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from kibitz.core.errors import KibitzError
from kibitz.core.logs import configure_logging
from kibitz.core.paths import AppPaths, resolve_paths
from kibitz.core.settings import Settings, load_settings
from kibitz.core.store import Store

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def say(*lines: str, stream: TextIO | None = None) -> None:
    """Messages for the user go to stderr, so stdout stays clean for replies and exports."""
    out = stream or sys.stderr
    first, *rest = lines
    print(f"kibitz: {first}", file=out)
    for line in rest:
        print(f"  {line}", file=out)


def report(error: KibitzError) -> None:
    say(*error.lines())


@dataclass
class CliContext:
    """What every command needs; the store is opened only by commands that use it."""

    paths: AppPaths
    settings: Settings
    _store: Store | None = field(default=None, repr=False)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.paths.database)
            if self._store.recovered is not None:
                report(self._store.recovered)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def _silence_stdout() -> None:
    """Send what is left for stdout to /dev/null, so the exit flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


def _open_context(args: argparse.Namespace) -> CliContext:
    paths = resolve_paths(getattr(args, "basedir", None)).ensure()
    configure_logging(paths, verbose=bool(getattr(args, "verbose", False)))
    loaded = load_settings(paths.settings_file)
    if loaded.error is not None:
        report(loaded.error)
    for warning in loaded.warnings:
        say(f"settings: {warning}")
    return CliContext(paths, loaded.settings)


def run_command(args: argparse.Namespace) -> int:
    """Run the subcommand; every failure becomes a short message and a non-zero exit code."""
    from kibitz.cli import ask, keys, listing, mcp, transfer, trash, usage

    handlers: dict[str, Callable[[CliContext, argparse.Namespace], int]] = {
        "ask": ask.run,
        "list": listing.run_list,
        "trash": trash.run,
        "usage": usage.run,
        "export": transfer.run_export,
        "import": transfer.run_import,
        "key": keys.run,
        "mcp": mcp.run,
    }
    context: CliContext | None = None
    try:
        context = _open_context(args)
        return handlers[args.command](context, args)
    except KibitzError as exc:
        report(exc)
        return EXIT_FAILED
    except BrokenPipeError:
        # The reader went away (`kibitz ask ... | head`): what was asked and received is
        # stored; like other Unix tools, stop quietly.
        _silence_stdout()
        return EXIT_FAILED
    except OSError as exc:
        say(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), "Check the path.")
        return EXIT_FAILED
    except KeyboardInterrupt:
        say("stopped")
        return EXIT_INTERRUPTED
    finally:
        if context is not None:
            context.close()
