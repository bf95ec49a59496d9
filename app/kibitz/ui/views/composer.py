"""The composer: where the user writes; Enter sends, Shift+Enter breaks the line, Esc stops.

Attachments show as chips above the text (an image as its thumbnail, a file with its name and
size, each with ×). The composer only shows them and says what the user offered: files from
the paperclip, a paste or a drop, image data pasted; a controller reads them (off the UI
thread) and hands back chips to fill.

Under the text, a bar: the paperclip; the tools button, which says whether this conversation
offers the tools of the enabled MCP servers (and how many; a click turns them off or on); the
model button ("gpt-4o · work", a click or Ctrl+Shift+M opens the model menu); the reasoning
effort, for models that take one; and the round Send button, a square Stop while a reply
streams. Controllers keep what these choose.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QMimeData, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from kibitz.core.attachments import Attachment, AttachmentKind
from kibitz.core.types import FilePart, ImagePart
from kibitz.ui.attachments.mime import local_paths, pasted_image
from kibitz.ui.attachments.thumbnails import ThumbnailLoader, side_for
from kibitz.ui.icons import IconButton, icon_in
from kibitz.ui.views.attachment_chip import CHIP_HEIGHT, AttachmentChip
from kibitz.ui.views.flow_layout import FlowLayout
from kibitz.ui.views.message_parts import mix

ComposerValue = Attachment | ImagePart | FilePart

_MIN_LINES = 1
_MAX_LINES = 10
_SPINNER = "◐◓◑◒"
_MODEL_LABEL_WIDTH = 220  # "<model> · <provider>" is elided past this
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
        if local_paths(source) or pasted_image(source) is not None:
            return True
        return super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        paths = local_paths(source)
        if paths:
            self.files_offered.emit(paths)
            return
        image = pasted_image(source)
        if image is not None:
            self.image_offered.emit(image)
            return
        super().insertFromMimeData(source)


class _ComposerItem:
    """A chip in the composer and what it stands for (None while the file is being read)."""

    __slots__ = ("chip", "value")

    def __init__(self, chip: AttachmentChip, value: ComposerValue | None) -> None:
        self.chip = chip
        self.value = value


class Composer(QWidget):
    """Emits `send_requested(text)`, the attachments being in `attachments`; the controller
    clears it once the message is stored."""

    send_requested = Signal(str)
    stop_requested = Signal()
    edit_last_requested = Signal()  # Up in an empty composer
    typing_started = Signal()  # the first keystroke: a hint to warm up the HTTP client
    attach_requested = Signal()  # the paperclip: the controller asks which files
    files_offered = Signal(list)  # list[Path]: pasted or dropped
    image_offered = Signal(object)  # PastedImage: image data pasted
    contents_changed = Signal()  # text or attachments changed (the draft follows)
    tools_toggled = Signal(bool)  # the user turned tools on (True) or off
    tools_settings_requested = Signal()  # the tools button clicked while no server is enabled
    model_menu_requested = Signal()  # the model button clicked
    reasoning_effort_chosen = Signal(object)  # str | None: an effort, or the default
    compare_requested = Signal()  # the Compare button clicked: pick the models to compare

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Composer")
        self._ctrl_enter_sends = False
        self._busy = False
        self._edit = ComposerEdit()
        self._edit.setObjectName("ComposerEdit")
        self._edit.setAccessibleName("Message")
        self._edit.setPlaceholderText(
            "Message Kibitz…  (Enter to send, Shift+Enter for a new line)"
        )
        self._edit.installEventFilter(self)
        self._send = QPushButton()
        self._send.setObjectName("SendButton")
        self._send.setAccessibleName("Send message")
        self._send.setToolTip("Send (Enter)")
        self._send.setDefault(False)
        self._send.setAutoDefault(False)
        self._send.setFixedSize(_SEND_SIDE, _SEND_SIDE)
        self._send.setIconSize(QSize(18, 18))
        self._send.setCursor(Qt.CursorShape.PointingHandCursor)
        self._send_tooltip = "Send (Enter)"
        self._attach = IconButton(
            "paperclip", "Attach images or files (or paste, or drop them here)", size=18
        )
        self._attach.setObjectName("AttachButton")
        self._attach.setAccessibleName("Attach files")
        self._attach.clicked.connect(self.attach_requested)
        self._model = QToolButton()
        self._model.setObjectName("ModelButton")
        self._model.setAccessibleName("Model")
        self._model.setAutoRaise(True)
        self._model.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self._model.setCursor(Qt.CursorShape.PointingHandCursor)
        self._model.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        # The chevron after the name, as menus' buttons have it.
        self._model.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
        self._model.setIconSize(QSize(14, 14))
        self._model.clicked.connect(self.model_menu_requested)
        self._model.hide()  # until a controller says which model
        self._model_text = ""
        self._reasoning = QToolButton()
        self._reasoning.setObjectName("ReasoningButton")
        self._reasoning.setAccessibleName("Reasoning effort")
        self._reasoning.setAutoRaise(True)
        self._reasoning.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self._reasoning.setCursor(Qt.CursorShape.PointingHandCursor)
        self._reasoning.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._reasoning.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._reasoning.setIconSize(QSize(16, 16))
        self._reasoning_menu = QMenu(self._reasoning)
        self._reasoning_menu.setObjectName("ReasoningMenu")
        self._reasoning.setMenu(self._reasoning_menu)
        self._reasoning.hide()  # only for models that take an effort
        self._effort: str | None = None
        self._tools = QToolButton()
        self._tools.setObjectName("ToolsButton")
        self._tools.setAccessibleName("Tools")
        self._tools.setCheckable(True)
        self._tools.setAutoRaise(True)
        self._tools.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self._tools.setCursor(Qt.CursorShape.PointingHandCursor)
        self._tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._tools.clicked.connect(self._on_tools_button_clicked)
        self._tools.hide()  # until a controller says what it offers
        self._tools_state: ToolsButtonState | None = None
        self._compare = QToolButton()
        self._compare.setObjectName("CompareButton")
        self._compare.setAccessibleName("Compare models")
        self._compare.setCheckable(True)
        self._compare.setAutoRaise(True)
        self._compare.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self._compare.setCursor(Qt.CursorShape.PointingHandCursor)
        self._compare.setIconSize(QSize(16, 16))
        self._compare.setToolTip("Ask several models at once (Ctrl+Shift+K)")
        # The button only asks; the controller says whether Compare is on (set_compare).
        self._compare.clicked.connect(self._on_compare_button_clicked)
        self._compare.hide()  # with the model button
        self._items: list[_ComposerItem] = []
        self._thumbnails: ThumbnailLoader | None = None
        self._chips = QWidget()
        self._chips.setObjectName("ComposerAttachments")
        self._chips.setAccessibleName("Attachments")
        self._chip_flow = FlowLayout(self._chips, spacing=8)
        self._chips.hide()
        self._status = QLabel()
        self._status.setObjectName("ComposerStatus")
        self._status.setAccessibleName("Reply status")
        self._status.hide()
        self._spin_step = 0
        self._status_text = ""
        self._spinner = QTimer(self)
        self._spinner.setInterval(150)
        self._spinner.timeout.connect(self._on_spinner_timeout)

        box = QFrame()
        box.setObjectName("ComposerBox")
        inside = QVBoxLayout(box)
        inside.setContentsMargins(10, 8, 8, 8)
        inside.setSpacing(8)
        inside.setSpacing(4)
        inside.addWidget(self._chips)
        inside.addWidget(self._edit)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(2)
        bar.addWidget(self._attach, 0, Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self._tools, 0, Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self._model, 0, Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self._reasoning, 0, Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self._compare, 0, Qt.AlignmentFlag.AlignVCenter)
        bar.addStretch(1)
        bar.addWidget(self._send, 0, Qt.AlignmentFlag.AlignVCenter)
        inside.addLayout(bar)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 4, 0, 12)
        column.setSpacing(4)
        column.addWidget(self._status)
        column.addWidget(box)
        self._send.clicked.connect(self._on_send_button_clicked)
        self._edit.textChanged.connect(self._update_send_enabled)
        self._edit.textChanged.connect(self._on_edit_text_changed)
        self._edit.textChanged.connect(self.contents_changed)
        self._edit.files_offered.connect(self.files_offered)
        self._edit.image_offered.connect(self.image_offered)
        self._typed = False
        self._update_send_enabled()
        self._paint_icons()

    # -- state the controller sets --------------------------------------------------------------

    @property
    def text(self) -> str:
        return self._edit.toPlainText()

    def set_text(self, text: str) -> None:
        self._edit.setPlainText(text)
        cursor = self._edit.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        self._edit.setTextCursor(cursor)

    def clear(self) -> None:
        """Empty the text and remove every attachment."""
        self._edit.clear()
        self.set_attachments(())

    # -- attachments ----------------------------------------------------------------------------

    def set_thumbnails(self, loader: ThumbnailLoader) -> None:
        """Where image chips get their thumbnails from."""
        self._thumbnails = loader

    @property
    def attachments(self) -> tuple[ComposerValue, ...]:
        """What goes with the message: the attachments read so far, in the order shown."""
        return tuple(item.value for item in self._items if item.value is not None)

    @property
    def reading(self) -> bool:
        """Some attachment is still being read: Send waits for it."""
        return any(item.value is None for item in self._items)

    def chips(self) -> list[AttachmentChip]:
        return [item.chip for item in self._items]

    def attachment_names(self) -> list[str]:
        return [item.chip.name for item in self._items]

    def add_reading(self, name: str, *, image: bool) -> AttachmentChip:
        """A chip for a file being read; `fill` or `withdraw` it once that is done."""
        chip = self._add_chip(name, image=image, size=None, mime_type="")
        chip.set_reading(True)
        self._items.append(_ComposerItem(chip, None))
        self._attachments_changed()
        return chip

    def fill(self, chip: AttachmentChip, value: ComposerValue) -> None:
        """The file behind `chip` has been read (nothing happens if it was removed meanwhile)."""
        item = self._item_of(chip)
        if item is None:
            return
        item.value = value
        chip.set_file(value.name, value.size, value.mime_type, image=_is_image(value))
        self._load_thumbnail(item)
        self._attachments_changed()

    def withdraw(self, chip: AttachmentChip) -> None:
        """The file behind `chip` could not be read: its chip goes (the others stay)."""
        item = self._item_of(chip)
        if item is not None:
            self._remove(item)

    def set_attachments(self, values: Iterable[ComposerValue]) -> None:
        """Show these attachments instead of the ones shown (an edited message's, a draft's)."""
        for item in self._items:
            self._drop_chip(item)
        self._items.clear()
        self.add_attachments(values)

    def add_attachments(self, values: Iterable[ComposerValue]) -> None:
        """Add attachments already read, after those shown (handed over from quick ask)."""
        for value in values:
            chip = self._add_chip(
                value.name, image=_is_image(value), size=value.size, mime_type=value.mime_type
            )
            item = _ComposerItem(chip, value)
            self._items.append(item)
            self._load_thumbnail(item)
        self._attachments_changed()

    def _add_chip(
        self, name: str, *, image: bool, size: int | None, mime_type: str
    ) -> AttachmentChip:
        chip = AttachmentChip(
            name, image=image, size=size, mime_type=mime_type, removable=True, parent=self._chips
        )
        chip.remove_clicked.connect(lambda: self._on_chip_remove_clicked(chip))
        self._chip_flow.addWidget(chip)
        chip.show()
        return chip

    def _item_of(self, chip: AttachmentChip) -> _ComposerItem | None:
        return next((item for item in self._items if item.chip is chip), None)

    def _remove(self, item: _ComposerItem) -> None:
        self._items.remove(item)
        self._drop_chip(item)
        self._attachments_changed()

    def _drop_chip(self, item: _ComposerItem) -> None:
        self._chip_flow.removeWidget(item.chip)
        item.chip.hide()
        item.chip.deleteLater()

    def _load_thumbnail(self, item: _ComposerItem) -> None:
        value, chip = item.value, item.chip
        if self._thumbnails is None or value is None or not _is_image(value):
            return
        side = side_for(CHIP_HEIGHT, self.devicePixelRatioF())
        if isinstance(value, ImagePart):
            self._thumbnails.request_blob(
                value.blob, side, chip, chip.set_thumbnail, chip.set_broken
            )
        elif isinstance(value, Attachment):
            self._thumbnails.request_bytes(
                value.data, side, chip, chip.set_thumbnail, chip.set_broken
            )

    def _attachments_changed(self) -> None:
        self._chips.setVisible(bool(self._items))
        self._update_send_enabled()
        self.contents_changed.emit()

    def _on_chip_remove_clicked(self, chip: AttachmentChip) -> None:
        item = self._item_of(chip)
        if item is not None:
            self._remove(item)
            self.focus_input()

    # -- tools --------------------------------------------------------------------------------

    @property
    def tools_button(self) -> QToolButton:
        return self._tools

    def set_tools_state(self, state: ToolsButtonState | None) -> None:
        """What the tools button shows (None: no button, where tools are never offered)."""
        if state == self._tools_state:
            return
        self._tools_state = state
        self._tools.setVisible(state is not None)
        if state is None:
            return
        self._tools.setChecked(state.on)
        self._tools.setText(state.label)
        self._tools.setToolTip(state.tooltip)
        self._tools.setAccessibleDescription(state.tooltip)
        self._tools.setProperty("available", state.available)
        self._paint_tools_icon()

    def _paint_tools_icon(self) -> None:
        state = self._tools_state
        if state is None:
            return
        palette = self.palette()
        base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
        colour = (
            palette.color(QPalette.ColorRole.Highlight)
            if state.on
            else mix(base, text, 0.6 if state.available else 0.35)
        )
        self._tools.setIcon(icon_in("wrench", colour))
        # The label in the icon's colour: muted when off, like the icon.
        tools_palette = self._tools.palette()
        tools_palette.setColor(QPalette.ColorRole.ButtonText, colour)
        self._tools.setPalette(tools_palette)

    def _on_tools_button_clicked(self, checked: bool) -> None:
        state = self._tools_state
        if state is not None and not state.available:
            self._tools.setChecked(False)
            self.tools_settings_requested.emit()
            return
        self.tools_toggled.emit(checked)

    # -- the model and its reasoning effort ------------------------------------------------------

    @property
    def model_button(self) -> QToolButton:
        return self._model

    @property
    def reasoning_button(self) -> QToolButton:
        return self._reasoning

    @property
    def model_text(self) -> str:
        """What the model button says, whole ("gpt-4o · work"), however it is elided."""
        return self._model_text

    def set_model(self, model: str | None, provider: str = "", tooltip: str = "") -> None:
        """The model (and its provider) the next message goes to; None hides the button."""
        self._model.setVisible(model is not None)
        self._compare.setVisible(model is not None)  # comparing needs models to pick from
        if model is None:
            return
        self._model_text = f"{model} · {provider}" if provider else model
        metrics = self._model.fontMetrics()
        self._model.setText(
            metrics.elidedText(self._model_text, Qt.TextElideMode.ElideMiddle, _MODEL_LABEL_WIDTH)
        )
        tip = tooltip or f"Model: {model} on {provider}. Click to choose another (Ctrl+Shift+M)"
        self._model.setToolTip(tip)
        self._model.setAccessibleDescription(tip)

    @property
    def compare_button(self) -> QToolButton:
        return self._compare

    def set_compare(self, on: bool, label: str = "") -> None:
        """Whether a send goes to several models; `label` names them (shown while on)."""
        self._compare.setChecked(on)
        self._compare.setToolButtonStyle(
            Qt.ToolButtonStyle.ToolButtonTextBesideIcon
            if on
            else Qt.ToolButtonStyle.ToolButtonIconOnly
        )
        metrics = self._compare.fontMetrics()
        self._compare.setText(
            metrics.elidedText(label, Qt.TextElideMode.ElideRight, _MODEL_LABEL_WIDTH) if on else ""
        )
        tip = f"{label} (Ctrl+Shift+K to change)" if on else ""
        self._compare.setToolTip(tip or "Ask several models at once (Ctrl+Shift+K)")

    def _on_compare_button_clicked(self) -> None:
        self._compare.setChecked(not self._compare.isChecked())  # the controller decides
        self.compare_requested.emit()

    def set_reasoning_effort(self, effort: str | None, *, shown: bool) -> None:
        """The reasoning effort chosen (None: the default); `shown` where the model takes one."""
        self._effort = effort
        self._reasoning.setVisible(shown)
        labels = dict(EFFORTS)
        label = labels.get(effort, (effort or "").capitalize())
        self._reasoning.setText(label)
        tip = f"Reasoning effort: {label.lower()}. How long the model thinks before it answers"
        self._reasoning.setToolTip(tip)
        self._reasoning.setAccessibleDescription(tip)
        self._fill_reasoning_menu()

    @property
    def reasoning_effort(self) -> str | None:
        return self._effort

    def _fill_reasoning_menu(self) -> None:
        menu = self._reasoning_menu
        menu.clear()
        group = QActionGroup(menu)
        offered = list(EFFORTS)
        if self._effort is not None and self._effort not in dict(EFFORTS):
            offered.append((self._effort, self._effort.capitalize()))
        for value, label in offered:
            action = QAction(label, menu)
            action.setCheckable(True)
            action.setChecked(value == self._effort)
            action.triggered.connect(lambda _c=False, v=value: self._on_effort_triggered(v))
            group.addAction(action)
            menu.addAction(action)

    def _on_effort_triggered(self, value: str | None) -> None:
        if value != self._effort:
            self.reasoning_effort_chosen.emit(value)

    def focus_input(self) -> None:
        self._edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def set_ctrl_enter_sends(self, enabled: bool) -> None:
        self._ctrl_enter_sends = enabled
        keys = "Ctrl+Enter" if enabled else "Enter"
        self._send_tooltip = f"Send ({keys})"
        if not self._busy:
            self._send.setToolTip(self._send_tooltip)

    def set_busy(self, busy: bool, status: str = "Kibitz is replying…") -> None:
        """While a reply streams the button stops it; the text field stays usable."""
        self._busy = busy
        self._send.setAccessibleName("Stop reply" if busy else "Send message")
        self._send.setToolTip("Stop the reply (Esc)" if busy else self._send_tooltip)
        self._send.setProperty("busy", busy)
        self._send.style().unpolish(self._send)
        self._send.style().polish(self._send)
        self._paint_send()
        if busy:
            self.set_status(status)
            self._spinner.start()
        else:
            self._spinner.stop()
            self._status.hide()
        self._update_send_enabled()

    def set_status(self, text: str) -> None:
        self._status_text = text
        self._status.setText(f"{_SPINNER[self._spin_step % len(_SPINNER)]}  {text}")
        self._status.show()

    @property
    def busy(self) -> bool:
        return self._busy

    # -- events ---------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if self._handle_key(event):
                return True
        return super().eventFilter(watched, event)

    def _handle_key(self, event: QKeyEvent) -> bool:
        key, mods = event.key(), event.modifiers()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
            shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
            if shift:
                return False  # a new line, whatever the send key
            if ctrl == self._ctrl_enter_sends:
                self._send_text()
                return True
            if self._ctrl_enter_sends:
                return False  # plain Enter: a new line
        if key == Qt.Key.Key_Escape and self._busy:
            self.stop_requested.emit()
            return True
        if key == Qt.Key.Key_Up and not self.text and not self._items and not mods:
            self.edit_last_requested.emit()
            return True
        return False

    def _on_send_button_clicked(self) -> None:
        if self._busy:
            self.stop_requested.emit()
        else:
            self._send_text()

    def _send_text(self) -> None:
        if self._busy or self.reading:
            return  # Enter while streaming does not queue a second question
        text = self.text.strip()
        if text or self._items:
            self.send_requested.emit(text)

    def _on_edit_text_changed(self) -> None:
        if not self._typed and self.text:
            self._typed = True
            self.typing_started.emit()

    def _update_send_enabled(self) -> None:
        ready = bool(self.text.strip()) or bool(self._items)
        self._send.setEnabled(self._busy or (ready and not self.reading))

    def _paint_icons(self) -> None:
        palette = self.palette()
        muted = mix(
            palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text), 0.6
        )
        self._model.setIcon(icon_in("chevron-down", muted))
        self._reasoning.setIcon(icon_in("brain", muted))
        self._compare.setIcon(icon_in("columns-2", muted))
        self._paint_send()
        self._paint_tools_icon()

    def _paint_send(self) -> None:
        palette = self.palette()
        base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
        # On the accent (Send) or the dark disc (Stop) the stylesheet paints; the icon matches.
        colour = base if self._busy else palette.color(QPalette.ColorRole.HighlightedText)
        self._send.setIcon(
            icon_in("square" if self._busy else "arrow-up", colour, mix(base, text, 0.45))
        )

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._paint_icons()

    def _on_spinner_timeout(self) -> None:
        self._spin_step += 1
        self.set_status(self._status_text)


def _is_image(value: ComposerValue) -> bool:
    if isinstance(value, Attachment):
        return value.kind is AttachmentKind.IMAGE
    return isinstance(value, ImagePart)
