"""The one definition of how a message and its parts map onto rows: columns, insert, read.

A new field of Message is one entry in `_MESSAGE_FIELDS` (and a migration adding its column);
a new field of a part needs nothing here: whatever is not the part's text or blob is kept as
JSON in `message_parts.data`. Usage maps onto one `<name>` column per field of `Usage`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from kibitz.core.store.base import chunked, placeholders
from kibitz.core.types import (
    PART_CLASSES,
    ConversationId,
    Message,
    MessageId,
    MessageStatus,
    Part,
    PartType,
    Role,
    ToolStatus,
    Usage,
)

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class _Field:
    column: str
    load: Callable[[Any], Any] = lambda value: value  # from the column to Message's field
    dump: Callable[[Any], Any] = lambda value: value  # and back


def _optional(kind: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else kind(value)


# Message's own fields in column order; `parts` and `usage` are handled below.
_MESSAGE_FIELDS: tuple[_Field, ...] = (
    _Field("id", MessageId),
    _Field("conversation_id", ConversationId),
    _Field("parent_id", _optional(MessageId)),
    _Field("role", Role, str),
    _Field("status", MessageStatus, str),
    _Field("created_at"),
    _Field("updated_at"),
    _Field("model"),
    _Field("finish_reason"),
    _Field("error"),
    _Field("choice_index"),
    _Field("provider"),
    _Field("cost_nanos"),
)
USAGE_COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Usage))
MESSAGE_COLUMNS: tuple[str, ...] = tuple(f.column for f in _MESSAGE_FIELDS) + USAGE_COLUMNS
SELECT_MESSAGES = "SELECT " + ", ".join(f"m.{c}" for c in MESSAGE_COLUMNS) + " FROM messages m"
INSERT_MESSAGE = (
    f"INSERT INTO messages ({', '.join(MESSAGE_COLUMNS)})"
    f" VALUES ({placeholders(len(MESSAGE_COLUMNS))})"
)
# The same without the id, which SQLite then gives out.
INSERT_NEW_MESSAGE = (
    f"INSERT INTO messages ({', '.join(MESSAGE_COLUMNS[1:])})"
    f" VALUES ({placeholders(len(MESSAGE_COLUMNS) - 1)})"
)
_USAGE_AT = len(_MESSAGE_FIELDS)


def usage_values(usage: Usage | None) -> tuple[int | None, ...]:
    """The usage columns' values (all NULL for no usage)."""
    if usage is None:
        return (None,) * len(USAGE_COLUMNS)
    return dataclasses.astuple(usage)


USAGE_ASSIGNMENTS = ", ".join(f"{c} = ?" for c in USAGE_COLUMNS)


def message_values(message: Message) -> tuple[Any, ...]:
    """The row for `message` in MESSAGE_COLUMNS order (id None: SQLite picks one)."""
    own = tuple(f.dump(getattr(message, f.column)) for f in _MESSAGE_FIELDS)
    return own + usage_values(message.usage)


def message_from_row(row: Sequence[Any], parts: Sequence[Part] = ()) -> Message:
    kwargs = {f.column: f.load(row[i]) for i, f in enumerate(_MESSAGE_FIELDS)}
    tokens = row[_USAGE_AT:]
    usage = None if all(t is None for t in tokens) else Usage(*(t or 0 for t in tokens))
    return Message(**kwargs, parts=tuple(parts), usage=usage)


# -- parts ------------------------------------------------------------------------------------

# The field of each part type kept in the `text` column (the rest goes to `data` as JSON).
_TEXT_FIELD = {
    PartType.TEXT: "text",
    PartType.REASONING: "text",
    PartType.FILE: "text",
    PartType.TOOL_CALL: "arguments",
    PartType.TOOL_RESULT: "content",
}
_BLOB_FIELD = "blob"
_ENUMS: dict[str, Callable[[Any], Any]] = {"status": ToolStatus}
INSERT_PART = (
    "INSERT INTO message_parts (message_id, seq, type, text, data, blob) VALUES (?, ?, ?, ?, ?, ?)"
)


def part_values(part: Part) -> tuple[str, str, str | None, str | None]:
    """(type, text, data, blob) for the message_parts row of `part`."""
    text_field = _TEXT_FIELD.get(part.type)
    text = getattr(part, text_field) if text_field else None
    blob = getattr(part, _BLOB_FIELD, None)
    rest = {
        f.name: getattr(part, f.name)
        for f in dataclasses.fields(part)
        if f.name not in (text_field, _BLOB_FIELD)
    }
    data = json.dumps(rest, ensure_ascii=False, separators=(",", ":")) if rest else None
    return str(part.type), text or "", data, blob


def part_from_row(kind: str, text: str, data: str | None, blob: str | None) -> Part | None:
    """The part a row holds; None (logged) for a type this version does not know."""
    try:
        part_type = PartType(kind)
    except ValueError:
        log.warning("skipping a message part of unknown type %r", kind)
        return None
    cls = PART_CLASSES[part_type]
    fields: dict[str, Any] = {}
    if data:
        loaded = json.loads(data)
        names = {f.name for f in dataclasses.fields(cls)}
        fields = {k: _ENUMS.get(k, _same)(v) for k, v in loaded.items() if k in names}
    text_field = _TEXT_FIELD.get(part_type)
    if text_field is not None:
        # A file with no extracted text is stored as '' and read back as None.
        fields[text_field] = None if part_type is PartType.FILE and not text else text
    if blob is not None:
        fields[_BLOB_FIELD] = blob
    return cls(**fields)


def _same(value: Any) -> Any:
    return value


def insert_parts(
    conn: sqlite3.Connection, message_id: int, parts: Iterable[Part], first_seq: int = 0
) -> None:
    conn.executemany(
        INSERT_PART,
        [(message_id, seq, *part_values(p)) for seq, p in enumerate(parts, start=first_seq)],
    )


def read_parts(conn: sqlite3.Connection, message_ids: Sequence[int]) -> dict[int, list[Part]]:
    """Every part of the given messages, in order, by message id."""
    found: dict[int, list[Part]] = defaultdict(list)
    for chunk in chunked(message_ids):
        rows = conn.execute(
            "SELECT message_id, type, text, data, blob FROM message_parts"
            f" WHERE message_id IN ({placeholders(len(chunk))}) ORDER BY message_id, seq",
            tuple(chunk),
        )
        for message_id, kind, text, data, blob in rows:
            part = part_from_row(kind, text, data, blob)
            if part is not None:
                found[message_id].append(part)
    return found


def read_messages(conn: sqlite3.Connection, sql: str, args: Sequence[Any] = ()) -> list[Message]:
    """The messages a `SELECT_MESSAGES ...` query finds, with their parts."""
    rows = conn.execute(sql, tuple(args)).fetchall()
    parts = read_parts(conn, [r[0] for r in rows])
    return [message_from_row(r, parts.get(r[0], ())) for r in rows]
