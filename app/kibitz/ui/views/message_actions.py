"""MessageActions: the row of icon buttons under a message (copy, edit or regenerate, compare
again for a question, versions, inspect, delete, and Continue for a reply cut at the length
limit).

The buttons stay out of sight, their space kept so nothing moves, until the pointer is over
the message or something inside it has the keyboard focus (Tab reaches them). What the user
must see without looking for it stays in sight: the ‹ 2/3 › of a message with versions and
Continue under a cut reply.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsOpacityEffect,
    QHBoxLayout,
    QToolButton,
    QWidget,
)

from kibitz.ui.icons import IconButton, icon
from kibitz.ui.views.message_parts import muted_label

COPIED_MS = 1500
_ICON = 16
_COPY_TIP = "Copy"
_COPIED_TIP = "Copied"
_COPY_JSON = "Copy JSON"


def _action(name: str, tip: str, accessible: str, parent: QWidget) -> IconButton:
    button = IconButton(name, tip, parent, size=_ICON)
    button.setAccessibleName(accessible)  # what screen readers and the tests know it by
    return button


class VersionStepper(QWidget):
    """‹ 2/3 ›: steps between a message's versions (edits, regenerations, n>1 alternatives)."""

    stepped = Signal(int)  # -1 or +1

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._prev = _action(
            "chevron-left", "Previous version (Alt+Left for the last reply)", "Previous version",
            self,
        )  # fmt: skip
        self._next = _action(
            "chevron-right", "Next version (Alt+Right for the last reply)", "Next version", self
        )
        self._label = muted_label("", self)
        self._label.setAccessibleName("Version")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._prev)
        layout.addWidget(self._label)
        layout.addWidget(self._next)
        self._prev.clicked.connect(lambda: self.stepped.emit(-1))
        self._next.clicked.connect(lambda: self.stepped.emit(1))

    def set_position(self, index: int, count: int) -> None:
        self.setVisible(count > 1)
        self._label.setText(f"{index + 1}/{count}")
        self._label.setToolTip(f"Version {index + 1} of {count}")
        self._prev.setEnabled(index > 0)
        self._next.setEnabled(index < count - 1)

    @property
    def text(self) -> str:
        return self._label.text()


