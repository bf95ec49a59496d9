"""ChatScroll: the chat view's scroll area and column, and where the view is scrolled.

The view either follows its end (a reply streaming in stays in sight) or keeps one message
where it is on screen (a page loaded above, a search hit shown); a scroll by the user decides
which. Scroll positions are set after an immediate layout, so they are exact and a growing
reply scrolls before it paints.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

COLUMN_WIDTH = 760  # a readable line length, like the chat clients people know
_BOTTOM_SLACK_PX = 8
_SETTLE_ROUNDS = 12  # text view, bubble, message, column, container, scroll area: ~2 each


def settle_layout() -> None:
    """Lay out now (not on the next loop turn) so the scroll position can be set exactly, and
    so a growing reply scrolls before it paints."""
    # Each nesting level posts its own LayoutRequest to the next while handling one, so this
    # takes a few rounds.
    for _ in range(_SETTLE_ROUNDS):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)


class ChatScroll(QObject):
    """Builds the scroll area inside `view` (the message widgets go in `rows`, a layout of
    `column`); `edge_neared` once scrolling or a resize settles, to load pages there."""

    edge_neared = Signal()

    def __init__(self, view: QWidget) -> None:
        super().__init__(view)
        self.at_bottom = True
        self._anchor: tuple[QWidget, int] | None = None
        self._adjusting = False

        self.area = QScrollArea(view)
        self.area.setObjectName("chatScroll")
        self.area.setAccessibleName("Conversation")
        self.area.setFrameShape(QFrame.Shape.NoFrame)
        self.area.setWidgetResizable(True)
        self.area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # A viewport of our own: wrapping Qt's built-in one (the first viewport() call) makes
        # PySide6 load every widget class it could be (~15 ms of the start).
        viewport = QWidget(self.area)
        viewport.setBackgroundRole(QPalette.ColorRole.Base)
        viewport.setAutoFillBackground(True)
        self.area.setViewport(viewport)
        self._container = QWidget()
        self._container.setObjectName("chatContainer")
        # Opaque, so following a stream scrolls by moving pixels instead of repainting all.
        self._container.setBackgroundRole(QPalette.ColorRole.Base)
        self._container.setAutoFillBackground(True)
        # Top-aligned and growing at the bottom: a resize repaints only what it uncovers.
        self._container.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        outer = QHBoxLayout(self._container)
        outer.setContentsMargins(24, 20, 24, 32)
        outer.addStretch(1)
        self.column = QWidget(self._container)
        self.column.setObjectName("chatColumn")
        self.column.setMaximumWidth(COLUMN_WIDTH)
        self.column.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        outer.addWidget(self.column, 1000)
        outer.addStretch(1)
        self.rows = QVBoxLayout(self.column)
        self.rows.setContentsMargins(0, 0, 0, 0)
        self.rows.setSpacing(22)
        self.rows.addStretch(1)
        self.area.setWidget(self._container)
        layout = QVBoxLayout(view)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.area)

        self._edge_timer = QTimer(self)
        self._edge_timer.setSingleShot(True)
        self._edge_timer.setInterval(0)
        self._edge_timer.timeout.connect(self.edge_neared)
        bar = self.area.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrollbar_value_changed)
        bar.rangeChanged.connect(self._on_scrollbar_range_changed)

    def widget_top(self, widget: QWidget) -> int:
        return widget.mapTo(self._container, QPoint(0, 0)).y()

    def keep(self, widget: QWidget, offset: int) -> None:
        """Keep `widget` `offset` pixels below the top of the view (not following the end)."""
        self.at_bottom = False
        self._anchor = (widget, offset)

    def follow_end(self) -> None:
        self.at_bottom = True
        self._anchor = None

    def release(self, widget: QWidget) -> None:
        """`widget` goes: the view no longer keeps it in place."""
        if self._anchor is not None and self._anchor[0] is widget:
            self._anchor = None

    def scroll_to_bottom(self) -> None:
        self._set_value(self.area.verticalScrollBar().maximum())

    def apply_anchor(self) -> None:
        if self._anchor is not None:
            widget, offset = self._anchor
            self._set_value(self.widget_top(widget) - offset)

    def _set_value(self, value: int) -> None:
        self._adjusting = True
        try:
            self.area.verticalScrollBar().setValue(value)
        finally:
            self._adjusting = False

    def _on_scrollbar_value_changed(self, value: int) -> None:
        if not self._adjusting:
            self._anchor = None
            maximum = self.area.verticalScrollBar().maximum()
            self.at_bottom = value >= maximum - _BOTTOM_SLACK_PX
        self._edge_timer.start()

    def _on_scrollbar_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._anchor is not None:
            self.apply_anchor()
        elif self.at_bottom:
            self._set_value(maximum)
        self._edge_timer.start()
