"""Reading the `parts` of a message in a Kibitz JSON export: every field checked, files decoded.

The shape of each part is described in json_export. An image's or file's bytes come as
base64 in `data`; they are stored under the SHA-256 of the decoded bytes, whatever the file
claims, so a file cannot make a part point at bytes it does not carry.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from kibitz.core.store import blob_digest
from kibitz.core.transfer.errors import ImportFileError
from kibitz.core.transfer.fields import Fields
from kibitz.core.types import (
    FilePart,
    ImagePart,
    Part,
    PartType,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    ToolStatus,
)

# Decoded bytes by SHA-256: what the conversation's image and file parts name.
Blobs = dict[str, bytes]
_STATUSES = tuple(s.value for s in ToolStatus)


def _not_negative(fields: Fields, name: str, value: float | None) -> None:
    if value is not None and value < 0:
        raise fields.fail(f"“{name}” should not be negative")


def _data(fields: Fields, blobs: Blobs) -> tuple[str, int]:
    """The SHA-256 and size of the bytes in `data`, which are added to `blobs`."""
    text = fields.text("data")
    try:
        # Line breaks are allowed (some tools wrap base64); anything else must be base64.
        data = base64.b64decode("".join(text.split()), validate=True)
    except ValueError as e:  # binascii.Error, or text that is not ASCII
        reason = str(e)
        raise fields.fail(
            f"“data” is not valid base64 ({reason[:1].lower()}{reason[1:]})"
        ) from None
    digest = blob_digest(data)
    blobs[digest] = data
    return digest, len(data)


def _text(fields: Fields, _: Blobs) -> Part:
    return TextPart(fields.text("text"))


def _reasoning(fields: Fields, _: Blobs) -> Part:
    seconds = fields.number_or_none("seconds")
    _not_negative(fields, "seconds", seconds)
    return ReasoningPart(fields.text("text"), seconds)


def _image(fields: Fields, blobs: Blobs) -> Part:
    width, height = fields.integer_or_none("width"), fields.integer_or_none("height")
    _not_negative(fields, "width", width)
    _not_negative(fields, "height", height)
    name, mime_type = fields.text("name"), fields.text("mime_type")
    digest, size = _data(fields, blobs)
    return ImagePart(digest, name, mime_type, size, width, height)


def _file(fields: Fields, blobs: Blobs) -> Part:
    name, mime_type = fields.text("name"), fields.text("mime_type")
    text = fields.text_or_none("text")
    digest, size = _data(fields, blobs)
    return FilePart(digest, name, mime_type, size, text)


def _tool_call(fields: Fields, _: Blobs) -> Part:
    # `arguments` is kept as the model sent it, even when that is not valid JSON (a reply
    # cut off in the middle of a call).
    return ToolCallPart(
        id=fields.text("id"),
        name=fields.text("name"),
        arguments=fields.text("arguments"),
        server=fields.text_or_none("server"),
        tool=fields.text_or_none("tool"),
    )


def _tool_result(fields: Fields, _: Blobs) -> Part:
    is_error = fields.flag("is_error", False)
    status = fields.choice("status", _STATUSES, default="error" if is_error else "ok")
    seconds = fields.number_or_none("seconds")
    _not_negative(fields, "seconds", seconds)
    return ToolResultPart(
        tool_call_id=fields.text("tool_call_id"),
        content=fields.text("content"),
        is_error=is_error,
        status=ToolStatus(status),
        seconds=seconds,
    )


_READERS: dict[PartType, Callable[[Fields, Blobs], Part]] = {
    PartType.TEXT: _text,
    PartType.REASONING: _reasoning,
    PartType.IMAGE: _image,
    PartType.FILE: _file,
    PartType.TOOL_CALL: _tool_call,
    PartType.TOOL_RESULT: _tool_result,
}


def _part(data: Any, where: str, blobs: Blobs) -> Part:
    fields = Fields(data, where)
    kind = fields.text("type")
    try:
        part_type = PartType(kind)
    except ValueError:
        # A new part type comes with a new format version (refused as a whole before this),
        # so this file was made or changed by hand: say so rather than drop the part.
        known = ", ".join(t.value for t in PartType)
        raise fields.fail(f"unknown part type “{kind}” (Kibitz knows {known})") from None
    return _READERS[part_type](fields, blobs)


def read_parts(value: Any, where: str, blobs: Blobs) -> tuple[Part, ...]:
    """The parts listed in `value`; the bytes of images and files go into `blobs`."""
    if not isinstance(value, list):
        raise ImportFileError(where, "“parts” should be a list")
    return tuple(_part(item, f"{where}, part {n}", blobs) for n, item in enumerate(value, 1))