class MessageActions(QWidget):
    """The action row of one message; it emits what the user asks for and acts on nothing.

    `scope` is the message: the row shows while the pointer is over it (the message calls
    set_hovered) or the keyboard focus is inside it.
    """

    copy_requested = Signal()
    copy_json_requested = Signal()  # a reply that is all JSON
    edit_requested = Signal()
    regenerate_requested = Signal()
    compare_again_requested = Signal()  # a question: ask it of several models again
    continue_requested = Signal()
    version_step_requested = Signal(int)  # -1 or +1
    inspect_requested = Signal()
    delete_requested = Signal()

    def __init__(self, scope: QWidget, *, is_user: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageActions")
        self._scope = scope
        self._hovered = False
        self._focused = False
        self.versions = VersionStepper(self)
        self.versions.stepped.connect(self.version_step_requested)
        # The buttons that hide until wanted sit in their own box, faded out as one.
        self._tools = QWidget(self)
        self.copy = _action("copy", _COPY_TIP, "Copy message", self._tools)
        self.copy_json = QToolButton(self._tools)
        self.copy_json.setText(_COPY_JSON)
        self.copy_json.setToolTip("Copy the JSON, pretty-printed")
        self.copy_json.setAccessibleName("Copy JSON")
        self.copy_json.setAutoRaise(True)
        self.copy_json.setCursor(Qt.CursorShape.PointingHandCursor)
        self.copy_json.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.copy_json.hide()
        self.edit = _action(
            "pencil", "Edit (Up in an empty composer for your last message)", "Edit message",
            self._tools,
        )  # fmt: skip
        self.regenerate = _action(
            "refresh-cw", "Regenerate (Ctrl+R for the last reply)", "Regenerate reply",
            self._tools,
        )  # fmt: skip
        self.compare_again = _action(
            "git-branch", "Compare again…: ask several models this question, side by side",
            "Compare again", self._tools,
        )  # fmt: skip
        self.inspect = _action("info", "Inspect: what is stored", "Inspect message", self._tools)
        self.delete = _action(
            "trash-2", "Delete, with the replies after it", "Delete message", self._tools
        )
        self.edit.setVisible(is_user)
        self.compare_again.setVisible(is_user)
        self.regenerate.setVisible(not is_user)
        tools = QHBoxLayout(self._tools)
        tools.setContentsMargins(0, 0, 0, 0)
        tools.setSpacing(2)
        buttons = (self.copy, self.copy_json, self.edit, self.compare_again, self.regenerate)
        for button in (*buttons, self.inspect):
            tools.addWidget(button)
        tools.addWidget(self.delete)
        # Continue stays in sight under a cut reply: an icon and a word, not an icon alone.
        self.continue_button = QToolButton(self)
        self.continue_button.setText("Continue")
        self.continue_button.setToolTip("Ask the model to continue where it stopped")
        self.continue_button.setAccessibleName("Continue reply")
        self.continue_button.setAutoRaise(True)
        self.continue_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.continue_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.continue_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.continue_button.setIconSize(QSize(_ICON, _ICON))
        self.continue_button.hide()
        self._retint_continue()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        if is_user:  # a user's row sits under their bubble, on the right
            layout.addWidget(self._tools)
            layout.addWidget(self.versions)
        else:  # Continue first: no gap of hidden buttons before it
            layout.addWidget(self.continue_button)
            layout.addWidget(self.versions)
            layout.addWidget(self._tools)
        self._fade = QGraphicsOpacityEffect(self._tools)
        self._fade.setOpacity(0.0)  # nothing drawn, the space kept
        self._tools.setGraphicsEffect(self._fade)
        self._copied_timer = QTimer(self)
        self._copied_timer.setSingleShot(True)
        self._copied_timer.timeout.connect(self._on_copied_timer_timeout)
        self.copy.clicked.connect(self.copy_requested)
        self.copy_json.clicked.connect(self.copy_json_requested)
        self.edit.clicked.connect(self.edit_requested)
        self.regenerate.clicked.connect(self.regenerate_requested)
        self.compare_again.clicked.connect(self.compare_again_requested)
        self.inspect.clicked.connect(self.inspect_requested)
        self.delete.clicked.connect(self.delete_requested)
        self.continue_button.clicked.connect(self.continue_requested)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._on_app_focus_changed)

    # -- showing --------------------------------------------------------------------------------

    @property
    def revealed(self) -> bool:
        """Whether the hiding buttons are drawn (the pointer is over the message, or the
        keyboard is inside it)."""
        return self._hovered or self._focused

    def set_hovered(self, hovered: bool) -> None:
        self._hovered = hovered
        self._update_reveal()

    def _on_app_focus_changed(self, _old: QObject | None, now: QObject | None) -> None:
        focused = isinstance(now, QWidget) and (now is self._scope or self._scope.isAncestorOf(now))
        if focused != self._focused:
            self._focused = focused
            self._update_reveal()

    def _update_reveal(self) -> None:
        # Disabled when shown: the effect then costs nothing (no off-screen pass).
        self._fade.setEnabled(not self.revealed)

    # -- what it offers -------------------------------------------------------------------------

    def set_siblings(self, index: int, count: int) -> None:
        self.versions.set_position(index, count)

    def set_can_continue(self, can: bool) -> None:
        self.continue_button.setVisible(can)

    def set_deletable(self, deletable: bool) -> None:
        """Deleting waits while a reply is arriving (the tooltip says so)."""
        self.delete.setEnabled(deletable)
        self.delete.setToolTip(
            "Delete, with the replies after it"
            if deletable
            else "Delete (not while a reply is arriving)"
        )

    def set_busy(self, busy: bool) -> None:
        """While the message itself streams: no copy, edit, regenerate or versions yet."""
        for part in (self.copy, self.copy_json, self.edit, self.regenerate, self.versions):
            part.setEnabled(not busy)

    def set_json(self, available: bool) -> None:
        """Offer Copy JSON (a finished reply that is all JSON)."""
        self.copy_json.setVisible(available)

    def show_copied(self) -> None:
        """The Copy button says Copied, with a check, for a moment."""
        self.copy.set_icon_name("check")
        self.copy.setToolTip(_COPIED_TIP)
        self._copied_timer.start(COPIED_MS)

    def show_json_copied(self) -> None:
        """Copy JSON says Copied for a moment."""
        self.copy_json.setText(_COPIED_TIP)
        self._copied_timer.start(COPIED_MS)

    @property
    def copied_shown(self) -> bool:
        return self.copy.icon_name == "check"

    def _on_copied_timer_timeout(self) -> None:
        self.copy.set_icon_name("copy")
        self.copy.setToolTip(_COPY_TIP)
        self.copy_json.setText(_COPY_JSON)

    def _retint_continue(self) -> None:
        self.continue_button.setIcon(icon("arrow-right", self))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._retint_continue()
        super().changeEvent(event)
