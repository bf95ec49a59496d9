"""Opening a message's attachments: an image in Kibitz's viewer, any other file in the
system's default application.

A file is opened from a copy in a private temporary folder (MediaServices.copies_folder:
0700, removed when Kibitz quits), never from the store: the application may change or lock
its file, and the store's bytes must stay as they were sent. Each stored file gets its own
subfolder, so two files of the same name never overwrite each other.
"""

from __future__ import annotations

import logging
import mimetypes
import os
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QImage, QImageReader
from PySide6.QtWidgets import QWidget

from kibitz.core.errors import KibitzError
from kibitz.core.types import FilePart, ImagePart
from kibitz.ui.attachments.media import MediaServices
from kibitz.ui.notify import Notice, Notify
from kibitz.ui.views.image_viewer import ImageViewer

log = logging.getLogger(__name__)


class AttachmentOpener(QObject):
    viewer_opened = Signal(object)  # ImageViewer
    file_opened = Signal(Path)  # the copy handed to the system's default application

    def __init__(self, media: MediaServices, notify: Notify, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._media = media
        self._store = media.store
        self._jobs = media.jobs
        self._notify = notify

    def open(self, part: ImagePart | FilePart, parent: QWidget | None = None) -> None:
        if isinstance(part, ImagePart):
            self.open_image(part, parent)
        else:
            self.open_file(part)

    def open_image(self, part: ImagePart, parent: QWidget | None = None) -> ImageViewer:
        """The viewer, at once (sized to the image), showing it once it is decoded."""
        known = (part.width, part.height) if part.width and part.height else None
        viewer = ImageViewer(part.name, part.size, known, parent)
        viewer.show()
        viewer.raise_()
        viewer.activateWindow()
        # The copy painted while the image is shown whole: the screen's size in device pixels.
        screen = viewer.screen().availableGeometry().size() * viewer.devicePixelRatioF()
        bytes_held: list[bytes] = []

        def load() -> tuple[bytes, QImage, QImage | None]:
            data = self._store.blob(part.blob)
            image, screen_copy = decode_image(data, screen)
            return data, image, screen_copy

        def shown(result: tuple[bytes, QImage, QImage | None]) -> None:
            data, image, screen_copy = result
            bytes_held.append(data)
            viewer.set_image(image, screen_copy)

        def failed(error: BaseException) -> None:
            log.warning("image %s could not be shown: %s", part.name, error)
            viewer.show_failure(_failure_text(error, "The image could not be shown"))

        def save(path: Path) -> None:
            if bytes_held:
                self._save(viewer, bytes_held[0], path)

        viewer.save_requested.connect(save)
        self._jobs.submit(load, shown, failed, receiver=viewer)
        self.viewer_opened.emit(viewer)
        return viewer

    def open_file(self, part: FilePart) -> None:
        """A private copy of the file, opened with the system's default application."""

        def copy() -> Path:
            return self._copy(part)

        def hand_over(path: Path) -> None:
            self.file_opened.emit(path)
            if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
                self._notify(
                    Notice(
                        f"No application opened {part.name}. A copy is at {path}.",
                        timeout_ms=0,
                        kind="warning",
                    )
                )

        def failed(error: BaseException) -> None:
            log.warning("file %s could not be opened: %s", part.name, error)
            text = _failure_text(error, f"{part.name} could not be opened")
            self._notify(Notice(text, timeout_ms=0, kind="error"))

        self._jobs.submit(copy, hand_over, failed, receiver=self)

    # -- on the worker --------------------------------------------------------------------------

    def _copy(self, part: FilePart) -> Path:
        folder = self._media.copies_folder() / part.blob[:16]
        folder.mkdir(mode=0o700, exist_ok=True)
        target = folder / safe_file_name(part.name, part.mime_type)
        if not target.exists():
            data = self._store.blob(part.blob)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
        return target

    def _save(self, viewer: ImageViewer, data: bytes, path: Path) -> None:
        def write() -> Path:
            path.write_bytes(data)
            return path

        def saved(where: Path) -> None:
            viewer.show_status(f"Saved to {where}")

        def failed(error: BaseException) -> None:
            reason = error.strerror if isinstance(error, OSError) else None
            viewer.show_status(f"Could not save: {reason or error}")

        viewer.show_status("Saving…")
        self._jobs.submit(write, saved, failed, receiver=viewer)


def safe_file_name(name: str, mime_type: str) -> str:
    """`name` as one file name (no folders, no NUL), with an extension the system can use to
    choose the application (added from the type when the name has none)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].replace("\0", "").strip() or "attachment"
    if base in (".", ".."):
        base = "attachment"
    if not Path(base).suffix:
        base += mimetypes.guess_extension(mime_type.split(";")[0].strip()) or ".txt"
    return base


def decode_image(data: bytes, screen: QSize) -> tuple[QImage, QImage | None]:
    """The image upright (EXIF orientation applied), and a copy scaled to fit `screen` when it
    is bigger (the viewer paints it whole from that). Formats Qt cannot read (HEIC, AVIF on
    some systems) go through the core's Pillow path instead."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    image = reader.read()
    buffer.close()
    if image.isNull():
        from kibitz.core.attachments.images import image_size, thumbnail_png

        width, height = image_size(data)
        image = QImage.fromData(thumbnail_png(data, max(width, height)))
        if image.isNull():
            raise ValueError(f"unreadable image ({reader.errorString()})")
    image = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    if image.width() <= screen.width() and image.height() <= screen.height():
        return image, None
    copy = image.scaled(
        screen,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )
    return image, copy


def _failure_text(error: BaseException, fallback: str) -> str:
    if isinstance(error, KibitzError):
        return " ".join(error.lines())
    if isinstance(error, OSError):
        return f"{fallback}: {error.strerror or error}."
    return f"{fallback}."
