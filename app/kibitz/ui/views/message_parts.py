"""Parts of a message widget: palette colours, the bubble, buttons, error card."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from kibitz.core.errors import Action, KibitzError
from kibitz.ui.style import scaled_font

# The one table of error buttons: what each Action is called wherever the UI offers it.
ACTION_LABELS: dict[Action, str] = {
    Action.RETRY: "Retry",
    Action.OPEN_SETTINGS: "Open settings",
    Action.CHOOSE_MODEL: "Choose model",
    Action.TRIM_HISTORY: "Trim history",
    Action.SET_KEY: "Set API key",
    Action.SEND_WITHOUT_TOOLS: "Send without tools",
    Action.OPEN_TOOLS: "Open tool settings",
}


def mix(a: QColor, b: QColor, amount: float) -> QColor:
    """`a` moved `amount` (0..1) of the way towards `b`."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * amount,
        a.greenF() + (b.greenF() - a.greenF()) * amount,
        a.blueF() + (b.blueF() - a.blueF()) * amount,
    )


def palette_is_dark(palette: QPalette) -> bool:
    """Dark when the window colour is dark; the style hint only breaks a tie of mid greys."""
    lightness = palette.color(QPalette.ColorRole.Window).lightness()
    if lightness < 100:
        return True
    if lightness > 155:
        return False
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def error_defaults(code: str) -> tuple[str, Action]:
    """The hint and action the error tree gives a stored "code: headline" summary's code."""
    pending: list[type[KibitzError]] = [KibitzError]
    while pending:
        cls = pending.pop()
        if cls.code == code:
            return cls.default_hint, cls.action
        pending.extend(cls.__subclasses__())
    return KibitzError.default_hint, Action.RETRY


def small_button(text: str, name: str, tip: str, parent: QWidget | None = None) -> QToolButton:
    button = QToolButton(parent)
    button.setText(text)
    button.setAutoRaise(True)
    button.setAccessibleName(name)
    button.setToolTip(tip)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    return button


def muted_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    label.setFont(scaled_font(label.font(), "small"))
    return label


