"""The buttons of the composer's bottom bar, made and painted; the Composer says what they show.

The paperclip, the tools button, the model button, the reasoning effort and its menu, the
Compare button and the round Send (a square Stop while a reply streams).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QPalette
from PySide6.QtWidgets import QMenu, QPushButton, QToolButton

from kibitz.ui.icons import IconButton, icon_in
from kibitz.ui.views.message_parts import mix

_SEND_SIDE = 32
# The reasoning efforts offered (None: the default); another stored value is shown as well.
EFFORTS: tuple[tuple[str | None, str], ...] = (
    (None, "Default"),
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
)


@dataclass(frozen=True, slots=True)
class ToolsButtonState:
    """What the tools button shows: `available` is False when no server is enabled (it is
    drawn muted and a click asks for Settings → Tools)."""

    available: bool
    on: bool
    label: str  # beside the icon: "7 tools", "2 servers", "Off"
    tooltip: str


def make_send_button() -> QPushButton:
    send = QPushButton()
    send.setObjectName("SendButton")
    send.setAccessibleName("Send message")
    send.setToolTip("Send (Enter)")
    send.setDefault(False)
    send.setAutoDefault(False)
    send.setFixedSize(_SEND_SIDE, _SEND_SIDE)
    send.setIconSize(QSize(18, 18))
    send.setCursor(Qt.CursorShape.PointingHandCursor)
    return send


def make_attach_button() -> IconButton:
    attach = IconButton(
        "paperclip", "Attach images or files (or paste, or drop them here)", size=18
    )
    attach.setObjectName("AttachButton")
    attach.setAccessibleName("Attach files")
    return attach


def _bar_button(name: str, accessible: str) -> QToolButton:
    """A flat button of the bar, reached with Tab (not by a click's focus)."""
    button = QToolButton()
    button.setObjectName(name)
    button.setAccessibleName(accessible)
    button.setAutoRaise(True)
    button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    return button


def make_model_button() -> QToolButton:
    model = _bar_button("ModelButton", "Model")
    model.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    # The chevron after the name, as menus' buttons have it.
    model.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    model.setIconSize(QSize(14, 14))
    model.hide()  # until a controller says which model
    return model


def make_reasoning_button() -> tuple[QToolButton, QMenu]:
    reasoning = _bar_button("ReasoningButton", "Reasoning effort")
    reasoning.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    reasoning.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    reasoning.setIconSize(QSize(16, 16))
    menu = QMenu(reasoning)
    menu.setObjectName("ReasoningMenu")
    reasoning.setMenu(menu)
    reasoning.hide()  # only for models that take an effort
    return reasoning, menu


def make_tools_button() -> QToolButton:
    tools = _bar_button("ToolsButton", "Tools")
    tools.setCheckable(True)
    tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    tools.hide()  # until a controller says what it offers
    return tools


def make_compare_button() -> QToolButton:
    compare = _bar_button("CompareButton", "Compare models")
    compare.setCheckable(True)
    compare.setIconSize(QSize(16, 16))
    compare.setToolTip("Ask several models at once (Ctrl+Shift+K)")
    compare.hide()  # with the model button
    return compare


def fill_effort_menu(
    menu: QMenu, effort: str | None, on_triggered: Callable[[str | None], None]
) -> None:
    """The efforts offered, the chosen one checked (a stored value not offered is added)."""
    menu.clear()
    group = QActionGroup(menu)
    offered = list(EFFORTS)
    if effort is not None and effort not in dict(EFFORTS):
        offered.append((effort, effort.capitalize()))
    for value, label in offered:
        action = QAction(label, menu)
        action.setCheckable(True)
        action.setChecked(value == effort)
        action.triggered.connect(lambda _c=False, v=value: on_triggered(v))
        group.addAction(action)
        menu.addAction(action)


def paint_tools_button(tools: QToolButton, state: ToolsButtonState, palette: QPalette) -> None:
    base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
    colour = (
        palette.color(QPalette.ColorRole.Highlight)
        if state.on
        else mix(base, text, 0.6 if state.available else 0.35)
    )
    tools.setIcon(icon_in("wrench", colour))
    # The label in the icon's colour: muted when off, like the icon.
    tools_palette = tools.palette()
    tools_palette.setColor(QPalette.ColorRole.ButtonText, colour)
    tools.setPalette(tools_palette)


def paint_send_button(send: QPushButton, *, busy: bool, palette: QPalette) -> None:
    base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
    # On the accent (Send) or the dark disc (Stop) the stylesheet paints; the icon matches.
    colour = base if busy else palette.color(QPalette.ColorRole.HighlightedText)
    send.setIcon(icon_in("square" if busy else "arrow-up", colour, mix(base, text, 0.45)))
