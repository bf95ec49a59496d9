"""ComposerEdit: the composer's text field, which grows with its text and hands files over."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtWidgets import QFrame, QPlainTextEdit, QWidget

_MIN_LINES = 1
_MAX_LINES = 10


class ComposerEdit(QPlainTextEdit):
    """A plain-text editor that grows with its text, up to a limit. Files and image data
    pasted or dropped into it are offered as attachments instead of inserted as text."""

    files_offered = Signal(list)  # list[Path]
    image_offered = Signal(object)  # PastedImage

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.textChanged.connect(self._fit_height)
        self._fit_height()

    def _fit_height(self) -> None:
        wanted = self.document().size().height()
        lines = max(_MIN_LINES, min(_MAX_LINES, wanted))
        # A scroll bar only once the text is taller than the field may grow.
        self.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAsNeeded
            if wanted > _MAX_LINES
            else Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        line_height = self.fontMetrics().lineSpacing()
        margins = self.contentsMargins()
        extra = int(self.document().documentMargin() * 2) + margins.top() + margins.bottom()
        self.setFixedHeight(int(lines * line_height) + extra)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        # Here, not at the top: the clipboard's readers load with the first paste or drop.
        from kibitz.ui.attachments.mime import local_paths, pasted_image

        if local_paths(source) or pasted_image(source) is not None:
            return True
        return super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        from kibitz.ui.attachments.mime import local_paths, pasted_image

        paths = local_paths(source)
        if paths:
            self.files_offered.emit(paths)
            return
        image = pasted_image(source)
        if image is not None:
            self.image_offered.emit(image)
            return
        super().insertFromMimeData(source)
