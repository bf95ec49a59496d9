"""`kibitz trash`: what is in the Trash, and restoring from it or emptying it."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from kibitz.cli.commands import EXIT_FAILED, EXIT_OK, CliContext, say
from kibitz.core.store.conversations import TRASH_DAYS
from kibitz.core.types import ConversationId
from kibitz.core.words import count_of


def _local_time(ts: float) -> str:
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M")


def run(context: CliContext, args: argparse.Namespace) -> int:
    store = context.store
    if args.restore:
        wanted = [ConversationId(i) for i in args.restore]
        back = set(store.restore(wanted).conversation_ids)
        if back:
            say(f"Restored {count_of(len(back), 'conversation')}.")
        missing = [str(i) for i in wanted if i not in back]
        if missing:
            say(
                f"Not in the Trash: {', '.join(missing)}.",
                "Run `kibitz trash` to see the ids of deleted conversations.",
            )
            return EXIT_FAILED
        return EXIT_OK
    if args.empty:
        gone = store.empty_trash().conversation_ids
        say(
            f"Deleted {count_of(len(gone), 'conversation')} for good."
            if gone
            else "The Trash is empty."
        )
        return EXIT_OK
    trashed = store.list_conversations(deleted=True)
    if args.json:
        rows = [
            {
                "id": c.id,
                "title": c.title,
                "message_count": c.message_count,
                "deleted": datetime.fromtimestamp(c.deleted_at or 0).astimezone().isoformat(),
            }
            for c in trashed
        ]
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    if not trashed:
        say("The Trash is empty.")
        return EXIT_OK
    width = max(2, *(len(str(c.id)) for c in trashed))
    print(f"{'ID':>{width}}  {'DELETED':16}  {'MSGS':>4}  TITLE")
    for c in trashed:
        deleted = _local_time(c.deleted_at or 0)
        print(f"{c.id:>{width}}  {deleted}  {c.message_count:>4}  {c.title or 'Untitled'}")
    say(f"Conversations in the Trash are deleted for good after {TRASH_DAYS} days.")
    return EXIT_OK
