"""ToolApprovalCard: asks the user whether one tool call may run, where the call is in the reply.

It names the tool and its server, shows the arguments as highlighted JSON (scrolling when
long), says so when the tool declares itself destructive, and takes the keyboard focus:
Return allows once, Escape denies; the buttons do the same, and "Always allow this tool" when
that means something. It only says what the user answered (`answered`); a controller acts.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPaintEvent, QPalette, QPen, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kibitz.core.tools import Approval, PendingCall
from kibitz.ui.icons import icon_in
from kibitz.ui.views.message_parts import mix, muted_label, palette_is_dark
from kibitz.ui.views.text_box import TextBox
from kibitz.ui.views.tool_text import (
    HIGHLIGHT_ARGUMENTS_CHARS,
    SHOWN_ARGUMENTS_CHARS,
    capped,
    cut_note,
    pretty_arguments,
)

# Keys pressed this soon after the card appears are not answers: a Return typed for the
# composer just as the card shows up must not run a tool.
ARMING_S = 0.3
KEY_HINT = "Return allows once · Esc denies"
_DESCRIPTION_CHARS = 300
_BOX_HEIGHT = 220
_RADIUS = 10
_ANSWER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape)
WARNING = QColor(191, 98, 0)
# Qt never wraps <pre> lines: a long string argument would widen the card instead.
_PRE_WRAP = '<pre style="white-space:pre-wrap">'


def _plain_label(text: str, parent: QWidget) -> QLabel:
    # Names and descriptions come from the tool server: shown as text, never as markup.
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setText(text)
    return label


class ToolApprovalCard(QFrame):
    answered = Signal(object)  # Approval

    def __init__(
        self, pending: PendingCall, *, offer_always: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("toolApprovalCard")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.pending = pending
        self._shown_at: float | None = None
        self._answered = False
        spec = pending.spec
        name = spec.title or spec.name
        self.setAccessibleName("Tool approval")
        self.setAccessibleDescription(f"Run {name} on {spec.server}? {KEY_HINT}")

        icon = QLabel(self)
        icon.setPixmap(icon_in("wrench", self._accent()).pixmap(18, 18))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.headline = _plain_label(f"Run “{name}” on {spec.server}?", self)
        self.headline.setObjectName("toolApprovalHeadline")
        font = self.headline.font()
        font.setBold(True)
        self.headline.setFont(font)
        described = spec.description.strip()
        if len(described) > _DESCRIPTION_CHARS:
            described = described[: _DESCRIPTION_CHARS - 1] + "…"
        same_name = f" ({spec.name})" if spec.title and spec.title != spec.name else ""
        self.description = _plain_label(f"{described}{same_name}".strip(), self)
        self.description.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.description.setVisible(bool(self.description.text()))
        self.arguments = TextBox(_BOX_HEIGHT, self)
        self.arguments.setObjectName("toolApprovalArguments")
        self.arguments.setAccessibleName("Arguments")
        self._show_arguments(pending.arguments_json)
        self.destructive_note = _plain_label(
            "This tool says it can delete or change data. It asks every time.", self
        )
        self.destructive_note.setObjectName("toolDestructiveNote")
        self.destructive_note.setAccessibleName("Destructive tool")
        palette = self.destructive_note.palette()
        palette.setColor(QPalette.ColorRole.WindowText, WARNING)
        self.destructive_note.setPalette(palette)
        self.destructive_note.setVisible(spec.destructive)

        self.allow_once = self._button("Allow once", "Run this call once (Return)")
        self.allow_always = self._button(
            "Always allow this tool", f"Run {name} without asking from now on"
        )
        self.allow_always.setVisible(offer_always)
        self.deny = self._button("Deny", "Do not run it; the model is told you declined (Esc)")
        self.allow_once.setObjectName("PrimaryButton")  # the answer Return gives
        self.allow_once.clicked.connect(lambda: self._answer(Approval.ALLOW_ONCE))
        self.allow_always.clicked.connect(lambda: self._answer(Approval.ALWAYS_ALLOW))
        self.deny.clicked.connect(lambda: self._answer(Approval.DENY))
        hint = muted_label(KEY_HINT, self)
        hint.setAccessibleName("Approval keys")

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 4, 0, 0)
        buttons.setSpacing(6)
        buttons.addWidget(hint)
        buttons.addStretch(1)
        for button in (self.deny, self.allow_always, self.allow_once):
            buttons.addWidget(button)
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        column.addWidget(self.headline)
        column.addWidget(self.description)
        column.addWidget(self.arguments)
        column.addWidget(self.destructive_note)
        column.addLayout(buttons)
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 12, 14, 12)
        row.setSpacing(10)
        row.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(column, 1)
        QApplication.instance().focusChanged.connect(self._on_app_focus_changed)  # type: ignore[union-attr]

    def _button(self, text: str, tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setToolTip(tip)
        button.setAccessibleName(text)
        button.setAutoDefault(False)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        return button

    def _show_arguments(self, text: str) -> None:
        pretty = pretty_arguments(text)
        if len(pretty) <= HIGHLIGHT_ARGUMENTS_CHARS:
            from kibitz.core.render.code_html import CodeHighlighter  # with the first approval
            from kibitz.core.render.theme import RenderTheme

            highlighter = CodeHighlighter(RenderTheme.for_scheme(palette_is_dark(self.palette())))
            markup = highlighter.block_html(pretty, "json").replace("<pre>", _PRE_WRAP)
            self.arguments.document().setDocumentMargin(0)
            self.arguments.set_html(markup)
            return
        # Too long to highlight without a stall: plain, and cut where a widget stays quick.
        shown = capped(pretty, SHOWN_ARGUMENTS_CHARS)
        note = f"\n\n[{cut_note(shown)}]" if shown.cut else ""
        self.arguments.set_plain(shown.text + note)

    def _accent(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.Highlight)

    # -- answers ------------------------------------------------------------------------------

    @property
    def armed(self) -> bool:
        """Whether keys answer yet (see ARMING_S)."""
        return self._shown_at is not None and time.monotonic() - self._shown_at >= ARMING_S

    def _answer(self, approval: Approval) -> None:
        if self._answered:
            return  # a double click, or a key and a click: the first answer stands
        self._answered = True
        for button in (self.allow_once, self.allow_always, self.deny):
            button.setEnabled(False)
        self.answered.emit(approval)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._shown_at is None:
            self._shown_at = time.monotonic()
            self.setFocus(Qt.FocusReason.OtherFocusReason)

    def event(self, event: QEvent) -> bool:
        # Return and Esc are the card's while it has the focus: not the window's "Stop the
        # reply", nor quick ask's "Hide".
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            plain = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if event.key() in _ANSWER_KEYS and plain == Qt.KeyboardModifier.NoModifier:
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key not in _ANSWER_KEYS:
            super().keyPressEvent(event)
            return
        event.accept()
        if event.isAutoRepeat() or not self.armed:
            return
        if key == Qt.Key.Key_Escape:
            self._answer(Approval.DENY)
            return
        focused = QApplication.focusWidget()
        if isinstance(focused, QPushButton) and self.isAncestorOf(focused):
            focused.click()  # Return on a focused button is that button's answer
        else:
            self._answer(Approval.ALLOW_ONCE)

    # -- painting -----------------------------------------------------------------------------

    def _on_app_focus_changed(self, _old: QWidget | None, _new: QWidget | None) -> None:
        self.update()

    def has_focus_within(self) -> bool:
        focused = QApplication.focusWidget()
        return focused is self or (focused is not None and self.isAncestorOf(focused))

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        accent = self._accent()
        focused = self.has_focus_within()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        edge = accent if focused else mix(base, text, 0.22)
        painter.setPen(QPen(edge, 1.5 if focused else 1.0))
        painter.setBrush(mix(base, accent, 0.06))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), _RADIUS, _RADIUS)
