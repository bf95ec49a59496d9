"""Import… in Settings → Tools: the `mcpServers` of Claude Desktop, Cursor, LM Studio, VS Code
or Windsurf, from their file or pasted, previewed before anything changes.

The preview says which servers will be added and which replace one of the same name, what is
left out and why (kibitz.core.tools.import_config reads the file); Import then stores their
values in the keyring and the servers in the settings, as `kibitz mcp import` does.
"""

from __future__ import annotations

import asyncio
import html
import os
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kibitz.core.errors import InvalidValueError, SecretsError
from kibitz.core.settings import Settings
from kibitz.core.tools.import_config import ImportResult, parse_mcp_config
from kibitz.ui.notify import Notice
from kibitz.ui.settings.context import SettingsContext
from kibitz.ui.settings.form_page import help_label
from kibitz.ui.settings.tool_secrets import import_servers, unusable_text
from kibitz.ui.settings.tool_server_details import TRANSPORT_NAMES, where
from kibitz.ui.settings.tool_server_list import count

PREVIEW_DELAY_MS = 250  # typing or pasting settles before the JSON is read again
# Where other apps keep their MCP servers, under the home folder (and %APPDATA% on Windows).
KNOWN_FILES: tuple[tuple[str, str], ...] = (
    ("Claude Desktop", ".config/Claude/claude_desktop_config.json"),
    ("Claude Desktop", "Library/Application Support/Claude/claude_desktop_config.json"),
    ("Cursor", ".cursor/mcp.json"),
    ("LM Studio", ".lmstudio/mcp.json"),
    ("VS Code", ".config/Code/User/mcp.json"),
    ("VS Code", "Library/Application Support/Code/User/mcp.json"),
    ("Windsurf", ".codeium/windsurf/mcp_config.json"),
)
_APPDATA_FILES = (
    ("Claude Desktop", "Claude/claude_desktop_config.json"),
    ("VS Code", "Code/User/mcp.json"),
)
_ERROR = "#d64541"  # the state colour of a failed server, readable on light and dark
_EXAMPLE = '{"mcpServers": {"files": {"command": "npx", "args": ["-y", "…"], "env": {…}}}}'


def known_config_files(home: Path, appdata: str | None = None) -> list[tuple[str, Path]]:
    """The other apps' MCP files that exist here: (app name, path)."""
    candidates = [(app, home / rel) for app, rel in KNOWN_FILES]
    if appdata:
        candidates += [(app, Path(appdata) / rel) for app, rel in _APPDATA_FILES]
    found: list[tuple[str, Path]] = []
    for app, path in candidates:
        if path.is_file() and all(app != seen for seen, _ in found):
            found.append((app, path))
    return found


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig")


