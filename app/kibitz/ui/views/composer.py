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

The text field is ComposerEdit (composer_input), the chips are kept by ComposerAttachments
(composer_attachments), and the bar's buttons are made and painted in composer_buttons.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from kibitz.ui.icons import icon_in
from kibitz.ui.views.composer_buttons import (
    EFFORTS,
    ToolsButtonState,
    fill_effort_menu,
    make_attach_button,
    make_compare_button,
    make_model_button,
    make_reasoning_button,
    make_send_button,
    make_tools_button,
    paint_send_button,
    paint_tools_button,
)
from kibitz.ui.views.composer_input import ComposerEdit

if TYPE_CHECKING:
    from kibitz.ui.attachments.thumbnails import ThumbnailLoader
    from kibitz.ui.views.attachment_chip import AttachmentChip
    from kibitz.ui.views.composer_attachments import ComposerAttachments, ComposerValue
from kibitz.ui.views.message_parts import mix

# Imported from here by the controllers, the window and the tests.
__all__ = ["EFFORTS", "Composer", "ComposerEdit", "ToolsButtonState"]

_SPINNER = "◐◓◑◒"
_MODEL_LABEL_WIDTH = 220  # "<model> · <provider>" is elided past this


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
        self._send = make_send_button()
        self._send_tooltip = "Send (Enter)"
        self._attach = make_attach_button()
        self._attach.clicked.connect(self.attach_requested)
        self._model = make_model_button()
        self._model.clicked.connect(self.model_menu_requested)
        self._model_text = ""
        self._reasoning, self._reasoning_menu = make_reasoning_button()
        self._effort: str | None = None
        self._tools = make_tools_button()
        self._tools.clicked.connect(self._on_tools_button_clicked)
        self._tools_state: ToolsButtonState | None = None
        self._compare = make_compare_button()
        # The button only asks; the controller says whether Compare is on (set_compare).
        self._compare.clicked.connect(self._on_compare_button_clicked)
        # The chips above the text, made with the first attachment (~3 ms of the first frame).
        self._chips: ComposerAttachments | None = None
        self._thumbnails: ThumbnailLoader | None = None
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
        inside = self._inside = QVBoxLayout(box)
        inside.setContentsMargins(10, 8, 8, 8)
        inside.setSpacing(4)
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

    # -- attachments (the chips: ComposerAttachments) -------------------------------------------

    @property
    def _strip(self) -> ComposerAttachments:
        """The chips' strip, made when first needed, above the text."""
        if self._chips is None:
            from kibitz.ui.views.composer_attachments import ComposerAttachments

            self._chips = ComposerAttachments(self)
            self._chips.changed.connect(self._on_strip_changed)
            self._chips.chip_removed.connect(self.focus_input)
            if self._thumbnails is not None:
                self._chips.set_thumbnails(self._thumbnails)
            self._inside.insertWidget(0, self._chips.widget)
        return self._chips

    def _has_chips(self) -> bool:
        return self._chips is not None and self._chips.any_shown

    def set_thumbnails(self, loader: ThumbnailLoader) -> None:
        """Where image chips get their thumbnails from."""
        self._thumbnails = loader
        if self._chips is not None:
            self._chips.set_thumbnails(loader)

    @property
    def attachments(self) -> tuple[ComposerValue, ...]:
        """What goes with the message: the attachments read so far, in the order shown."""
        return () if self._chips is None else self._chips.values

    @property
    def reading(self) -> bool:
        """Some attachment is still being read: Send waits for it."""
        return self._chips is not None and self._chips.reading

    def chips(self) -> list[AttachmentChip]:
        return [] if self._chips is None else self._chips.chips()

    def attachment_names(self) -> list[str]:
        return [chip.name for chip in self.chips()]

    def add_reading(self, name: str, *, image: bool) -> AttachmentChip:
        """A chip for a file being read; `fill` or `withdraw` it once that is done."""
        return self._strip.add_reading(name, image=image)

    def fill(self, chip: AttachmentChip, value: ComposerValue) -> None:
        """The file behind `chip` has been read (nothing happens if it was removed meanwhile)."""
        self._strip.fill(chip, value)

    def withdraw(self, chip: AttachmentChip) -> None:
        """The file behind `chip` could not be read: its chip goes (the others stay)."""
        self._strip.withdraw(chip)

    def set_attachments(self, values: Iterable[ComposerValue]) -> None:
        """Show these attachments instead of the ones shown (an edited message's, a draft's)."""
        values = tuple(values)
        if values or self._chips is not None:
            self._strip.set_values(values)

    def add_attachments(self, values: Iterable[ComposerValue]) -> None:
        """Add attachments already read, after those shown (handed over from quick ask)."""
        values = tuple(values)
        if values:
            self._strip.add_values(values)

    def _on_strip_changed(self) -> None:
        self._update_send_enabled()
        self.contents_changed.emit()

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
        if self._tools_state is not None:
            paint_tools_button(self._tools, self._tools_state, self.palette())

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
        fill_effort_menu(self._reasoning_menu, self._effort, self._on_effort_triggered)

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
        if key == Qt.Key.Key_Up and not self.text and not self._has_chips() and not mods:
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
        if text or self._has_chips():
            self.send_requested.emit(text)

    def _on_edit_text_changed(self) -> None:
        if not self._typed and self.text:
            self._typed = True
            self.typing_started.emit()

    def _update_send_enabled(self) -> None:
        ready = bool(self.text.strip()) or self._has_chips()
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
        paint_send_button(self._send, busy=self._busy, palette=self.palette())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._paint_icons()

    def _on_spinner_timeout(self) -> None:
        self._spin_step += 1
        self.set_status(self._status_text)
