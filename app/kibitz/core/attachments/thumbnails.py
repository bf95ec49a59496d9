"""ThumbnailCache: a PNG per stored image and size, made once and kept in the cache folder.

Opening a conversation again then reads a few kilobytes per image instead of decoding its
photo. Files are written under a temporary name and renamed into place, so another thread or
another Kibitz process never reads half a thumbnail; two that make the same one at once
write the same bytes, and the last rename wins.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from kibitz.core.attachments.images import thumbnail_png
from kibitz.core.errors import AttachmentError

log = logging.getLogger(__name__)

# Blob keys name files: only a SHA-256 in hex may, so a key can never reach outside the folder.
_BLOB_KEY = re.compile(r"[0-9a-f]{64}")
# Thumbnails of different images are made in parallel; the same one only once at a time.
_STRIPES = 16


class ThumbnailCache:
    def __init__(self, folder: Path, load: Callable[[str], bytes]) -> None:
        """`folder`: where the PNGs live (made when first needed); `load`: a blob's bytes by
        its SHA-256 key, such as `Store.blob`."""
        self._folder = folder
        self._load = load
        self._locks = [threading.Lock() for _ in range(_STRIPES)]

    def path(self, blob: str, max_side: int) -> Path:
        """The PNG file of the thumbnail of `blob`, no longer than `max_side`, made if missing.

        Raises AttachmentError when the blob is no readable image or the file cannot be
        written, and whatever `load` raises for a blob that is not stored.
        """
        if not _BLOB_KEY.fullmatch(blob):
            raise ValueError(f"not a blob key: {blob!r}")
        if max_side < 1:
            raise ValueError(f"max_side must be positive, not {max_side}")
        target = self._folder / f"{blob}-{max_side}.png"
        if _is_made(target):
            return target
        with self._locks[hash((blob, max_side)) % _STRIPES]:
            if _is_made(target):  # another thread made it while this one waited
                return target
            png = thumbnail_png(self._load(blob), max_side)
            self._write(target, png)
        return target

    def _write(self, target: Path, png: bytes) -> None:
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(
                dir=self._folder, prefix=f".{target.stem}-", suffix=".tmp"
            )
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(png)
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise AttachmentError(
                f"{target}: {exc.strerror or exc}",
                headline="A thumbnail could not be saved",
                hint="Check that the cache folder is writable and the disk is not full.",
                path=str(target),
            ) from None
        log.debug("thumbnail made: %s (%d bytes)", target.name, len(png))


def _is_made(target: Path) -> bool:
    # Without an fsync (not worth one for a cache), a crash just after the rename can leave
    # an empty file on some file systems: that counts as missing and is made again.
    try:
        return target.stat().st_size > 0
    except OSError:
        return False
