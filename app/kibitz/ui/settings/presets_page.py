"""System prompts: named presets to create, edit, delete, and the default for new chats."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kibitz.core.settings import InvalidSettingError, Settings
from kibitz.core.settings.presets import Preset, with_default, with_preset, without_preset
from kibitz.ui.settings.context import SettingsContext
from kibitz.ui.settings.field_editor import refusal_text
from kibitz.ui.settings.form_page import help_label, on_focus_out, unique_name
from kibitz.ui.settings.named_list import beside_list, refill


class PresetsPage(QWidget):
    def __init__(self, context: SettingsContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._current: str | None = None
        self.list = QListWidget()
        self.list.setAccessibleName("System prompt presets")
        self.list.setMaximumWidth(170)
        self.list.currentItemChanged.connect(self._on_chosen)
        add = QPushButton("New")
        add.setAccessibleName("New system prompt preset")
        add.clicked.connect(self.add_preset)
        self.remove_button = QPushButton("Delete")
        self.remove_button.setAccessibleName("Delete this preset")
        self.remove_button.clicked.connect(self.remove_current)
        self.name = QLineEdit()
        self.name.setAccessibleName("Preset name")
        self.name.editingFinished.connect(self._commit)
        self.text = QPlainTextEdit()
        self.text.setAccessibleName("Preset text")
        self.text.setPlaceholderText("You are a helpful assistant…")
        on_focus_out(self.text, self._commit)
        self.default_button = QPushButton("Use for new chats")
        self.default_button.setAccessibleName("Use this preset for new chats")
        self.default_button.clicked.connect(self.make_default)
        self.default_note = QLabel()
        self.default_note.setObjectName("FieldHelp")
        self.error = QLabel()
        self.error.setObjectName("FieldError")
        self.error.setWordWrap(True)
        self.error.hide()

        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(self.remove_button)
        left.addLayout(buttons)
        self._editor = QWidget()
        right = QVBoxLayout(self._editor)
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(QLabel("Name:"))
        right.addWidget(self.name)
        right.addWidget(QLabel("Text:"))
        right.addWidget(self.text, 1)
        right.addWidget(self.error)
        row = QHBoxLayout()
        row.addWidget(self.default_button)
        row.addWidget(self.default_note, 1)
        right.addLayout(row)
        self._empty = help_label(
            "No presets yet. New makes one; the one used for new chats is marked ★. "
            "A conversation can switch preset in its settings."
        )
        beside_list(self, left, self._editor, self._empty)
        context.settings.changed.connect(self._reload)
        self._reload(context.settings())

    def _reload(self, settings: Settings) -> None:
        presets = settings.presets
        rows = [
            (p.name, p.name + ("  ★" if p.name == presets.default else "")) for p in presets.items
        ]
        chosen_first = refill(
            self.list,
            rows,
            self._current,
            empty=self._empty,
            editor=self._editor,
            remove=self.remove_button,
        )
        if not chosen_first and self._current is not None:
            self._show(self._current)

    def _on_chosen(self, item: QListWidgetItem | None, _previous: Any) -> None:
        self._commit()
        if item is not None:
            self._show(item.data(Qt.ItemDataRole.UserRole))

    def _show(self, name: str) -> None:
        presets = self._context.settings().presets
        preset = next((p for p in presets.items if p.name == name), None)
        if preset is None:
            return
        self._current = name
        if not self.name.hasFocus():
            self.name.setText(preset.name)
        if not self.text.hasFocus():
            self.text.setPlainText(preset.text)
        is_default = presets.default == name
        self.default_button.setEnabled(not is_default)
        self.default_note.setText("New chats start with this one." if is_default else "")

    def _commit(self) -> None:
        if self._current is None:
            return
        settings = self._context.settings()
        old = next((p for p in settings.presets.items if p.name == self._current), None)
        if old is None:
            return
        try:
            preset = Preset(self.name.text().strip(), self.text.toPlainText())
            updated = with_preset(settings, preset, replacing=old.name)
        except InvalidSettingError as exc:
            self.error.setText(refusal_text(exc))
            self.error.show()
            return
        self.error.hide()
        if preset != old:
            self._current = preset.name
            self._apply(updated)

    def add_preset(self) -> None:
        self._commit()
        settings = self._context.settings()
        name = unique_name((p.name for p in settings.presets.items), "New preset")
        self._current = name
        self._apply(with_preset(settings, Preset(name, "")))
        self.name.setFocus()
        self.name.selectAll()

    def remove_current(self) -> None:
        if self._current is None:
            return
        name, self._current = self._current, None
        self._apply(without_preset(self._context.settings(), name))

    def make_default(self) -> None:
        self._commit()
        if self._current is not None:
            self._apply(with_default(self._context.settings(), self._current))

    def _apply(self, settings: Settings) -> None:
        self._context.apply(settings)
