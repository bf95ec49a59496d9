"""The Export dialog: which conversations, which format, which folder (layout only)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

ExportFormat = Literal["markdown", "json"]
_TITLE_CHARS = 50


@dataclass(frozen=True, slots=True)
class ExportChoice:
    conversation_id: int | None  # None: every conversation
    format: ExportFormat
    all_branches: bool
    folder: Path


def _short(title: str) -> str:
    title = " ".join(title.split()) or "New chat"
    return title if len(title) <= _TITLE_CHARS else title[: _TITLE_CHARS - 1].rstrip() + "…"


class ExportDialog(QDialog):
    """Asks what to export; emits `chosen` when the user presses Export.

    Opened with open(), not exec(): no nested event loop under the asyncio one.
    """

    chosen = Signal(object)  # ExportChoice

    def __init__(
        self,
        parent: QWidget | None,
        *,
        conversation: tuple[int, str] | None,
        total: int,
        folder: Path,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export conversations")
        self.setAccessibleName("Export conversations")
        self._conversation_id = None if conversation is None else conversation[0]

        self.one = QRadioButton(
            f"Only “{_short(conversation[1])}”" if conversation else "Only the open conversation"
        )
        self.one.setAccessibleName("Export only this conversation")
        self.one.setEnabled(conversation is not None)
        self.every = QRadioButton(f"All {total} conversations")
        self.every.setAccessibleName("Export all conversations")
        scope = QButtonGroup(self)
        scope.addButton(self.one)
        scope.addButton(self.every)
        (self.one if conversation is not None else self.every).setChecked(True)

        self.markdown = QRadioButton("Markdown: one file per conversation")
        self.markdown.setAccessibleName("Markdown format")
        self.json = QRadioButton("JSON: one lossless file that Kibitz can import again")
        self.json.setAccessibleName("JSON format")
        kind = QButtonGroup(self)
        kind.addButton(self.markdown)
        kind.addButton(self.json)
        self.markdown.setChecked(True)
        self.branches = QCheckBox("Every branch, not only the current one")
        self.branches.setAccessibleName("Export every branch")

        self.folder = QLineEdit(str(folder))
        self.folder.setAccessibleName("Export folder")
        self.browse = QPushButton("Choose…")
        self.browse.setAccessibleName("Choose the export folder")
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.browse)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel the export")
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.export_button.setAccessibleName("Export")
        self.problem = QLabel()
        self.problem.setAccessibleName("Export problem")
        self.problem.setWordWrap(True)
        self.problem.hide()

        scope_box = QVBoxLayout()
        scope_box.addWidget(self.one)
        scope_box.addWidget(self.every)
        format_box = QVBoxLayout()
        format_box.addWidget(self.markdown)
        format_box.addWidget(self.json)
        format_box.addWidget(self.branches)
        form = QFormLayout()
        form.addRow("Conversations:", scope_box)
        form.addRow("Format:", format_box)
        form.addRow("Folder:", folder_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        # Enter exports. Set once the buttons are in the dialog: before, the dialog cannot
        # know of it and the first auto-default button would take Enter.
        self.export_button.setDefault(True)

        self.json.toggled.connect(self._on_json_toggled)
        self.browse.clicked.connect(self._on_browse_clicked)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)

    def choice(self) -> ExportChoice:
        return ExportChoice(
            conversation_id=self._conversation_id if self.one.isChecked() else None,
            format="json" if self.json.isChecked() else "markdown",
            all_branches=self.branches.isChecked() and not self.json.isChecked(),
            folder=Path(self.folder.text().strip()).expanduser(),
        )

    def _on_json_toggled(self, checked: bool) -> None:
        # JSON always holds every branch: the box would only mislead.
        self.branches.setEnabled(not checked)

    def _on_browse_clicked(self) -> None:
        dialog = QFileDialog(self, "Export to folder", self.folder.text())
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(self.folder.setText)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _on_buttons_accepted(self) -> None:
        text = self.folder.text().strip()
        if not text:
            self.problem.setText("Choose a folder to export into.")
            self.problem.show()
            self.folder.setFocus()
            return
        if Path(text).expanduser().is_file():
            self.problem.setText(f"{text} is a file: choose a folder.")
            self.problem.show()
            self.folder.setFocus()
            return
        self.chosen.emit(self.choice())
        self.accept()
