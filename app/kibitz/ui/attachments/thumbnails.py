"""ThumbnailLoader: small pictures of images for the composer's chips and the chat, made off
the UI thread and kept in memory (a bounded cache), so scrolling back shows them at once.

Stored images go through the core's ThumbnailCache (a PNG per image and size, made once and
kept on disk): a conversation opened again decodes a few kilobytes per image, not its photo.
Images not stored yet (a chip in the composer) are scaled from their bytes each time.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtGui import QImage, QPixmap

from kibitz.ui.attachments.jobs import MediaJobs

if TYPE_CHECKING:
    from kibitz.core.attachments.thumbnails import ThumbnailCache
    from kibitz.core.store import Store

log = logging.getLogger(__name__)

# Thumbnails come in two sizes (device pixels), so one cached file serves chips and the chat
# alike; 512 for screens that scale by more than 1.
SIDES = (256, 512)
_MEMORY_BUDGET = 48 * 1024 * 1024  # bytes of pixels held in memory
Done = Callable[[QPixmap], None]
Failed = Callable[[BaseException], None]


def side_for(logical: int, device_pixel_ratio: float) -> int:
    """The thumbnail size that covers `logical` pixels on a screen of this ratio."""
    wanted = math.ceil(logical * device_pixel_ratio)
    return next((side for side in SIDES if side >= wanted), SIDES[-1])


class _Waiting:
    __slots__ = ("entries",)

    def __init__(self) -> None:
        self.entries: list[tuple[QObject, Done, Failed | None]] = []


class ThumbnailLoader(QObject):
    def __init__(
        self,
        jobs: MediaJobs,
        store: Store,
        folder: Path | None,
        parent: QObject | None = None,
    ) -> None:
        """`folder`: where thumbnails of stored images are kept (None: made each time)."""
        super().__init__(parent)
        self._jobs = jobs
        self._store = store
        self._folder = folder
        self._disk: ThumbnailCache | None = None
        self._memory: OrderedDict[tuple[str, int], QPixmap] = OrderedDict()
        self._memory_bytes = 0
        self._waiting: dict[tuple[str, int], _Waiting] = {}
        self.made = 0  # thumbnails decoded so far (tests and benchmarks read it)

    def cached(self, blob: str, side: int) -> QPixmap | None:
        """The thumbnail if it is in memory (no work, no waiting)."""
        key = (blob, side)
        pixmap = self._memory.get(key)
        if pixmap is not None:
            self._memory.move_to_end(key)
        return pixmap

    def request_blob(
        self, blob: str, side: int, receiver: QObject, done: Done, failed: Failed | None = None
    ) -> None:
        """The thumbnail of a stored image: `done(pixmap)` at once if in memory, else later on
        the UI thread (if `receiver` still exists)."""
        pixmap = self.cached(blob, side)
        if pixmap is not None:
            done(pixmap)
            return
        key = (blob, side)
        waiting = self._waiting.get(key)
        if waiting is not None:
            waiting.entries.append((receiver, done, failed))
            return
        waiting = self._waiting[key] = _Waiting()
        waiting.entries.append((receiver, done, failed))
        self._jobs.submit(
            lambda: self._image_of_blob(blob, side),
            lambda image: self._on_made(key, image),
            lambda error: self._on_failed(key, error),
            receiver=self,
        )

    def request_bytes(
        self, data: bytes, side: int, receiver: QObject, done: Done, failed: Failed | None = None
    ) -> None:
        """The thumbnail of an image not stored yet (a chip in the composer)."""
        self._jobs.submit(
            lambda: _image_of_bytes(data, side),
            lambda image: done(self._pixmap(image)),
            failed,
            receiver=receiver,
        )

    # -- on the worker --------------------------------------------------------------------------

    def _image_of_blob(self, blob: str, side: int) -> QImage:
        if self._folder is None:
            return _image_of_bytes(self._store.blob(blob), side)
        if self._disk is None:
            from kibitz.core.attachments.thumbnails import ThumbnailCache

            self._disk = ThumbnailCache(self._folder, load=self._store.blob)
        image = QImage(str(self._disk.path(blob, side)))
        if image.isNull():
            raise ValueError(f"thumbnail of {blob[:12]} could not be decoded")
        return image

    # -- back on the UI thread ------------------------------------------------------------------

    def _pixmap(self, image: QImage) -> QPixmap:
        self.made += 1
        return QPixmap.fromImage(image)

    def _on_made(self, key: tuple[str, int], image: QImage) -> None:
        pixmap = self._pixmap(image)
        self._remember(key, pixmap)
        for _receiver, done, _failed in self._take(key):
            done(pixmap)

    def _on_failed(self, key: tuple[str, int], error: BaseException) -> None:
        log.warning("no thumbnail for %s: %s", key[0][:12], error)
        for _receiver, _done, failed in self._take(key):
            if failed is not None:
                failed(error)

    def _take(self, key: tuple[str, int]) -> list[tuple[QObject, Done, Failed | None]]:
        waiting = self._waiting.pop(key, None)
        entries = waiting.entries if waiting is not None else []
        return [entry for entry in entries if shiboken6.isValid(entry[0])]

    def _remember(self, key: tuple[str, int], pixmap: QPixmap) -> None:
        self._memory[key] = pixmap
        self._memory_bytes += _bytes_of(pixmap)
        while self._memory_bytes > _MEMORY_BUDGET and len(self._memory) > 1:
            _old, dropped = self._memory.popitem(last=False)
            self._memory_bytes -= _bytes_of(dropped)


def _bytes_of(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * 4


def _image_of_bytes(data: bytes, side: int) -> QImage:
    from kibitz.core.attachments.images import thumbnail_png

    image = QImage.fromData(thumbnail_png(data, side))
    if image.isNull():
        raise ValueError("the thumbnail could not be decoded")
    return image
