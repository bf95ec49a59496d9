"""What a paste or a drop carries: files to attach, an export to import, an image, or text.

A file manager copies files as a text/uri-list (with the paths as plain text beside it): those
attach, they are not pasted as text. A screenshot tool copies image data: it attaches as a PNG.
When the clipboard holds both text and an image (a spreadsheet's cells come with a picture of
them), the text wins: that is what the user copied to write with.

Dropped .zip files and .json files that are exports (a Kibitz export, ChatGPT's
conversations.json) are imported; any other file attaches, including other JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QImage

# Image bytes taken as they are (no re-encoding) when the clipboard offers one of these.
IMAGE_FORMATS = ("image/png", "image/jpeg", "image/webp", "image/gif")
IMPORT_SUFFIXES = (".zip", ".json")
_SNIFF_BYTES = 64 * 1024
_sniffed: dict[tuple[str, int, int], bool] = {}  # (path, size, mtime) -> is an export


@dataclass(frozen=True, slots=True)
class PastedImage:
    """Image data from the clipboard: its bytes when offered in a known format, else the
    decoded image (to be encoded as PNG off the UI thread)."""

    data: bytes | None
    mime_type: str
    image: QImage | None = None


def local_paths(mime: QMimeData) -> list[Path]:
    """The local files (and folders) a paste or a drop carries, in order."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def is_export(path: Path) -> bool:
    """A file that a drop imports: a zip, or JSON that is a Kibitz or ChatGPT export.

    Decided from the first 64 KB: both exports name themselves early (our header opens the
    file; ChatGPT's first conversation has its "mapping" right after the title and times).
    An unreadable .json counts as an export, so the import reports why it cannot be read.
    """
    suffix = path.suffix.lower()
    if suffix not in IMPORT_SUFFIXES:
        return False
    if suffix == ".zip":
        return True
    try:
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        known = _sniffed.get(key)
        if known is not None:
            return known
        with path.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES).decode("utf-8", errors="ignore")
    except OSError:
        return True
    head = head.lstrip("\ufeff \t\r\n")
    found = (head.startswith("{") and '"kibitz-export"' in head) or (
        head[:1] in ("[", "{") and '"mapping"' in head
    )
    if len(_sniffed) > 64:
        _sniffed.clear()
    _sniffed[key] = found
    return found


def export_paths(mime: QMimeData) -> list[Path]:
    return [p for p in local_paths(mime) if is_export(p)]


def attachable_paths(mime: QMimeData) -> list[Path]:
    """The local files a drop attaches: all but exports (which import)."""
    return [p for p in local_paths(mime) if not is_export(p)]


def pasted_image(mime: QMimeData) -> PastedImage | None:
    """The image a paste carries, unless it carries text too (then the text is pasted)."""
    if mime.hasText() and mime.text().strip():
        return None
    for mime_type in IMAGE_FORMATS:
        if mime.hasFormat(mime_type):
            data = bytes(mime.data(mime_type).data())
            if data:
                return PastedImage(data, mime_type)
    if mime.hasImage():
        image = mime.imageData()
        if isinstance(image, QImage) and not image.isNull():
            # Not copied (48 MB for a 12-megapixel screenshot, on the UI thread): QImage is
            # shared copy-on-write, so a clipboard that changes its image leaves this one be.
            return PastedImage(None, "image/png", image)
    return None


def encode_png(image: QImage) -> bytes:
    """PNG bytes of a pasted image (on the worker: a 4K screenshot takes a while)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    buffer = QByteArray()
    device = QBuffer(buffer)
    device.open(QIODevice.OpenModeFlag.WriteOnly)
    # The stubs say bytes; PySide takes only a str here (a bytes format raises ValueError).
    if not image.save(device, "PNG"):  # type: ignore[call-overload]
        raise ValueError("the pasted image could not be encoded as PNG")
    device.close()
    return bytes(buffer.data())
