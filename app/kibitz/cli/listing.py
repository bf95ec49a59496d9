"""`kibitz list`: the stored conversations, as a table for terminals or JSON for scripts."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from kibitz.cli.commands import EXIT_OK, CliContext, say


def _local_time(ts: float) -> str:
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M")


def run_list(context: CliContext, args: argparse.Namespace) -> int:
    conversations = context.store.list_conversations()
    if args.json:
        rows = [
            {
                "id": c.id,
                "title": c.title,
                "message_count": c.message_count,
                "updated": datetime.fromtimestamp(c.updated_at).astimezone().isoformat(),
                "pinned": c.pinned,
            }
            for c in conversations
        ]
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    if not conversations:
        say('No conversations yet. Start one with: kibitz ask "your question"')
        return EXIT_OK
    width = max(2, *(len(str(c.id)) for c in conversations))
    print(f"{'ID':>{width}}  {'UPDATED':16}  {'MSGS':>4}  TITLE")
    for c in conversations:
        pin = "* " if c.pinned else ""
        title = c.title or "Untitled"
        print(f"{c.id:>{width}}  {_local_time(c.updated_at)}  {c.message_count:>4}  {pin}{title}")
    return EXIT_OK
