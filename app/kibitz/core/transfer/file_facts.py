"""What an imported file's own bytes say about it: its type, an image's size, a text's words.

An export's metadata is a claim (ChatGPT keeps images as `….dat`, names lie, some records
have no type at all); the bytes are the file. They decide the type when they carry a magic
number, and an image's width and height when its header can be read. Sizes and text come
from core.attachments, so an imported file reads as the same file attached in the composer
would; Pillow and charset-normalizer load on the first file that needs them.
"""

from __future__ import annotations

import warnings

from kibitz.core.attachments import documents, images
from kibitz.core.attachments.reading import DOCUMENT_LIMIT
from kibitz.core.errors import AttachmentError

UNKNOWN_TYPE = "application/octet-stream"
# Magic numbers of the types a chat export stores as files (images, and PDFs).
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"%PDF-", "application/pdf"),
)
# Types that are text, for all that they are filed under "application/".
_TEXT_TYPES = frozenset(
    {
        "application/json",
        "application/xml",
        "application/javascript",
        "application/x-javascript",
        "application/yaml",
        "application/x-yaml",
        "application/toml",
        "application/sql",
        "application/x-sh",
        "application/x-python-code",
    }
)
# Past this a text file is kept as a file without text, as the composer refuses to send it.
TEXT_BYTES = DOCUMENT_LIMIT


def sniffed_type(data: bytes) -> str | None:
    """The type the bytes' magic number gives, if they start with one known here."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def is_text_type(mime_type: str) -> bool:
    mime = mime_type.split(";", 1)[0].strip().lower()
    return mime.startswith("text/") or mime in _TEXT_TYPES or mime.endswith(("+json", "+xml"))


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) as the image is shown (EXIF orientation applied), read from its
    header only; None when it cannot be read."""
    try:
        with warnings.catch_warnings():
            # Only the header is read: a huge image costs nothing here, and what Pillow says
            # of a damaged one (corrupt EXIF, truncated data) changes nothing either.
            warnings.simplefilter("ignore")
            width, height = images.image_size(data)
    except AttachmentError:
        return None
    return (width, height) if width > 0 and height > 0 else None


def decoded_text(data: bytes) -> str | None:
    """A text file's words, decoded as the composer decodes an attached one; None for bytes
    that are not text, or too many to send."""
    return None if len(data) > TEXT_BYTES else documents.decode_text(data)
