"""AttachmentIntake: what the user attaches reaches the composer as chips, read off the UI thread.

Every way in ends here: the paperclip's file dialog, files pasted or dropped on the composer,
files dropped on the chat (`add_paths`), image data pasted (`add_pasted_image`). A chip shows
at once, "reading…"; reading (a PDF's text, a 12-megapixel photo's header) runs on the media
worker, then the chip is filled, or removed and the user told why. The failures of one batch
(several files dropped at once) are told in one notice, the others' chips stay.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths
from PySide6.QtWidgets import QFileDialog

from kibitz.core.attachments import Attachment
from kibitz.core.errors import KibitzError
from kibitz.ui.attachments.jobs import MediaJobs
from kibitz.ui.attachments.mime import PastedImage, encode_png
from kibitz.ui.notify import Notice, Notify
from kibitz.ui.views.attachment_chip import AttachmentChip
from kibitz.ui.views.composer import Composer

log = logging.getLogger(__name__)

# What the file dialog offers first; "All files" is always there (the bytes decide anyway).
_FILTERS = (
    "Images, PDFs and text (*.png *.jpg *.jpeg *.webp *.gif *.bmp *.tif *.tiff *.heic *.avif "
    "*.pdf *.txt *.md *.csv *.json *.log *.py *.js *.ts *.html *.xml *.yaml *.yml *.toml)",
    "All files (*)",
)
_IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".avif", ".ico"}
)


class _Batch:
    """The files offered at once: their failures are told together when the last is read."""

    __slots__ = ("failures", "pending")

    def __init__(self, pending: int) -> None:
        self.pending = pending
        self.failures: list[tuple[str, KibitzError]] = []


class AttachmentIntake(QObject):
    def __init__(
        self, composer: Composer, jobs: MediaJobs, notify: Notify, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._composer = composer
        self._jobs = jobs
        self._notify = notify
        self.folder = Path(
            QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
            or Path.home()
        )
        self.dialog: QFileDialog | None = None  # the open paperclip dialog, if any
        composer.attach_requested.connect(self.choose_files)
        composer.files_offered.connect(self.add_paths)
        composer.image_offered.connect(self.add_pasted_image)

    def choose_files(self) -> QFileDialog:
        """The paperclip: a file dialog for one or more files (window-modal, not blocking)."""
        if self.dialog is not None:
            self.dialog.raise_()
            return self.dialog
        parent = self._composer.window()
        dialog = QFileDialog(parent, "Attach files", str(self.folder))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilters(list(_FILTERS))
        dialog.filesSelected.connect(self._on_dialog_files_selected)
        dialog.finished.connect(self._on_dialog_finished)
        self.dialog = dialog
        dialog.open()
        return dialog

    def add_paths(self, paths: Sequence[Path]) -> None:
        """Read these files into the composer, each behind a chip that shows at once."""
        if not paths:
            return
        batch = _Batch(len(paths))
        for path in paths:
            self._read(path, batch)

    def _read(self, path: Path, batch: _Batch) -> None:
        from kibitz.core.attachments.reading import read_attachment

        image = path.suffix.lower() in _IMAGE_SUFFIXES  # a guess until the bytes are read
        chip = self._composer.add_reading(path.name, image=image)
        self._jobs.submit(
            lambda: read_attachment(path),
            lambda value: self._on_read(chip, batch, value),
            lambda error: self._on_failed(chip, batch, path.name, error),
            receiver=self._composer,
        )

    def add_pasted_image(self, pasted: PastedImage) -> None:
        """Image data from the clipboard, as pasted-image-N.png."""
        from kibitz.core.attachments.reading import attachment_from_bytes, pasted_image_name

        name = pasted_image_name(self._composer.attachment_names())
        chip = self._composer.add_reading(name, image=True)
        batch = _Batch(1)

        def read() -> Attachment:
            data = pasted.data
            if data is None:
                assert pasted.image is not None
                data = encode_png(pasted.image)
            return attachment_from_bytes(data, name, pasted.mime_type)

        self._jobs.submit(
            read,
            lambda value: self._on_read(chip, batch, value),
            lambda error: self._on_failed(chip, batch, name, error),
            receiver=self._composer,
        )

    # -- results (UI thread) --------------------------------------------------------------------

    def _on_read(self, chip: AttachmentChip, batch: _Batch, value: Attachment) -> None:
        self._composer.fill(chip, value)
        self._done(batch)

    def _on_failed(
        self, chip: AttachmentChip, batch: _Batch, name: str, error: BaseException
    ) -> None:
        self._composer.withdraw(chip)
        if not isinstance(error, KibitzError):
            # A bug of ours, not the file's: logged whole, told plainly.
            log.error("reading %s failed", name, exc_info=error)
            error = KibitzError(
                f"{type(error).__name__}: {error}", headline=f"{name} cannot be attached"
            )
        batch.failures.append((name, error))
        self._done(batch)

    def _done(self, batch: _Batch) -> None:
        batch.pending -= 1
        if batch.pending or not batch.failures:
            return
        if len(batch.failures) == 1:
            ((_name, error),) = batch.failures
            text = " ".join(error.lines())
        else:
            names = "; ".join(f"{error.headline} ({error.detail or error.hint})"
                              for _name, error in batch.failures)  # fmt: skip
            text = f"{len(batch.failures)} files could not be attached: {names}"
        self._notify(Notice(text, timeout_ms=0, kind="error"))

    def _on_dialog_files_selected(self, files: list[str]) -> None:
        paths = [Path(f) for f in files]
        if paths:
            self.folder = paths[0].parent
        self.add_paths(paths)

    def _on_dialog_finished(self, _result: int) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.deleteLater()
        self._composer.focus_input()
