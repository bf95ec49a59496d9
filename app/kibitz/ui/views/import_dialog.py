"""The Import dialog: which file, and whether ChatGPT's custom instructions come along (layout
only)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

FILE_FILTERS = ["ChatGPT or Kibitz export (*.zip *.json)", "All files (*)"]
KEEP_INSTRUCTIONS = "Keep my ChatGPT custom instructions as each conversation's system prompt"


@dataclass(frozen=True, slots=True)
class ImportChoice:
    path: Path  # a .zip, a .json, or an extracted export's folder
    keep_instructions: bool


class ImportDialog(QDialog):
    """Asks what to import; emits `chosen` when the user presses Import.

    Opened with open(), not exec(): no nested event loop under the asyncio one.
    """

    chosen = Signal(object)  # ImportChoice

    def __init__(self, parent: QWidget | None, *, folder: Path, keep_instructions: bool) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import conversations")
        self.setAccessibleName("Import conversations")
        self._folder = folder

        intro = QLabel(
            "ChatGPT's “Export data” (the .zip, or the conversations.json inside it) or a "
            "Kibitz JSON export. Conversations already here are skipped."
        )
        intro.setWordWrap(True)
        self.path = QLineEdit()
        self.path.setAccessibleName("File to import")
        self.path.setPlaceholderText("chatgpt-export.zip")
        self.browse = QPushButton("Choose…")
        self.browse.setAccessibleName("Choose the file to import")
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(self.browse)

        self.keep_instructions = QCheckBox(KEEP_INSTRUCTIONS)
        self.keep_instructions.setAccessibleName("Keep my ChatGPT custom instructions")
        self.keep_instructions.setChecked(keep_instructions)
        self.keep_instructions.setToolTip(
            "ChatGPT adds your custom instructions to every conversation. They are account "
            "settings, so by default they are left out."
        )

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel the import")
        self.import_button = self.buttons.addButton(
            "Import", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.import_button.setAccessibleName("Import")
        self.problem = QLabel()
        self.problem.setAccessibleName("Import problem")
        self.problem.setWordWrap(True)
        self.problem.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(path_row)
        layout.addWidget(self.keep_instructions)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        # Enter imports. Set once the buttons are in the dialog: before, the dialog cannot
        # know of it and the first auto-default button (Cancel) would take Enter.
        self.import_button.setDefault(True)

        self.browse.clicked.connect(self._on_browse_clicked)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)

    def choice(self) -> ImportChoice:
        return ImportChoice(
            path=Path(self.path.text().strip()).expanduser(),
            keep_instructions=self.keep_instructions.isChecked(),
        )

    def _on_browse_clicked(self) -> None:
        start = self.path.text().strip() or str(self._folder)
        dialog = QFileDialog(self, "Import conversations", start)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(FILE_FILTERS)
        dialog.setAccessibleName("Choose the file to import")
        dialog.fileSelected.connect(self.path.setText)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.show()
        self.path.setFocus()

    def _on_buttons_accepted(self) -> None:
        text = self.path.text().strip()
        if not text:
            self._show_problem("Choose a file to import.")
            return
        if not Path(text).expanduser().exists():
            self._show_problem(f"{text} does not exist.")
            return
        self.chosen.emit(self.choice())
        self.accept()