class Bubble(QFrame):
    """The rounded, tinted background of a user turn (or, flashed, of any found message)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tinted = False
        self.highlighted = False

    def paintEvent(self, event: QPaintEvent) -> None:
        if not (self.tinted or self.highlighted):
            return
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        accent = palette.color(QPalette.ColorRole.Highlight)
        amount = 0.28 if self.highlighted else (0.16 if palette_is_dark(palette) else 0.10)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(mix(base, accent, amount))
        painter.drawRoundedRect(self.rect().adjusted(0, 0, -1, -1), 14, 14)


class ErrorCard(QFrame):
    """A failed reply's headline, what to do next, one action button, a retry countdown, and
    the error's own words (the server's message, say) under a "Details" fold with a Copy."""

    action_clicked = Signal(object)  # the Action of the button

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorCard")
        self.setAccessibleName("Error")
        self._headline = QLabel(self)
        self._headline.setWordWrap(True)
        self._headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self._headline.font()
        font.setBold(True)
        self._headline.setFont(font)
        self._hint = QLabel(self)
        self._hint.setWordWrap(True)
        self._hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._countdown = muted_label("", self)
        self._countdown.setAccessibleName("Retry countdown")
        self._button = QPushButton(self)
        self._button.setAccessibleName("Error action")
        self._details_button = small_button("Details", "Details", "Show the error's details", self)
        self._details_button.setCheckable(True)
        self._details_button.setArrowType(Qt.ArrowType.RightArrow)
        self._details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._details = QLabel(self)
        self._details.setObjectName("errorDetails")
        self._details.setAccessibleName("Error details")
        self._details.setWordWrap(True)
        self._details.setTextFormat(Qt.TextFormat.PlainText)
        self._details.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self._copy = small_button("Copy", "Copy details", "Copy the error's details", self)
        self._copied = QTimer(self)
        self._copied.setSingleShot(True)
        self._copied.setInterval(1500)
        self._copied.timeout.connect(lambda: self._copy.setText("Copy"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(4)
        layout.addWidget(self._headline)
        layout.addWidget(self._hint)
        row = QHBoxLayout()
        row.addWidget(self._countdown)
        row.addWidget(self._details_button)
        row.addStretch(1)
        row.addWidget(self._button)
        layout.addLayout(row)
        self._details_box = QWidget(self)
        box = QHBoxLayout(self._details_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self._details, 1)
        box.addWidget(self._copy, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self._details_box)
        self._details_box.hide()
        self._details_button.hide()
        self._details_button.toggled.connect(self._on_details_button_toggled)
        self._copy.clicked.connect(self.copy_details)
        self._action = Action.NONE
        self._waiting = False  # a retry pause, not a failure: drawn calmer than an error
        self._remaining = 0
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._button.clicked.connect(lambda: self.action_clicked.emit(self._action))
        self._countdown.hide()

    def show_error(self, headline: str, hint: str, action: Action, details: str = "") -> None:
        """A failure: what went wrong, what to do, a button for `action` (none for NONE), and
        `details` (the error's own words) folded away, closed until asked for."""
        if details != self._details.text():
            self._details_button.setChecked(False)
        self._details.setText(details)
        self._details_button.setVisible(bool(details))
        self._details_box.setVisible(bool(details) and self._details_button.isChecked())
        self._waiting = False
        self._timer.stop()
        self._countdown.hide()
        self._headline.setText(headline)
        self._hint.setText(hint)
        self._hint.setVisible(bool(hint))
        self._action = action
        label = ACTION_LABELS.get(action, "")
        self._button.setText(label)
        self._button.setToolTip(label)
        self._button.setVisible(action is not Action.NONE and bool(label))
        self.show()
        self.update()

    def show_waiting(self, reason: str, seconds: float) -> None:
        """A pause before a retry: why, and a countdown; no action to take."""
        self.show_error(reason or "Waiting to retry", "", Action.NONE)
        self._waiting = True
        self.show_countdown(seconds)
        self.update()

    @property
    def waiting(self) -> bool:
        return self._waiting and self.isVisibleTo(self.parentWidget() or self)

    def toggle_details(self) -> None:
        self._details_button.toggle()

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self._details.text())
        self._copy.setText("Copied")
        self._copied.start()

    def _on_details_button_toggled(self, shown: bool) -> None:
        self._details_button.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
        self._details_box.setVisible(shown and bool(self._details.text()))

    @property
    def details_open(self) -> bool:
        return self._details_box.isVisibleTo(self)

    @property
    def details_button_text(self) -> str:
        return self._details_button.text() if self._details_button.isVisibleTo(self) else ""

    @property
    def details_text(self) -> str:
        return self._details.text()

    def show_countdown(self, seconds: float) -> None:
        self._remaining = max(0, math.ceil(seconds))
        self._countdown.show()
        self._show_remaining()
        if self._remaining > 0:
            self._timer.start()

    def stop_countdown(self) -> None:
        self._timer.stop()
        self._countdown.hide()

    def _on_timer_timeout(self) -> None:
        self._remaining -= 1
        self._show_remaining()
        if self._remaining <= 0:
            self._timer.stop()

    def _show_remaining(self) -> None:
        if self._remaining > 0:
            self._countdown.setText(f"Retrying in {self._remaining} s…")
        else:
            self._countdown.setText("Retrying…")

    @property
    def headline(self) -> str:
        return self._headline.text()

    @property
    def hint(self) -> str:
        return self._hint.text()

    @property
    def action(self) -> Action:
        return self._action

    @property
    def action_text(self) -> str:
        return self._button.text() if self._button.isVisibleTo(self) else ""

    @property
    def countdown_text(self) -> str:
        return self._countdown.text() if self._countdown.isVisibleTo(self) else ""

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        red = QColor(214, 150, 20) if self._waiting else QColor(220, 53, 69)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(mix(base, red, 0.55))
        painter.setBrush(mix(base, red, 0.10))
        painter.drawRoundedRect(self.rect().adjusted(0, 0, -1, -1), 10, 10)
