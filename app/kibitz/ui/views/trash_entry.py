"""The sidebar's way into the Trash, made with the first frame (the Trash itself is made when
first needed: kibitz.ui.views.trash_view)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from kibitz.ui.icons import IconButton


class TrashEntry(IconButton):
    """The sidebar's way into the Trash: its icon, "Trash", and how many are in it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("trash-2", "Trash", parent)
        self.setText("Trash")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._count = 0

    @property
    def count(self) -> int:
        return self._count

    def set_count(self, count: int) -> None:
        self._count = count
        self.setToolTip(f"Trash: {count} deleted conversation{'s' if count != 1 else ''}")
        self.setAccessibleName(f"Trash, {count}" if count else "Trash, empty")
        self.update()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(hint.width() + 32, max(hint.height(), 30))

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._count:
            return
        painter = QPainter(self)
        color = QColor(self.palette().color(QPalette.ColorRole.ButtonText))
        color.setAlphaF(0.6)
        painter.setPen(color)
        area = self.rect().adjusted(0, 0, -10, 0)
        align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(area, int(align), f"{self._count:,}")
        painter.end()
