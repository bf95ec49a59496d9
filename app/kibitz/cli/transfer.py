"""`kibitz export` and `kibitz import`: files in and out of the store, for terminals and scripts."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TextIO

from kibitz.cli.commands import EXIT_OK, EXIT_USAGE, CliContext, say
from kibitz.cli.transfer_args import FORMATS
from kibitz.core.transfer import (
    ImportProgress,
    ImportReport,
    chosen_conversations,
    conversation_to_markdown,
    export_json_file,
    export_markdown,
    import_file,
    json_export_path,
    write_json_stream,
)
from kibitz.core.types import ConversationId
from kibitz.core.words import count_of

_PROGRESS_INTERVAL_S = 0.1


def _ids(args: argparse.Namespace) -> list[ConversationId] | None:
    ids = [*args.ids, *(i for group in args.id_lists for i in group)]
    return [ConversationId(i) for i in ids] if ids else None


def run_export(context: CliContext, args: argparse.Namespace) -> int:
    ids = _ids(args)
    if args.all and ids is not None:
        say("--all and conversation IDs do not go together.", "Give one or the other.")
        return EXIT_USAGE
    store = context.store
    # Unknown ids fail here (NotFoundError), before anything is written.
    conversations = chosen_conversations(store, ids)
    out = None if args.out is None else Path(args.out)
    if FORMATS[args.format] == "json":
        if out is None:
            write_json_stream(store, conversations, sys.stdout)
            return EXIT_OK
        if out.is_dir():
            out = json_export_path(out)
        export_json_file(store, conversations, out)
        say(f"exported {count_of(len(conversations), 'conversation')} to {out}")
        return EXIT_OK
    if out is None:
        if len(conversations) != 1:
            say(
                f"{len(conversations)} conversations cannot go to stdout as Markdown.",
                "Give one ID, or --out DIR for one file per conversation.",
            )
            return EXIT_USAGE
        conversation = conversations[0]
        messages = (
            store.all_messages(conversation.id)
            if args.all_branches
            else store.branch(conversation.id)
        )
        sys.stdout.write(
            conversation_to_markdown(conversation, messages, all_branches=args.all_branches)
        )
        return EXIT_OK
    if out.exists() and not out.is_dir():
        say(f"{out} is a file.", "Markdown export writes one file per conversation into a folder.")
        return EXIT_USAGE
    export_markdown(store, conversations, out, all_branches=args.all_branches)
    say(f"exported {count_of(len(conversations), 'conversation')} to {out}")
    return EXIT_OK


class _ProgressLine:
    """One line on a terminal's stderr, redrawn at most ten times a second."""

    def __init__(self, stream: TextIO, name: str) -> None:
        self.stream = stream
        self.name = name
        self.shown = False
        self.last = 0.0

    def __call__(self, progress: ImportProgress) -> None:
        now = time.monotonic()
        if now - self.last < _PROGRESS_INTERVAL_S and progress.done < progress.total:
            return
        self.last = now
        verb = "reading" if progress.phase == "reading" else "saving"
        text = (
            f"kibitz: {verb} {self.name}: {progress.fraction:4.0%}"
            f" ({progress.conversations} conversations)"
        )
        self.stream.write(f"\r{text}\x1b[K")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _report_json(report: ImportReport) -> None:
    data = {
        "path": str(report.path),
        "format": report.kind,
        "imported": [int(i) for i in report.imported],
        "skipped": list(report.skipped),
        "unknown_content_types": list(report.unknown_types),
    }
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def run_import(context: CliContext, args: argparse.Namespace) -> int:
    path = Path(args.path)
    line = _ProgressLine(sys.stderr, path.name) if sys.stderr.isatty() else None
    try:
        report = import_file(
            context.store, path, progress=line, keep_instructions=args.keep_instructions
        )
    finally:
        if line is not None:
            line.clear()
    if args.json:
        _report_json(report)
    lines = [f"{report.summary()}."]
    if report.skipped:
        lines.append("Conversations imported before are never duplicated.")
    if report.unknown_types:
        kinds = ", ".join(report.unknown_types)
        lines.append(f"Content Kibitz does not know ({kinds}) was kept as notes.")
    if report.instructions_left_out:
        lines.append(
            "Your ChatGPT custom instructions were left out; --keep-instructions keeps them "
            "as each conversation's system prompt."
        )
    say(*lines)
    return EXIT_OK
