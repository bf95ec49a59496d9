"""The images and files of a Markdown export: written beside the .md files, linked relatively.

A conversation's files go in a folder named like its .md file without the `.md`, so the two
sort side by side and a conversation without files adds no folder. Each file is named after
its part, made safe for every OS (filenames.safe_name) and unique in that folder without
regard to case (Windows and macOS do not tell `A.png` from `a.png`); the same bytes under
the same name are written once. Names depend only on the conversation, so exporting again
rewrites the same files instead of adding `chart 2.png` beside `chart.png`.

An image whose name does not say it is an image (ChatGPT keeps some as `….dat`, a pasted one
may have no extension) gets its type's extension: Markdown readers and file managers go by
the name, not by the bytes.

Links are percent-encoded relative paths (`2025-06-15%20trip%20%28ab12cd34%29/chart.png`):
CommonMark ends an unbracketed link at a space, and Obsidian, GitHub and pandoc all decode
the escapes.
"""

from __future__ import annotations

import mimetypes
import unicodedata
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from kibitz.core.errors import NotFoundError
from kibitz.core.transfer.filenames import safe_name
from kibitz.core.types import FilePart, ImagePart

# The bytes stored under a SHA-256 (Store.blob).
BlobReader = Callable[[str], bytes]

# Chosen here rather than by mimetypes.guess_extension, whose answer for JPEG depends on the
# machine's /etc/mime.types (".jpe" on some): the same export must get the same names anywhere.
_IMAGE_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
    "image/tiff": ".tiff",
    "image/heic": ".heic",
    "image/avif": ".avif",
    "image/svg+xml": ".svg",
}
_PLACEHOLDER_SUFFIXES = (".dat", ".bin", ".tmp")
# Most file systems allow 255 bytes per name: room for " 99" and the longest extension.
_STEM_BYTES = 200


def _shortened(stem: str) -> str:
    while len(stem.encode("utf-8")) > _STEM_BYTES:
        stem = stem[:-1]
    return stem


def attachment_name(part: ImagePart | FilePart) -> str:
    """The part's own name as a safe file name; an image's with an image extension."""
    fallback = "image" if isinstance(part, ImagePart) else "file"
    name = unicodedata.normalize("NFC", " ".join(part.name.split())) or fallback
    path = PurePosixPath(safe_name(name))
    stem, suffix = path.stem, path.suffix
    if isinstance(part, ImagePart):
        named_as = mimetypes.guess_type(path.name, strict=False)[0] or ""
        extension = _IMAGE_EXTENSIONS.get(part.mime_type.lower())
        if not named_as.startswith("image/") and extension is not None:
            if suffix.lower() not in _PLACEHOLDER_SUFFIXES:
                stem += suffix
            suffix = extension
    return safe_name(f"{_shortened(stem) or fallback}{suffix}")


def _unique(name: str, taken: set[str]) -> str:
    """`name`, or `stem 2.ext`, `stem 3.ext`…: the first not in `taken` (lower-cased)."""
    path = PurePosixPath(name)
    candidate, n = name, 2
    while candidate.lower() in taken:
        candidate = f"{path.stem} {n}{path.suffix}"
        n += 1
    taken.add(candidate.lower())
    return candidate


class ConversationFiles:
    """The files of one conversation's Markdown: named as they are linked, written after.

    `link` is what markdown_parts calls for each image and file part it lays out; `write`
    then copies the bytes of those, and only those, out of the store.
    """

    def __init__(self, folder: Path, stem: str) -> None:
        self.stem = stem  # the .md file's name without `.md`: the folder's name
        self.folder = folder / stem
        self._names: dict[tuple[str, str], str] = {}  # (SHA-256, part name) -> file name
        self._taken: set[str] = set()

    def link(self, part: ImagePart | FilePart) -> str:
        """The relative, percent-encoded path the .md links the part by."""
        key = (part.blob, part.name)
        name = self._names.get(key)
        if name is None:
            name = _unique(attachment_name(part), self._taken)
            self._names[key] = name
        return quote(f"{self.stem}/{name}")

    def write(self, read: BlobReader) -> list[Path]:
        """Write every linked file (replacing one of the same name); the paths written.

        Raises NotFoundError naming the file whose bytes the store no longer has, OSError
        when the disk refuses.
        """
        if not self._names:
            return []
        self.folder.mkdir(exist_ok=True)
        written = []
        for (digest, _), name in self._names.items():
            try:
                data = read(digest)
            except NotFoundError as e:
                raise NotFoundError(f"“{name}”, {e.detail}", headline=e.headline) from e
            path = self.folder / name
            path.write_bytes(data)
            written.append(path)
        return written
