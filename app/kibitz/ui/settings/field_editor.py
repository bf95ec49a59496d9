"""One editor per setting, built from the schema's type, range and help text.

Every editor validates with the schema (`SettingSpec.check`) when the user finishes an entry:
a refused value stays in the field, marked, with the allowed range under it, and nothing is
applied; an accepted one is announced through `committed`.
"""

from __future__ import annotations

import math
from typing import Any, get_origin

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from kibitz.core.settings import InvalidSettingError, SettingSpec
from kibitz.core.settings.fields import parse_text

# Names people know these by; the rest come from the field name.
_LABELS = {
    "defaults.top_p": "Top p",
    "defaults.max_tokens": "Max tokens",
    "defaults.n": "Replies per request (n)",
    "defaults.stop": "Stop sequences",
    "defaults.seed": "Seed",
    "defaults.response_format": "Response format",
    "chat.stall_timeout_s": "Stall timeout",
    "chat.request_timeout_s": "Request timeout",
    "chat.max_retries": "Retries",
    "chat.auto_title": "Name new conversations automatically",
    "chat.context_reserve_tokens": "Room kept for the reply",
    "chat.unknown_context_window": "Context window of unknown models",
    "chat.image_detail": "Image detail",
    "ui.font_size": "Text size",
    "ui.send_key": "Send with",
    "ui.close_to_tray": "Closing the window keeps Kibitz in the tray",
    "ui.hotkey": "Quick-ask hotkey",
    "ui.quick_ask_prefill": "Fill quick ask from",
    "ui.start_at_login": "Start Kibitz when you log in",
    "ui.render_math": "Render LaTeX math in messages",
}
_CHOICE_LABELS = {
    "system": "Follow the system",
    "light": "Light",
    "dark": "Dark",
    "enter": "Enter (Shift+Enter for a new line)",
    "ctrl+enter": "Ctrl+Enter (Enter for a new line)",
    "none": "Nothing",
    "clipboard": "The clipboard",
    "selection": "The selected text",
    "text": "Text",
    "json_object": "JSON object",
}
# Where a choice means something else for one setting ("none" is an effort, not "Nothing").
_PATH_CHOICE_LABELS = {
    "defaults.reasoning_effort": {
        "none": "None (answer without reasoning)",
        "minimal": "Minimal",
        "low": "Low",
        "medium": "Medium",
        "high": "High",
        "xhigh": "Extra high",
    },
    "chat.image_detail": {
        "auto": "Auto (the server chooses)",
        "low": "Low (cheaper, a rough look)",
        "high": "High (reads small print)",
    },
}
STOP_FIELDS = 4


def refusal_text(error: InvalidSettingError) -> str:
    """Why a value was refused; the allowed values only where the reason does not say."""
    if error.detail.endswith("is not allowed"):
        return f"{error.detail}: use {error.allowed}."
    return f"{error.detail}."


def label_for(spec: SettingSpec) -> str:
    if spec.info.label:
        return spec.info.label
    name = spec.path.rpartition(".")[2]
    return _LABELS.get(spec.path) or name.replace("_", " ").capitalize()


