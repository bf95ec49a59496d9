"""FlowLayout: widgets in rows that wrap at the layout's width, like words in a paragraph.

For attachment chips and a message's images: as many per row as fit, the rest below, each
row left- or right-aligned (a user's message sits on the right).
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget


class FlowLayout(QLayout):
    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        spacing: int = 8,
        align_right: bool = False,
    ) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self._align_right = align_right
        self.setContentsMargins(QMargins(0, 0, 0, 0))

    # -- QLayout --------------------------------------------------------------------------------

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        if 0 <= index < len(self._items):
            return self._items.pop(index)
        return None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._visible():
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def preferred_width(self) -> int:
        """The width of all items in one row: what the layout asks for when there is room."""
        items = self._visible()
        if not items:
            return 0
        margins = self.contentsMargins()
        widths = sum(item.sizeHint().width() for item in items)
        return widths + self._spacing * (len(items) - 1) + margins.left() + margins.right()

    # -- placing --------------------------------------------------------------------------------

    def _visible(self) -> list[QLayoutItem]:
        return [item for item in self._items if not item.isEmpty()]

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        margins = self.contentsMargins()
        area = rect.marginsRemoved(margins)
        rows: list[list[QLayoutItem]] = [[]]
        row_width = 0
        for item in self._visible():
            width = item.sizeHint().width()
            if rows[-1] and row_width + self._spacing + width > area.width():
                rows.append([])
                row_width = 0
            row_width += (self._spacing if rows[-1] else 0) + width
            rows[-1].append(item)
        y = area.top()
        for row in rows:
            if not row:
                continue
            height = max(item.sizeHint().height() for item in row)
            used = sum(i.sizeHint().width() for i in row) + self._spacing * (len(row) - 1)
            x = area.left() + (max(0, area.width() - used) if self._align_right else 0)
            for item in row:
                hint = item.sizeHint()
                if move:
                    item.setGeometry(QRect(QPoint(x, y), hint))
                x += hint.width() + self._spacing
            y += height + self._spacing
        return y - self._spacing - rect.top() + margins.bottom() if y > area.top() else 0
