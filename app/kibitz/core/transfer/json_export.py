"""Lossless JSON export: the whole message tree with its parts, parameters, usage and timestamps.

The document is `{"format": "kibitz-export", "version": 2, ..., "conversations": [...]}`.
Files are written one conversation per line, so a large export streams out in constant
memory (one conversation and its files at a time), stays valid JSON, and still diffs line
by line.

A message keeps `content`, the plain text of its text parts (what version 1 held, and what
scripts read), and lists every part in `parts`, each with a `type`:

- text, reasoning: `text` (reasoning may add `seconds`, how long the model thought);
- image, file: `name`, `mime_type` and `data`, the stored bytes in base64 (an image may add
  `width` and `height`, a file the `text` extracted from it and sent);
- tool_call: `id`, `name` and `arguments` as sent to the model (a JSON string), and the MCP
  `server` and `tool` when known;
- tool_result: `tool_call_id`, `content`, `is_error` and `status` (ok, error or denied), and
  `seconds` (how long the call ran) when it ran.

Version 2 added `parts` and `usage.reasoning_tokens`; version 1 files still import. A part
type Kibitz does not have yet comes with a new format version, so an older Kibitz refuses
the whole file ("update Kibitz") rather than dropping what it cannot read.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TextIO

from kibitz import __version__
from kibitz.core.errors import NotFoundError
from kibitz.core.transfer.errors import ExportWriteError
from kibitz.core.types import (
    Conversation,
    FilePart,
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)

FORMAT_NAME = "kibitz-export"
FORMAT_VERSION = 2

# The bytes stored under a SHA-256 (Store.blob), fetched as each conversation is written.
BlobReader = Callable[[str], bytes]


class _Files:
    """The base64 of the blobs one conversation names, each fetched and encoded once."""

    def __init__(self, read: BlobReader) -> None:
        self.read = read
        self.encoded: dict[str, str] = {}

    def data(self, digest: str) -> str:
        found = self.encoded.get(digest)
        if found is None:
            found = base64.b64encode(self.read(digest)).decode("ascii")
            self.encoded[digest] = found
        return found


def _with_optional(out: dict[str, Any], **optional: Any) -> dict[str, Any]:
    """`out` plus each optional field that is set (None is left out)."""
    out.update((key, value) for key, value in optional.items() if value is not None)
    return out


def part_to_json(part: Part, files: _Files) -> dict[str, Any]:
    """One part as its JSON object (see the module docstring)."""
    kind = str(part.type)
    if isinstance(part, TextPart):
        return {"type": kind, "text": part.text}
    if isinstance(part, ReasoningPart):
        return _with_optional({"type": kind, "text": part.text}, seconds=part.seconds)
    if isinstance(part, ImagePart):
        out = {"type": kind, "name": part.name, "mime_type": part.mime_type}
        return _with_optional(out, width=part.width, height=part.height, data=files.data(part.blob))
    if isinstance(part, FilePart):
        out = {"type": kind, "name": part.name, "mime_type": part.mime_type}
        return _with_optional(out, text=part.text, data=files.data(part.blob))
    if isinstance(part, ToolCallPart):
        out = {"type": kind, "id": part.id, "name": part.name, "arguments": part.arguments}
        return _with_optional(out, server=part.server, tool=part.tool)
    if isinstance(part, ToolResultPart):
        result: dict[str, Any] = {
            "type": kind,
            "tool_call_id": part.tool_call_id,
            "content": part.content,
            "is_error": part.is_error,
            "status": str(part.status),
        }
        return _with_optional(result, seconds=part.seconds)
    raise TypeError(f"no JSON form for the part {part!r}")  # a new part type: add it above


def _parts_to_json(conversation: Conversation, message: Message, files: _Files) -> list[Any]:
    try:
        return [part_to_json(p, files) for p in message.parts]
    except NotFoundError as e:
        title = " ".join(conversation.title.split())[:60] or "Untitled"
        raise ExportWriteError(
            f"conversation {conversation.id} (“{title}”), message {message.id}: {e.detail}",
            headline="A stored file is missing",
            hint="The export stopped: the database no longer holds this image or file. Export "
            "the other conversations by id, and report this with the log file.",
        ) from e


def _message_to_json(conversation: Conversation, message: Message, files: _Files) -> dict[str, Any]:
    return {
        "id": message.id,
        "parent_id": message.parent_id,
        "role": message.role.value,
        "content": message.content,
        "parts": _parts_to_json(conversation, message, files),
        "status": message.status.value,
        "created_at": message.created_at,
        "updated_at": message.updated_at,
        "model": message.model,
        "finish_reason": message.finish_reason,
        "usage": dataclasses.asdict(message.usage) if message.usage else None,
        "error": message.error,
        "choice_index": message.choice_index,
    }


def conversation_to_json(
    conversation: Conversation, messages: Sequence[Message], blob: BlobReader
) -> dict[str, Any]:
    """One conversation with every message of every branch (ordered by id); `blob` gives
    the bytes of the images and files its parts name (Store.blob)."""
    files = _Files(blob)
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
        "messages": [
            _message_to_json(conversation, m, files) for m in sorted(messages, key=lambda m: m.id)
        ],
    }


def _header() -> dict[str, Any]:
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_at": time.time(),
        "exported_by": f"kibitz {__version__}",
    }


def export_json(
    items: Iterable[tuple[Conversation, Sequence[Message]]], blob: BlobReader
) -> dict[str, Any]:
    """The export document: a format tag and version, then the conversations."""
    return {**_header(), "conversations": [conversation_to_json(c, ms, blob) for c, ms in items]}


def write_json(
    out: TextIO, items: Iterable[tuple[Conversation, Sequence[Message]]], blob: BlobReader
) -> int:
    """Write the export document to `out`, one conversation per line; return how many.

    Only one conversation's files are held at a time: `blob` is asked for each as its
    conversation is written.
    """
    head = json.dumps(_header(), ensure_ascii=False)[:-1]  # without its closing brace
    out.write(f'{head}, "conversations": [')
    count = 0
    for conversation, messages in items:
        out.write(",\n" if count else "\n")
        document = conversation_to_json(conversation, messages, blob)
        out.write(json.dumps(document, ensure_ascii=False))
        count += 1
    out.write("\n]}\n")
    return count
