"""Attachments: files and images the user hands to the model with a message.

The road of an attachment:
- `reading`: a path, a paste or a drop becomes an `Attachment` (its bytes as given, its kind,
  for a document the text that will be sent), or an `AttachmentError` naming the file and what
  to do. Nothing is stored or sent yet.
- `ConversationEngine.send(..., attachments=...)` stores the bytes once (content-addressed
  blobs) and the message's `ImagePart`/`FilePart`s, after checking the whole message fits the
  model's window: a message is never sent half-built.
- `wire`: when a request is built, images become `image_url` parts (scaled down and turned
  upright by `images.image_for_sending`; the stored original stays as given) and documents
  become text naming the file.
- `thumbnails`: small PNGs for the composer's chips and the chat, made once and cached on disk.

Heavy libraries (Pillow, pypdf, charset-normalizer) load when first needed, never at start-up.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class AttachmentKind(enum.StrEnum):
    IMAGE = "image"  # sent as an image_url part
    FILE = "file"  # a document: its text is sent


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file ready to go with a message: read and checked, not stored yet."""

    name: str  # the file's name as the user sees it ("pasted-image-1.png" for a paste)
    mime_type: str
    data: bytes  # exactly as the user gave it
    kind: AttachmentKind
    text: str | None = None  # FILE: what is sent (decoded text, or a PDF's extracted text)
    width: int | None = None  # IMAGE: as displayed (EXIF orientation applied)
    height: int | None = None

    @property
    def size(self) -> int:
        return len(self.data)


__all__ = ["Attachment", "AttachmentKind"]
