"""Reading a Kibitz JSON export back: checked field by field, every error saying where."""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from kibitz.core.store import ImportedConversation, ImportedMessage
from kibitz.core.transfer.errors import ImportFileError, conversation_label
from kibitz.core.transfer.json_export import FORMAT_NAME, FORMAT_VERSION
from kibitz.core.types import MessageStatus, RequestParams, Role, Usage, as_parts

_NUMBER = (int, float)
_MAX_NUMBER = 95_000_000_000.0  # seconds: about the year 5000


def is_kibitz_document(document: Any) -> bool:
    return isinstance(document, Mapping) and document.get("format") == FORMAT_NAME


class _Fields:
    """Typed reads of one JSON object that fail with an error naming the field and where."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, Mapping):
            raise ImportFileError(where, "is not a JSON object")
        self.data = data
        self.where = where

    def checked(self, name: str, kinds: tuple[type, ...], expected: str, optional: bool) -> Any:
        """The field's value if it is one of `kinds` (or null, when `optional`)."""
        value = self.data.get(name)
        if isinstance(value, kinds) and not isinstance(value, bool) and _in_range(value):
            return value
        if optional and value is None:
            return None
        raise ImportFileError(
            self.where, f"“{name}” should be {expected}" + (" or null" if optional else "")
        )

    def text(self, name: str) -> str:
        return str(self.checked(name, (str,), "text", optional=False))

    def text_or_none(self, name: str) -> str | None:
        value = self.checked(name, (str,), "text", optional=True)
        return None if value is None else str(value)

    def number(self, name: str) -> float:
        return float(self.checked(name, _NUMBER, "a number", optional=False))

    def number_or_none(self, name: str) -> float | None:
        value = self.checked(name, _NUMBER, "a number", optional=True)
        return None if value is None else float(value)

    def integer(self, name: str, default: int | None = None) -> int:
        if default is not None and name not in self.data:
            return default
        return int(self.checked(name, (int,), "a whole number", optional=False))

    def integer_or_none(self, name: str) -> int | None:
        value = self.checked(name, (int,), "a whole number", optional=True)
        return None if value is None else int(value)


def _in_range(value: Any) -> bool:
    """Numbers SQLite and the clock can hold: no NaN or infinity (Python's JSON reads them),
    integers within 64 bits, times before the year 5000."""
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) < _MAX_NUMBER
    if isinstance(value, int):
        return abs(value) < 2**63
    return True


def _usage(value: Any, where: str) -> Usage | None:
    if value is None:
        return None
    fields = _Fields(value, f"{where}, usage")
    return Usage(
        fields.integer("prompt_tokens", 0),
        fields.integer("completion_tokens", 0),
        fields.integer("total_tokens", 0),
    )


def _message(data: Any, where: str) -> tuple[int, int | None, ImportedMessage]:
    fields = _Fields(data, where)
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
        parts=as_parts(fields.text("content")),
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
    "temperature": _NUMBER,
    "top_p": _NUMBER,
    "presence_penalty": _NUMBER,
    "frequency_penalty": _NUMBER,
    "max_tokens": (int,),
    "seed": (int,),
    "n": (int,),
    "stop": (list, str),
    "response_format": (str,),
}


def _params(value: Any, where: str) -> RequestParams:
    """Request parameters, each of the type the request needs (they are sent as stored)."""
    fields = _Fields(value, f"{where}, params")
    for name, kinds in _PARAM_KINDS.items():
        fields.checked(name, kinds, f"of type {'/'.join(k.__name__ for k in kinds)}", True)
    stop = value.get("stop")
    if isinstance(stop, list) and not all(isinstance(s, str) for s in stop):
        raise ImportFileError(fields.where, "“stop” should be a list of text")
    if value.get("response_format") not in (None, "text", "json_object"):
        raise ImportFileError(fields.where, "“response_format” should be text or json_object")
    return RequestParams.from_mapping(value)


def convert_conversation(data: Any, index: int, source: str) -> ImportedConversation:
    """One conversation of a Kibitz export; ImportFileError names what is wrong, and where."""
    where = f"{source}: {conversation_label(index, data)}"
    fields = _Fields(data, where)
    uid = fields.text("uid")
    if not uid:
        raise ImportFileError(where, "“uid” is empty")
    raw_messages = data.get("messages")
    if not isinstance(raw_messages, list):
        raise ImportFileError(where, "“messages” should be a list")
    parsed = [_message(m, f"{where}, message {i + 1}") for i, m in enumerate(raw_messages)]
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
    )


def check_version(document: Mapping[str, Any], source: str) -> None:
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ImportFileError(source, "the Kibitz export has no format version")
    if version > FORMAT_VERSION:
        raise ImportFileError(
            source,
            f"it was written by a newer Kibitz (format version {version}; "
            f"this one reads up to {FORMAT_VERSION})",
            hint="Nothing was imported. Update Kibitz, then import the file again.",
        )