def format_value(value: object) -> str:
    """A stored value as a user would type it."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _escape_stop(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def _unescape_stop(text: str) -> str:
    out: list[str] = []
    chars = iter(text)
    for ch in chars:
        if ch != "\\":
            out.append(ch)
            continue
        nxt = next(chars, "")
        out.append({"n": "\n", "t": "\t", "\\": "\\"}.get(nxt, "\\" + nxt))
    return "".join(out)


class NumberBox(QAbstractSpinBox):
    """A number with its unit ("600 seconds") and arrows that step within the schema's range.

    Not a QSpinBox: that clamps or reverts a typed value silently, and empty (the default) is
    not a value it has. Here what is typed stays as typed; the field editor checks it against
    the schema and says why it was refused.
    """

    def __init__(self, spec: SettingSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._spec = spec
        self._integer = spec.type.base is int
        low, high = spec.info.min, spec.info.max
        wide = low is not None and high is not None and high - low > 2
        self._step = 1.0 if self._integer or wide else 0.1
        self.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.UpDownArrows)
        self.setKeyboardTracking(False)

    @property
    def edit(self) -> QLineEdit:
        """The text field inside (Qt keeps its getter protected)."""
        return self.lineEdit()

    def number_text(self) -> str:
        """What was typed, without the unit."""
        text = self.edit.text().strip()
        unit = self._spec.info.unit
        if unit and text.endswith(unit):
            text = text[: -len(unit)].strip()
        return text

    def show_number(self, value: object) -> None:
        text = format_value(value)
        unit = self._spec.info.unit
        self.edit.setText(f"{text} {unit}" if text and unit else text)

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        # Anything may be typed: the schema check says what is wrong, rather than Qt's fixup
        # quietly putting the old value back.
        return QValidator.State.Acceptable, text, pos

    def _current(self) -> float | None:
        try:
            return float(self.number_text())
        except ValueError:
            return None

    def stepEnabled(self) -> QAbstractSpinBox.StepEnabledFlag:
        current = self._current()
        low, high = self._spec.info.min, self._spec.info.max
        flags = QAbstractSpinBox.StepEnabledFlag.StepNone
        if current is None or high is None or current < high:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        if current is None or low is None or current > low:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        return flags

    def stepBy(self, steps: int) -> None:
        current = self._current()
        if current is None:
            default = self._spec.default
            start = default if isinstance(default, int | float) else self._spec.info.min
            current = float(start or 0)
        value = current + steps * self._step
        low, high = self._spec.info.min, self._spec.info.max
        if low is not None:
            value = max(low, value)
        if high is not None:
            value = min(high, value)
        number: int | float = round(value) if self._integer else round(value, 6)
        self.show_number(number)
        self.editingFinished.emit()


class FieldEditor(QWidget):
    """A setting's input and, under it, the reason a value was refused."""

    committed = Signal(object)  # the validated value (None: not set / the default)

    def __init__(
        self, spec: SettingSpec, *, placeholder: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.spec = spec
        self._value: Any = None
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        self._error = QLabel()
        self._error.setObjectName("FieldError")
        self._error.setWordWrap(True)
        self._error.hide()
        self._input = self._build(placeholder)
        column.addWidget(self._input)
        column.addWidget(self._error)
        self.setToolTip(spec.info.help)
        self.setAccessibleName(label_for(spec))
        self._input.setAccessibleName(label_for(spec))
        self._input.setAccessibleDescription(f"{spec.info.help} Allowed: {spec.allowed}.")

    # -- construction --------------------------------------------------------------------------

    def _build(self, placeholder: str) -> QWidget:
        base = self.spec.type.base
        if base is bool:
            box = QCheckBox(label_for(self.spec))
            box.toggled.connect(self._on_toggled)
            self._checkbox = box
            return box
        if self.spec.choices:
            combo = QComboBox()
            if self.spec.type.optional:
                combo.addItem(placeholder or "Server default", None)
            labels = {**_CHOICE_LABELS, **_PATH_CHOICE_LABELS.get(self.spec.path, {})}
            for choice in self.spec.choices:
                combo.addItem(labels.get(choice, choice), choice)
            combo.activated.connect(self._on_choice)
            self._combo = combo
            return combo
        if get_origin(base) is tuple:
            return self._build_list(placeholder)
        if base in (int, float):
            number = NumberBox(self.spec)
            self._number = number
            edit = number.edit
            edit.setPlaceholderText(placeholder or self._default_placeholder())
            edit.setClearButtonEnabled(self.spec.type.optional)
            edit.setAccessibleName(label_for(self.spec))
            number.editingFinished.connect(self._on_text_finished)
            edit.editingFinished.connect(self._on_text_finished)
            self._edit = edit
            return number
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder or self._default_placeholder())
        edit.setClearButtonEnabled(self.spec.type.optional)
        edit.editingFinished.connect(self._on_text_finished)
        self._edit = edit
        return edit

    def _build_list(self, placeholder: str) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        self._parts: list[QLineEdit] = []
        count = self.spec.info.max_items or STOP_FIELDS
        for i in range(count):
            part = QLineEdit()
            part.setPlaceholderText(placeholder if i == 0 and placeholder else "—")
            part.setAccessibleName(f"{label_for(self.spec)} {i + 1}")
            part.setToolTip("One entry; \\n is a line break.")
            part.editingFinished.connect(self._on_list_finished)
            layout.addWidget(part)
            self._parts.append(part)
        return row

    def _default_placeholder(self) -> str:
        if self.spec.path == "defaults.seed":
            return "Server default (random)"
        if self.spec.type.optional:
            whose = "Server" if self.spec.path.startswith("defaults.") else "System"
            return f"{whose} default ({self.spec.allowed.split(', or nothing')[0]})"
        return ""

    # -- value ---------------------------------------------------------------------------------

    def value(self) -> Any:
        return self._value

    def set_value(self, value: Any) -> None:
        """Show a value from the settings; no signal, and any pending error is cleared."""
        self._value = value
        self._show_error(None)
        if hasattr(self, "_checkbox"):
            self._checkbox.blockSignals(True)
            self._checkbox.setChecked(bool(value))
            self._checkbox.blockSignals(False)
        elif hasattr(self, "_combo"):
            index = self._combo.findData(value)
            self._combo.setCurrentIndex(max(index, 0))
        elif hasattr(self, "_parts"):
            items = list(value or ())
            for i, part in enumerate(self._parts):
                part.setText(_escape_stop(items[i]) if i < len(items) else "")
        elif hasattr(self, "_number"):
            self._number.show_number(value)
        else:
            self._edit.setText(format_value(value))

    def set_placeholder(self, text: str) -> None:
        if hasattr(self, "_edit"):
            self._edit.setPlaceholderText(text)
        elif hasattr(self, "_parts") and self._parts:
            self._parts[0].setPlaceholderText(text)
        elif hasattr(self, "_combo") and self.spec.type.optional:
            self._combo.setItemText(0, text)

    def error_text(self) -> str:
        return self._error.text() if not self._error.isHidden() else ""

    def input_widget(self) -> QWidget:
        return self._input

    # -- entry ---------------------------------------------------------------------------------

    def _on_toggled(self, checked: bool) -> None:
        self._commit(checked)

    def _on_choice(self, index: int) -> None:
        self._commit(self._combo.itemData(index))

    def _on_text_finished(self) -> None:
        text = self._number.number_text() if hasattr(self, "_number") else self._edit.text()
        if text.strip() == format_value(self._value) and self.error_text() == "":
            return
        try:
            value = parse_text(self.spec.path, self.spec.type, self.spec.info, text)
            if isinstance(value, float) and not math.isfinite(value):
                raise InvalidSettingError(self.spec.path, text, self.spec.allowed)
        except InvalidSettingError as exc:
            self._show_error(exc)
            return
        self._commit(value, typed=text.strip())
        if hasattr(self, "_number") and self.error_text() == "":
            self._number.show_number(self._value)  # "600" typed reads "600 seconds"

    def _on_list_finished(self) -> None:
        items = [_unescape_stop(p.text()) for p in self._parts if p.text()]
        value = tuple(items) or None
        if value == self._value and self.error_text() == "":
            return
        self._commit(value)

    def _commit(self, value: Any, *, typed: str | None = None) -> None:
        try:
            checked = self.spec.check(value)
        except InvalidSettingError as exc:
            if typed is not None and exc.detail.endswith("is not allowed"):
                # Say "5 is not allowed", as typed, rather than the parsed 5.0.
                exc = InvalidSettingError(self.spec.path, typed, exc.allowed)
            self._show_error(exc)
            return
        self._show_error(None)
        self._value = checked
        self.committed.emit(checked)

    def refuse(self, error: InvalidSettingError) -> None:
        """A check beyond the schema (a model's output limit) refused the committed value."""
        self._show_error(error)

    def _show_error(self, error: InvalidSettingError | None) -> None:
        if error is None:
            self._error.hide()
            self._error.clear()
            self._input.setProperty("invalid", False)
            self._edit_of_number(False)
        else:
            self._error.setText(refusal_text(error))
            self._error.show()
            self._input.setProperty("invalid", True)
            self._edit_of_number(True)
        # The stylesheet keys on the property: re-polish to show or clear the red edge.
        number_edit = [self._number.edit] if hasattr(self, "_number") else []
        for widget in (self._input, *getattr(self, "_parts", ()), *number_edit):
            widget.style().unpolish(widget)
            widget.style().polish(widget)

    def _edit_of_number(self, invalid: bool) -> None:
        # The red edge is drawn on line edits: a number's is inside its box.
        if hasattr(self, "_number"):
            self._number.edit.setProperty("invalid", invalid)