class ToolsImportDialog(QDialog):
    imported = Signal(tuple)  # the names of the servers imported

    def __init__(
        self,
        context: SettingsContext,
        parent: QWidget | None = None,
        *,
        known_files: Sequence[tuple[str, Path]] | None = None,
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._result: ImportResult | None = None
        self._importing = False  # values are being written: closing now would orphan them
        self.setWindowTitle("Import tool servers")
        self.setObjectName("ToolsImportDialog")
        self.resize(620, 560)
        intro = help_label(
            "Paste the MCP servers of Claude Desktop (claude_desktop_config.json), Cursor, "
            "LM Studio or VS Code (mcp.json), or open the file. A server with the name of one "
            "you have replaces it; env and header values go to the system keyring."
        )
        self.open_button = QPushButton("Open file…")
        self.open_button.setAccessibleName("Open an MCP configuration file")
        self.open_button.clicked.connect(self._on_open_clicked)
        sources = QHBoxLayout()
        sources.setContentsMargins(0, 0, 0, 0)
        sources.addWidget(self.open_button)
        if known_files is None:
            known_files = known_config_files(Path.home(), os.environ.get("APPDATA"))
        self.source_buttons: list[QPushButton] = []
        for app, path in known_files:
            button = QPushButton(f"From {app}")
            button.setToolTip(str(path))
            button.setAccessibleName(f"Read the servers of {app}")
            button.clicked.connect(lambda _c=False, p=path: self.load_file(p))
            sources.addWidget(button)
            self.source_buttons.append(button)
        sources.addStretch(1)
        self.text = QPlainTextEdit()
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlaceholderText(_EXAMPLE)
        self.text.setAccessibleName("MCP configuration (JSON)")
        self.text.setTabChangesFocus(True)
        self.text.textChanged.connect(self._on_text_changed)
        self.source = help_label("")
        self.source.hide()
        self.preview = QLabel()
        self.preview.setObjectName("ImportPreview")
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.RichText)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview.setAccessibleName("What will be imported")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.keyring_status = QLabel()
        self.keyring_status.setObjectName("FieldError")
        self.keyring_status.setWordWrap(True)
        self.keyring_status.hide()
        self.session_button = QPushButton("Keep the values for this session only")
        self.session_button.setAccessibleName("Keep the values in memory for this session")
        self.session_button.clicked.connect(lambda: self.import_now(remember=False))
        self.session_button.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton(
            "Import", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.import_button.setAccessibleName("Import these servers")
        self.import_button.setEnabled(False)
        self.buttons.accepted.connect(self.import_now)
        self.buttons.rejected.connect(self.reject)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.refresh_preview)
        # A file still being read must not reach widgets that are gone.
        self.finished.connect(lambda _r: context.runner.cancel(self._read_key))
        column = QVBoxLayout(self)
        column.addWidget(intro)
        column.addLayout(sources)
        column.addWidget(self.source)
        column.addWidget(self.text, 3)
        # Many servers scroll here rather than push the buttons off the screen.
        preview_area = QScrollArea()
        preview_area.setWidgetResizable(True)
        preview_area.setFrameShape(QScrollArea.Shape.NoFrame)
        preview_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        preview_area.setWidget(self.preview)
        column.addWidget(preview_area, 2)
        column.addWidget(self.keyring_status)
        column.addWidget(self.session_button, 0, Qt.AlignmentFlag.AlignLeft)
        column.addWidget(self.buttons)

    # -- input ---------------------------------------------------------------------------------

    def load_file(self, path: Path) -> None:
        """Read `path` (off the UI thread) into the text box and preview it."""

        async def job() -> None:
            loop = asyncio.get_running_loop()
            try:
                text = await loop.run_in_executor(self._context.executor, _read, path)
            except (OSError, ValueError) as exc:
                self.source.setText(f"Could not read {path}: {exc}")
                self.source.show()
                return
            self.text.setPlainText(text)
            self.source.setText(f"From {path}")
            self.source.show()
            self.refresh_preview()

        self._context.runner.start(self._read_key, job())

    @property
    def _read_key(self) -> str:
        return f"settings-tools-import-read-{id(self)}"

    def reject(self) -> None:
        if not self._importing:
            super().reject()

    def _on_open_clicked(self) -> None:
        dialog = QFileDialog(self, "Open an MCP configuration", str(Path.home()))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(["JSON files (*.json *.jsonc)", "All files (*)"])
        dialog.fileSelected.connect(lambda chosen: self.load_file(Path(chosen)))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _on_text_changed(self) -> None:
        self._timer.start()

    # -- preview -------------------------------------------------------------------------------

    def refresh_preview(self) -> None:
        """Read the JSON now and say what Import would do."""
        self._timer.stop()
        text = self.text.toPlainText()
        self._result = None
        if not text.strip():
            self.preview.setText("")
            self.import_button.setEnabled(False)
            return
        try:
            self._result = parse_mcp_config(text)
        except InvalidValueError as exc:
            self.preview.setText(_error_html(f"{exc.detail[0].upper()}{exc.detail[1:]}."))
            self.import_button.setEnabled(False)
            return
        self.preview.setText(preview_html(self._result, self._context.settings()))
        self.import_button.setEnabled(bool(self._result.servers))
        found = len(self._result.servers)
        self.import_button.setText(f"Import {count(found, 'server')}" if found else "Import")

    # -- import --------------------------------------------------------------------------------

    def _set_importing(self, importing: bool) -> None:
        self._importing = importing
        for button in (*self.buttons.buttons(), self.session_button, self.open_button,
                       *self.source_buttons):  # fmt: skip
            button.setEnabled(not importing)

    def import_now(self, *, remember: bool = True) -> None:
        if self._timer.isActive() or self._result is None:
            self.refresh_preview()
        result = self._result
        if result is None or not result.servers:
            return
        self._set_importing(True)
        self._context.runner.start(
            f"settings-tools-import-{id(self)}", self._import(result, remember)
        )

    async def _import(self, result: ImportResult, remember: bool) -> None:
        secrets = self._context.secrets
        settings = self._context.settings()
        loop = asyncio.get_running_loop()
        try:
            outcome = await loop.run_in_executor(
                self._context.executor,
                lambda: import_servers(secrets, settings, result.servers, remember=remember),
            )
        except SecretsError as exc:
            self.keyring_status.setText(unusable_text(exc))
            self.keyring_status.show()
            self.session_button.show()
            return
        finally:
            self._set_importing(False)
        self._context.apply(outcome.settings)
        tools = self._context.tools
        if tools is not None:
            for name in outcome.replaced:  # its values may have changed under the same names
                tools.secrets_changed(name)
        self._context.notify(Notice(_summary(outcome.added, outcome.replaced), kind="info"))
        self.imported.emit(outcome.added + outcome.replaced)
        self.accept()


def _summary(added: Sequence[str], replaced: Sequence[str]) -> str:
    parts = []
    if added:
        parts.append(f"imported {', '.join(added)}")
    if replaced:
        parts.append(f"replaced {', '.join(replaced)}")
    text = "; ".join(parts)
    return f"Tool servers: {text}."


def _error_html(text: str) -> str:
    return f'<p style="color:{_ERROR}">{html.escape(text)}</p>'


def preview_html(result: ImportResult, settings: Settings) -> str:
    """What Import would do, server by server, then what is left out."""
    rows: list[str] = []
    for entry in result.servers:
        server = entry.server
        verb = "Replace" if settings.tools.server(server.name) is not None else "Add"
        reach = f"{TRANSPORT_NAMES[server.transport]} · {where(server)}"
        lines = [f"<b>{verb} {html.escape(server.name)}</b> — <tt>{html.escape(reach)}</tt>"]
        values = len(entry.env) + len(entry.headers)
        if values:
            lines.append(f"{count(values, 'value')} to the system keyring")
        if not server.enabled:
            lines.append("turned off, as it was there")
        lines += [html.escape(note) for note in entry.notes]
        rows.append("<br>&nbsp;&nbsp;".join(lines))
    rows += [f'<span style="color:{_ERROR}">{html.escape(p)}</span>' for p in result.problems]
    if not rows:
        return "<p>The JSON lists no MCP servers.</p>"
    return "<p>" + "</p><p>".join(rows) + "</p>"
