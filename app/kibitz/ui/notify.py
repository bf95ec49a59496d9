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


class NoticeBar(QWidget):
    """Shows one notice at a time at the bottom of the window; a newer one replaces it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("NoticeBar")
        self.setAccessibleName("Notification")
        self._label = QLabel()
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._action = QPushButton()
        self._action.setAccessibleName("Notification action")
        self._close = IconButton("x", "Dismiss")
        self._close.setAccessibleName("Dismiss notification")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 6, 6)
        layout.addWidget(self._label, 1)
        layout.addWidget(self._action)
        layout.addWidget(self._close)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self._action.clicked.connect(self._on_action_clicked)
        # Window-wide but only while the bar shows; a focused text field keeps its own Ctrl+Z.
        self._undo = QAction(UNDO, self)
        self._undo.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        self._undo.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self._undo.triggered.connect(self._on_undo_triggered)
        self.addAction(self._undo)
        self._close.clicked.connect(self.hide)
        self._current: Notice | None = None
        self.hide()

    @property
    def current(self) -> Notice | None:
        return self._current if self.isVisible() else None

    def show_notice(self, notice: Notice) -> None:
        self._current = notice
        self._label.setText(notice.text)
        self.setProperty("kind", notice.kind)
        self._action.setVisible(notice.action_text is not None)
        self._action.setText(notice.action_text or "")
        undo = notice.action_text == UNDO
        self._undo.setEnabled(undo)
        keys = self._undo.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        self._action.setToolTip(f"{UNDO} ({keys})" if undo else "")
        self._timer.stop()
        if notice.timeout_ms > 0:
            self._timer.start(notice.timeout_ms)
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
