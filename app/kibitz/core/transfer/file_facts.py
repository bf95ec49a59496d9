"""What an imported file's own bytes say about it: its type, an image's size, a text's words.

An export's metadata is a claim (ChatGPT keeps images as `….dat`, names lie, some records
have no type at all); the bytes are the file. They decide the type when they carry a magic
number, and an image's width and height when its header can be read. Pillow and
charset-normalizer load on the first file that needs them, never for an export without any.
"""

from __future__ import annotations

import io
import warnings

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
# A document's text goes to the model with every later request; past this a text file is
# kept as a file (its bytes stored) without text, rather than filling the context window.
TEXT_BYTES = 1 << 20
# EXIF orientations that turn an image a quarter: shown as height x width.
_QUARTER_TURNS = frozenset({5, 6, 7, 8})
_ORIENTATION = 0x0112


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
    header only; None when Pillow cannot read it."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Only the header is read: a huge image costs nothing here, and what Pillow says
            # of a damaged one (corrupt EXIF, truncated data) changes nothing either.
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                turned = image.getexif().get(_ORIENTATION) in _QUARTER_TURNS
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        return None
    if width <= 0 or height <= 0:
        return None
    return (height, width) if turned else (width, height)


def decoded_text(data: bytes) -> str | None:
    """A text file's words: UTF-8 (with or without a BOM), else the encoding detected; None
    for bytes that are not text, or too many to send."""
    if len(data) > TEXT_BYTES or b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return None if best is None else str(best)
