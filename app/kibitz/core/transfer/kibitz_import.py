"""Reading a Kibitz JSON export back: checked field by field, every error saying where."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from kibitz.core.chat.structured_output import format_problem
from kibitz.core.store import ImportedConversation, ImportedMessage
from kibitz.core.transfer.errors import ImportFileError, conversation_label
from kibitz.core.transfer.fields import NUMBER, Fields
from kibitz.core.transfer.json_export import FORMAT_NAME, FORMAT_VERSION
from kibitz.core.transfer.kibitz_parts import Blobs, read_parts
from kibitz.core.types import (
    MessageStatus,
    Part,
    RequestParams,
    Role,
    Usage,
    as_parts,
    text_of,
)


def is_kibitz_document(document: Any) -> bool:
    return isinstance(document, Mapping) and document.get("format") == FORMAT_NAME


def _usage(value: Any, where: str) -> Usage | None:
    if value is None:
        return None
    fields = Fields(value, f"{where}, usage")
    return Usage(
        fields.integer("prompt_tokens", 0),
        fields.integer("completion_tokens", 0),
        fields.integer("total_tokens", 0),
        fields.integer("reasoning_tokens", 0),  # since version 2
        fields.integer("cached_tokens", 0),  # since the cost ledger (absent before: none)
    )


def _parts(fields: Fields, version: int, blobs: Blobs) -> tuple[Part, ...]:
    """Version 2 lists the parts (`content` is their text, for scripts); version 1 had only
    `content`. A hand-made file may give either, but both must then agree."""
    if version < 2 or "parts" not in fields.data:
        return as_parts(fields.text("content"))
    parts = read_parts(fields.data["parts"], fields.where, blobs)
    content = fields.text_or_none("content")
    if content is not None and content != text_of(parts):
        raise fields.fail("“content” is not the text of its “parts”")
    return parts


def _message(
    data: Any, where: str, version: int, blobs: Blobs
) -> tuple[int, int | None, ImportedMessage]:
    fields = Fields(data, where)
    message_id = fields.integer("id")
    where = f"{where.rsplit(',', 1)[0]}, message {message_id}"
    fields.where = where
    role_name, status_name = fields.text("role"), fields.text("status")
    try:
        role = Role(role_name)
    except ValueError:
        raise ImportFileError(where, f"unknown role “{role_name}”") from None
    try:
        status = MessageStatus(status_name)
    except ValueError:
        raise ImportFileError(where, f"unknown status “{status_name}”") from None
    if status is MessageStatus.STREAMING:
        status = MessageStatus.INTERRUPTED  # exported mid-reply: nothing streams into it now
    message = ImportedMessage(
        parent=None,  # set once the tree is ordered
        role=role,
        parts=_parts(fields, version, blobs),
        created_at=fields.number("created_at"),
        updated_at=fields.number_or_none("updated_at"),
        status=status,
        model=fields.text_or_none("model"),
        finish_reason=fields.text_or_none("finish_reason"),
        usage=_usage(data.get("usage"), where),
        error=fields.text_or_none("error"),
        choice_index=fields.integer("choice_index", 0),
    )
    return message_id, fields.integer_or_none("parent_id"), message


def _tree_order(
    parsed: list[tuple[int, int | None, ImportedMessage]], where: str
) -> list[tuple[int, int | None, ImportedMessage]]:
    """Parents before children, otherwise in id order (the order they were written)."""
    by_id: dict[int, tuple[int, int | None, ImportedMessage]] = {}
    for item in parsed:
        if item[0] in by_id:
            raise ImportFileError(where, f"message id {item[0]} appears twice")
        by_id[item[0]] = item
    children: dict[int | None, list[int]] = {}
    for message_id, parent_id, _ in parsed:
        if parent_id is not None and parent_id not in by_id:
            raise ImportFileError(
                f"{where}, message {message_id}", f"its parent {parent_id} is not in the export"
            )
        children.setdefault(parent_id, []).append(message_id)
    ready = list(children.get(None, []))
    heapq.heapify(ready)
    ordered = []
    while ready:
        message_id = heapq.heappop(ready)
        ordered.append(by_id[message_id])
        for child in children.get(message_id, []):
            heapq.heappush(ready, child)
    if len(ordered) != len(parsed):
        raise ImportFileError(where, "its messages' parents form a loop")
    return ordered


_PARAM_KINDS: dict[str, tuple[type, ...]] = {
    "model": (str,),
    "temperature": NUMBER,
    "top_p": NUMBER,
    "presence_penalty": NUMBER,
    "frequency_penalty": NUMBER,
    "max_tokens": (int,),
    "seed": (int,),
    "n": (int,),
    "stop": (list, str),
    "response_format": (str,),
    "json_schema": (str,),
}


def _params(value: Any, where: str) -> RequestParams:
    """Request parameters, each of the type the request needs (they are sent as stored)."""
    fields = Fields(value, f"{where}, params")
    for name, kinds in _PARAM_KINDS.items():
        fields.checked(name, kinds, f"of type {'/'.join(k.__name__ for k in kinds)}", True)
    stop = value.get("stop")
    if isinstance(stop, list) and not all(isinstance(s, str) for s in stop):
        raise ImportFileError(fields.where, "“stop” should be a list of text")
    if value.get("response_format") not in (None, "text", "json_object"):
        raise ImportFileError(fields.where, "“response_format” should be text or json_object")
    json_schema = value.get("json_schema")
    if isinstance(json_schema, str) and (problem := format_problem(json_schema)) is not None:
        raise ImportFileError(fields.where, f"“json_schema” cannot be sent: {problem}")
    if not isinstance(value.get("tools"), bool | None):
        raise ImportFileError(fields.where, "“tools” should be true or false")
    return RequestParams.from_mapping(value)


def convert_conversation(
    data: Any, index: int, source: str, version: int = FORMAT_VERSION
) -> ImportedConversation:
    """One conversation of a Kibitz export of format `version`; ImportFileError names what
    is wrong, and where."""
    where = f"{source}: {conversation_label(index, data)}"
    fields = Fields(data, where)
    uid = fields.text("uid")
    if not uid:
        raise ImportFileError(where, "“uid” is empty")
    raw_messages = data.get("messages")
    if not isinstance(raw_messages, list):
        raise ImportFileError(where, "“messages” should be a list")
    blobs: Blobs = {}
    parsed = [
        _message(m, f"{where}, message {i + 1}", version, blobs) for i, m in enumerate(raw_messages)
    ]
    ordered = _tree_order(parsed, where)
    position = {message_id: i for i, (message_id, _, _) in enumerate(ordered)}
    messages = tuple(
        replace(m, parent=None if parent is None else position[parent]) for _, parent, m in ordered
    )
    leaf_id = fields.integer_or_none("current_leaf_id")
    if leaf_id is not None and leaf_id not in position:
        raise ImportFileError(where, f"its current message {leaf_id} is not in the export")
    request_params = _params(data.get("params", {}), where)
    return ImportedConversation(
        uid=uid,
        title=fields.text("title"),
        created_at=fields.number("created_at"),
        updated_at=fields.number("updated_at"),
        messages=messages,
        current_leaf=None if leaf_id is None else position[leaf_id],
        system_prompt=fields.text_or_none("system_prompt"),
        params=request_params,
        provider=fields.text_or_none("provider"),
        pinned=bool(data.get("pinned", False)),
        deleted_at=fields.number_or_none("deleted_at"),
        blobs=blobs,
    )


def check_version(document: Mapping[str, Any], source: str) -> int:
    """The document's format version, if this Kibitz reads it (1 and 2)."""
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ImportFileError(source, "the Kibitz export has no format version")
    if version > FORMAT_VERSION:
        raise ImportFileError(
            source,
            f"it was written by a newer Kibitz (format version {version}; "
            f"this one reads up to {FORMAT_VERSION})",
            hint="Nothing was imported. Update Kibitz, then import the file again.",
        )
    return version
