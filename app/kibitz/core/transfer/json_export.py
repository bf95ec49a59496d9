"""Lossless JSON export: the whole message tree with parameters, usage and timestamps.

The document is `{"format": "kibitz-export", "version": 1, ..., "conversations": [...]}`.
Files are written one conversation per line, so a large export streams out in constant
memory, stays valid JSON, and still diffs line by line.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from kibitz import __version__
from kibitz.core.types import Conversation, Message

FORMAT_NAME = "kibitz-export"
FORMAT_VERSION = 1


def _message_to_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "parent_id": message.parent_id,
        "role": message.role.value,
        "content": message.content,
        "status": message.status.value,
        "created_at": message.created_at,
        "updated_at": message.updated_at,
        "model": message.model,
        "finish_reason": message.finish_reason,
        "usage": dataclasses.asdict(message.usage) if message.usage else None,
        "error": message.error,
        "choice_index": message.choice_index,
    }


def conversation_to_json(conversation: Conversation, messages: Sequence[Message]) -> dict[str, Any]:
    """One conversation with every message of every branch (ordered by id)."""
    return {
        "id": conversation.id,
        "uid": conversation.uid,
        "title": conversation.title,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
        "pinned": conversation.pinned,
        "deleted_at": conversation.deleted_at,  # set when a deleted one is exported by id
        "system_prompt": conversation.system_prompt,
        "params": conversation.params.overridden(),
        "provider": conversation.provider,
        "current_leaf_id": conversation.current_leaf_id,
        "messages": [_message_to_json(m) for m in sorted(messages, key=lambda m: m.id)],
    }


def _header() -> dict[str, Any]:
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_at": time.time(),
        "exported_by": f"kibitz {__version__}",
    }


def export_json(items: Iterable[tuple[Conversation, Sequence[Message]]]) -> dict[str, Any]:
    """The export document: a format tag and version, then the conversations."""
    return {**_header(), "conversations": [conversation_to_json(c, ms) for c, ms in items]}


def write_json(out: TextIO, items: Iterable[tuple[Conversation, Sequence[Message]]]) -> int:
    """Write the export document to `out`, one conversation per line; return how many."""
    head = json.dumps(_header(), ensure_ascii=False)[:-1]  # without its closing brace
    out.write(f'{head}, "conversations": [')
    count = 0
    for conversation, messages in items:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(conversation_to_json(conversation, messages), ensure_ascii=False))
        count += 1
    out.write("\n]}\n")
    return count
