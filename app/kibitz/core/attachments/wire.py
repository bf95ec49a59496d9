"""A stored user message with attachments as the chat-completions API takes it.

Documents go as text naming the file, in the same message as the typed text; images go as
`image_url` parts holding a `data:` URL, upright and scaled to what servers accept (the stored
original is never changed). A message without images stays one string, which every server
takes, including those that know no content arrays.
"""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from kibitz.core.types import TEXT_SEPARATOR, FilePart, ImagePart, Message, Part, TextPart

LoadBlob = Callable[[str], bytes]

# Prepared images are kept between requests: every follow-up re-sends the branch's images, and
# scaling a 12-megapixel photo takes a good part of a second.
_CACHE_BYTES = 64 * 1024 * 1024


def file_block(name: str, text: str) -> str:
    """How a document's text is put before the model: named, verbatim, clearly delimited."""
    quoted = name.replace('"', "'")
    return f'<file name="{quoted}">\n{text.rstrip()}\n</file>'


def has_attachments(message: Message) -> bool:
    return any(isinstance(p, ImagePart | FilePart) for p in message.parts)


def message_text(parts: tuple[Part, ...]) -> str:
    """The text a message sends: what was typed, then each document's text, in order."""
    texts: list[str] = []
    for part in parts:
        if isinstance(part, TextPart) and part.text:
            texts.append(part.text)
        elif isinstance(part, FilePart):
            texts.append(file_block(part.name, part.text or ""))
    return TEXT_SEPARATOR.join(texts)


class PreparedImages:
    """Images ready to send, by blob and limits; bounded, shared by threads."""

    def __init__(self, budget: int = _CACHE_BYTES) -> None:
        self._budget = budget
        self._used = 0
        self._items: OrderedDict[tuple[str, int], tuple[bytes, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, part: ImagePart, load: LoadBlob, max_side: int) -> tuple[bytes, str]:
        key = (part.blob, max_side)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        from kibitz.core.attachments.images import image_for_sending

        data, mime = image_for_sending(load(part.blob), part.mime_type, max_side=max_side)
        with self._lock:
            if key not in self._items:
                self._items[key] = (data, mime)
                self._used += len(data)
            while self._used > self._budget and len(self._items) > 1:
                _, (old, _) = self._items.popitem(last=False)
                self._used -= len(old)
        return data, mime


PREPARED = PreparedImages()


def image_url_part(
    part: ImagePart, load: LoadBlob, *, detail: str | None = None, max_side: int = 2048
) -> dict[str, Any]:
    data, mime = PREPARED.get(part, load, max_side)
    url = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    image: dict[str, Any] = {"url": url}
    if detail:
        image["detail"] = detail
    return {"type": "image_url", "image_url": image}


def user_content(
    message: Message, load: LoadBlob, *, detail: str | None = None
) -> str | list[dict[str, Any]]:
    """The `content` of a user message: a string, or text and image parts when it has images."""
    text = message_text(message.parts)
    images = [p for p in message.parts if isinstance(p, ImagePart)]
    if not images:
        return text
    content: list[dict[str, Any]] = []
    if text:
        content.append({"type": "text", "text": text})
    content.extend(image_url_part(p, load, detail=detail) for p in images)
    return content
