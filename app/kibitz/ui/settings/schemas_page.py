"""Structured output: named JSON Schemas to create, paste or load from a file, edit and delete.

A schema is checked when it is saved (leaving the field, choosing another one, New): one that
is not JSON, not a JSON Schema or not an object at the root is refused with where and why, and
what was typed stays in the editor. Strict-mode problems are warned about, never refused.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
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

from kibitz.core.chat.structured_output import check_schema_text
from kibitz.core.settings import InvalidSettingError, Settings
from kibitz.core.settings.schemas import OutputSchema, with_schema, without_schema
from kibitz.ui.settings.context import SettingsContext
from kibitz.ui.settings.field_editor import refusal_text
from kibitz.ui.settings.form_page import help_label, on_focus_out, unique_name
from kibitz.ui.settings.named_list import beside_list, refill

log = logging.getLogger(__name__)

INTRO = (
    "JSON Schemas a reply can be made to follow (structured output). A conversation picks "
    "one in its settings (Conversation → Conversation settings → Structured output)."
)
NEW_SCHEMA = """{
  "type": "object",
  "properties": {
    "answer": {"type": "string"}
  },
  "required": ["answer"],
  "additionalProperties": false
}"""


class SchemasPage(QWidget):
    def __init__(self, context: SettingsContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._current: str | None = None
        self.file_dialog: QFileDialog | None = None  # while "Load file…" is open
        self.list = QListWidget()
        self.list.setAccessibleName("Schemas")
        self.list.setMaximumWidth(170)
        self.list.currentItemChanged.connect(self._on_chosen)
        add = QPushButton("New")
        add.setAccessibleName("New schema")
        add.clicked.connect(self.add_schema)
        self.remove_button = QPushButton("Delete")
        self.remove_button.setAccessibleName("Delete this schema")
        self.remove_button.clicked.connect(self.remove_current)
        self.name = QLineEdit()
        self.name.setAccessibleName("Schema name")
        self.name.editingFinished.connect(self._on_text_focus_out)
        self.strict = QCheckBox("Strict: the reply follows the schema exactly (OpenAI)")
        self.strict.setAccessibleName("Strict mode")
        self.strict.toggled.connect(self._on_strict_toggled)
        self.text = QPlainTextEdit()
        self.text.setAccessibleName("JSON Schema")
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setPlaceholderText('{"type": "object", "properties": {...}}')
        on_focus_out(self.text, self._on_text_focus_out)
        self.load_button = QPushButton("Load file…")
        self.load_button.setAccessibleName("Load a JSON Schema file")
        self.load_button.clicked.connect(self.choose_file)
        self.error = QLabel()
        self.error.setObjectName("FieldError")
        self.error.setAccessibleName("Schema error")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.warnings = QLabel()
        self.warnings.setObjectName("SetupWarning")
        self.warnings.setAccessibleName("Strict-mode warnings")
        self.warnings.setWordWrap(True)
        self.warnings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warnings.hide()

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
        schema_row = QHBoxLayout()
        schema_row.addWidget(QLabel("JSON Schema (the root an object):"), 1)
        schema_row.addWidget(self.load_button)
        right.addLayout(schema_row)
        right.addWidget(self.text, 1)
        right.addWidget(self.strict)
        right.addWidget(self.error)
        right.addWidget(self.warnings)
        self._empty = help_label(
            "No schemas yet. New starts one to edit; Load file… reads a .json file. "
            "Each is checked when saved."
        )
        beside_list(self, left, self._editor, self._empty)
        context.settings.changed.connect(self._reload)
        self._reload(context.settings())

    # -- display -------------------------------------------------------------------------------

    def _reload(self, settings: Settings) -> None:
        chosen_first = refill(
            self.list,
            [(s.name, s.name) for s in settings.schemas.items],
            self._current,
            empty=self._empty,
            editor=self._editor,
            remove=self.remove_button,
        )
        if not chosen_first and self._current is not None and not self.error.isVisible():
            self._show(self._current)

    def _on_chosen(self, item: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        if not self.commit():
            # What was typed is not lost: the refused schema stays chosen, its text in place.
            if previous is not None:
                self.list.blockSignals(True)
                self.list.setCurrentItem(previous)
                self.list.blockSignals(False)
            return
        if item is not None:
            self._show(item.data(Qt.ItemDataRole.UserRole))

    def _show(self, name: str) -> None:
        schema = self._context.settings().schemas.schema(name)
        if schema is None:
            return
        self._current = name
        if not self.name.hasFocus():
            self.name.setText(schema.name)
        if not self.text.hasFocus():
            self.text.setPlainText(schema.schema)
        self.strict.blockSignals(True)
        self.strict.setChecked(schema.strict)
        self.strict.blockSignals(False)
        self.error.hide()
        self._show_warnings(check_schema_text(schema.schema, strict=schema.strict).warnings)

    def _show_warnings(self, warnings: tuple[str, ...]) -> None:
        lines = ["OpenAI's strict mode may refuse this schema:", *(f"• {w}" for w in warnings)]
        self.warnings.setText("\n".join(lines))
        self.warnings.setVisible(bool(warnings))

    def _refuse(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self.warnings.hide()

    # -- edits ---------------------------------------------------------------------------------

    def commit(self) -> bool:
        """Save what the editor shows; False (the error shown, the text kept) when refused."""
        if self._current is None:
            return True
        settings = self._context.settings()
        old = settings.schemas.schema(self._current)
        if old is None:
            return True
        text, strict = self.text.toPlainText(), self.strict.isChecked()
        check = check_schema_text(text, strict=strict)
        if not check.ok:
            self._refuse(check.errors[0])
            return False
        try:
            schema = OutputSchema(self.name.text().strip(), text, strict)
            updated = with_schema(settings, schema, replacing=old.name)
        except InvalidSettingError as exc:
            self._refuse(refusal_text(exc))
            return False
        self.error.hide()
        self._show_warnings(check.warnings)
        if schema != old:
            self._current = schema.name
            self._context.apply(updated)
        return True

    def _on_text_focus_out(self) -> None:
        self.commit()

    def _on_strict_toggled(self, _checked: bool) -> None:
        self.commit()

    def add_schema(self) -> None:
        if not self.commit():
            return
        settings = self._context.settings()
        name = unique_name((s.name for s in settings.schemas.items), "New schema")
        self._current = name
        self._context.apply(with_schema(settings, OutputSchema(name, NEW_SCHEMA)))
        # Shown even where a field kept the focus (the reload leaves a focused field alone).
        self.name.setText(name)
        self.text.setPlainText(NEW_SCHEMA)
        self.name.setFocus()
        self.name.selectAll()

    def remove_current(self) -> None:
        if self._current is None:
            return
        name, self._current = self._current, None
        self.error.hide()
        self._context.apply(without_schema(self._context.settings(), name))

    def choose_file(self) -> None:
        dialog = self.file_dialog = QFileDialog(self, "Load a JSON Schema", str(Path.home()))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(["JSON Schema (*.json)", "All files (*)"])
        dialog.fileSelected.connect(lambda path: self.load_file(Path(path)))
        dialog.finished.connect(self._on_file_dialog_finished)
        dialog.open()

    def _on_file_dialog_finished(self, _result: Any) -> None:
        self.file_dialog = None

    def load_file(self, path: Path) -> bool:
        """Put the file's schema in the editor and save it (a new schema named after the file
        when none is chosen); False when it cannot be read or is refused (the error says why)."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            log.info("schema file %s not read: %s", path, exc)
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self._editor.show()
            self._refuse(f"Cannot read {path.name}: {reason}.")
            return False
        if self._current is None:
            settings = self._context.settings()
            name = unique_name((s.name for s in settings.schemas.items), path.stem[:64])
            self._current = name
            self._context.apply(with_schema(settings, OutputSchema(name)))
            self.name.setText(name)
        self.text.setPlainText(text)
        return self.commit()
