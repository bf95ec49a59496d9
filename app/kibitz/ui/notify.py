"""Non-blocking messages to the user: a slim bar with an optional action (Undo, Retry, ...)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from kibitz.core.errors import KibitzError
from kibitz.ui.icons import IconButton

NoticeKind = Literal["info", "warning", "error"]
UNDO = "Undo"  # a notice with this action also answers the Undo key (Ctrl+Z)


@dataclass(frozen=True, slots=True)
class Notice:
    text: str
    action_text: str | None = None
    on_action: Callable[[], None] | None = None
    timeout_ms: int = 8000  # 0 keeps it until dismissed
    kind: NoticeKind = "info"


# What views take to tell the user something: NoticeBar.show_notice, or a list's append in tests.
Notify = Callable[[Notice], None]


def error_notice(
    error: KibitzError,
    doing: str = "",
    *,
    retry: Callable[[], None] | None = None,
) -> Notice:
    """`error` as a notice that stays until dismissed: what could not be done (`doing`, as in
    "rename “Trip”"), what went wrong and what to do, with Retry when `retry` is given."""
    first, hint = error.lines()
    lead = f"Could not {doing}. " if doing else ""
    return Notice(
        f"{lead}{first.rstrip('.')}. {hint}",
        "Retry" if retry is not None else None,
        on_action=retry,
        timeout_ms=0,
        kind="error",
    )


class _NoticeParts:
    """The bar's label and buttons: made with the first notice (a window that starts without
    one never pays for them: ~4 ms of the first frame)."""

    def __init__(self, bar: NoticeBar) -> None:
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action = QPushButton()
        self.action.setAccessibleName("Notification action")
        self.close = IconButton("x", "Dismiss")
        self.close.setAccessibleName("Dismiss notification")
        layout = QHBoxLayout(bar)
        layout.setContentsMargins(12, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action)
        layout.addWidget(self.close)
        self.timer = QTimer(bar)
        self.timer.setSingleShot(True)
        # Window-wide but only while the bar shows; a focused text field keeps its own Ctrl+Z.
        self.undo = QAction(UNDO, bar)
        self.undo.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        self.undo.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        bar.addAction(self.undo)


class NoticeBar(QWidget):
    """Shows one notice at a time at the bottom of the window; a newer one replaces it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("NoticeBar")
        self.setAccessibleName("Notification")
        self._parts: _NoticeParts | None = None
        self._current: Notice | None = None
        self.hide()

    @property
    def current(self) -> Notice | None:
        return self._current if self.isVisible() else None

    def _made_parts(self) -> _NoticeParts:
        if self._parts is None:
            parts = self._parts = _NoticeParts(self)
            parts.timer.timeout.connect(self.hide)
            parts.action.clicked.connect(self._on_action_clicked)
            parts.undo.triggered.connect(self._on_undo_triggered)
            parts.close.clicked.connect(self.hide)
        return self._parts

    def show_notice(self, notice: Notice) -> None:
        parts = self._made_parts()
        self._current = notice
        parts.label.setText(notice.text)
        self.setProperty("kind", notice.kind)
        parts.action.setVisible(notice.action_text is not None)
        parts.action.setText(notice.action_text or "")
        undo = notice.action_text == UNDO
        parts.undo.setEnabled(undo)
        keys = parts.undo.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        parts.action.setToolTip(f"{UNDO} ({keys})" if undo else "")
        parts.timer.stop()
        if notice.timeout_ms > 0:
            parts.timer.start(notice.timeout_ms)
        self.style().unpolish(self)
        self.style().polish(self)
        self.show()

    def _on_action_clicked(self) -> None:
        notice = self._current
        self.hide()
        if notice is not None and notice.on_action is not None:
            notice.on_action()

    def _on_undo_triggered(self) -> None:
        if self._current is not None and self._current.action_text == UNDO:
            self._on_action_clicked()
