"""Add or edit one MCP server: its name, transport, command line or URL, and its environment
variables or HTTP headers, whose values go to the keyring only.

Each field is checked when the user leaves it, with the schema's own reason (McpServer raises
InvalidSettingError). Save stores the values off the UI thread, then applies the settings; when
the keyring cannot be used, the dialog says so and offers to keep the values for this session,
as the providers page does for keys.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import shlex
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kibitz.core.errors import SecretsError
from kibitz.core.settings import InvalidSettingError, Settings
from kibitz.core.settings.schema import McpServer, McpTransport
from kibitz.ui.settings.context import SettingsContext
from kibitz.ui.settings.form_page import help_label
from kibitz.ui.settings.secret_rows import ENV_ROWS, HEADER_ROWS, SecretRows
from kibitz.ui.settings.tool_secrets import (
    ServerValues,
    save_values,
    stored_previews,
    unusable_text,
)

log = logging.getLogger(__name__)

TRANSPORT_CHOICES: tuple[tuple[McpTransport, str], ...] = (
    ("stdio", "A program Kibitz starts (stdio)"),
    ("http", "A URL (streamable HTTP)"),
    ("sse", "A URL of an older server (HTTP + SSE)"),
)
# The editor's fields, by the last part of the setting path McpServer names in its errors.
_FIELD_OF_PATH = {
    "name": "name",
    "command": "command",
    "args": "command",
    "url": "url",
    "env_names": "env",
    "header_names": "headers",
}
_KEPT_WHERE = "Values are kept in the system keyring, never in the settings file."


def replace_server(settings: Settings, old_name: str | None, server: McpServer) -> Settings:
    """`settings` with `server` in the place of `old_name` (it may be renamed), or added."""
    if old_name is None or settings.tools.server(old_name) is None:
        return settings.with_server(server)
    servers = tuple(server if s.name == old_name else s for s in settings.tools.servers)
    return dataclasses.replace(settings, tools=dataclasses.replace(settings.tools, servers=servers))


def split_command(text: str) -> tuple[str | None, tuple[str, ...]]:
    """A command line as a shell splits it; ValueError says what is wrong with the quoting."""
    try:
        parts = shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"the command line has {str(exc).lower().rstrip('.')}") from None
    return (parts[0], tuple(parts[1:])) if parts else (None, ())


class ToolServerEditor(QDialog):
    """The Add / Edit dialog. `saved` carries the server's name once settings and values are
    stored; the dialog then closes."""

    saved = Signal(str)

    def __init__(
        self,
        context: SettingsContext,
        server: McpServer | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._original = server
        self._looking = False
        self._saving = False  # values are being written: closing now would leave them orphaned
        self.setWindowTitle("Add a tool server" if server is None else f"Edit {server.name}")
        self.setObjectName("ToolServerEditor")
        self.setMinimumWidth(560)
        self.name = QLineEdit()
        self.name.setPlaceholderText("files")
        self.transport = QComboBox()
        for transport, label in TRANSPORT_CHOICES:
            self.transport.addItem(label, transport)
        self.command = QLineEdit()
        self.command.setPlaceholderText(
            "npx -y @modelcontextprotocol/server-filesystem ~/Documents"
        )
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://example.com/mcp")
        self.env = SecretRows(ENV_ROWS)
        self.headers = SecretRows(HEADER_ROWS)
        for widget, accessible in (
            (self.name, "Server name"),
            (self.transport, "How Kibitz reaches it"),
            (self.command, "Command line"),
            (self.url, "Server URL"),
            (self.env, "Environment variables"),
            (self.headers, "HTTP headers"),
        ):
            widget.setAccessibleName(accessible)
        self.errors: dict[str, QLabel] = {}
        self._holders: dict[str, QWidget] = {}
        self._fields: dict[str, QWidget] = {}
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._row("Name:", "name", self.name)
        self.form.addRow("Runs as:", self.transport)
        self._row(
            "Command:",
            "command",
            self.command,
            "The program and its arguments, as typed in a terminal (quote a path with spaces).",
        )
        self._row("URL:", "url", self.url)
        self._row("Environment:", "env", self.env)
        self._row("Headers:", "headers", self.headers)
        self.keyring_status = help_label(_KEPT_WHERE)
        self.keyring_status.setObjectName("KeyStatus")
        self.keyring_status.setAccessibleName("Where the values are kept")
        self.keyring_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.session_button = QPushButton("Keep for this session only")
        self.session_button.setAccessibleName("Keep the values in memory for this session")
        self.session_button.setToolTip("Forgotten when Kibitz quits")
        self.session_button.clicked.connect(lambda: self.save(remember=False))
        self.session_button.hide()
        self.form.addRow("", self.keyring_status)
        self.form.addRow("", self.session_button)
        self.general_error = QLabel()
        self.general_error.setObjectName("FieldError")
        self.general_error.setWordWrap(True)
        self.general_error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setAccessibleName("Save this tool server")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addLayout(self.form)
        column.addWidget(self.general_error)
        column.addStretch(1)
        column.addWidget(self.buttons)

        self.name.editingFinished.connect(lambda: self._check_field("name"))
        self.command.editingFinished.connect(lambda: self._check_field("command"))
        self.url.editingFinished.connect(lambda: self._check_field("url"))
        self.transport.currentIndexChanged.connect(lambda _i: self._show_transport())
        # Its keyring look-up must not reach widgets that are gone.
        self.finished.connect(lambda _r: context.runner.cancel(self._lookup_key))
        self._load(server)

    @property
    def _lookup_key(self) -> str:
        return f"settings-tools-values-{id(self)}"

    def reject(self) -> None:
        if not self._saving:
            super().reject()

    def _row(self, label: str, key: str, field: QWidget, help_text: str = "") -> None:
        error = QLabel()
        error.setObjectName("FieldError")
        error.setWordWrap(True)
        error.hide()
        self.errors[key] = error
        holder = QWidget()
        self._holders[key] = holder
        self._fields[key] = field
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(field)
        if help_text:
            column.addWidget(help_label(help_text))
        column.addWidget(error)
        self.form.addRow(label, holder)

    def _load(self, server: McpServer | None) -> None:
        if server is None:
            self._show_transport()
            return
        self.name.setText(server.name)
        self.transport.setCurrentIndex(self.transport.findData(server.transport))
        if server.command:
            self.command.setText(shlex.join([server.command, *server.args]))
        self.url.setText(server.url or "")
        needs_lookup = bool(server.env_names or server.header_names)
        self.env.set_names(server.env_names, looking=needs_lookup)
        self.headers.set_names(server.header_names, looking=needs_lookup)
        self._show_transport()
        if needs_lookup:
            self._look_up_values(server)

    def _show_transport(self) -> None:
        stdio = self.transport.currentData() == "stdio"
        for key, shown in (("command", stdio), ("env", stdio), ("url", not stdio),
                           ("headers", not stdio)):  # fmt: skip
            holder = self._holders[key]
            holder.setVisible(shown)
            label = self.form.labelForField(holder)
            if label is not None:
                label.setVisible(shown)

    # -- checks --------------------------------------------------------------------------------

    def _transport(self) -> McpTransport:
        transport: McpTransport = self.transport.currentData()
        return transport

    def field_error(self, key: str) -> str | None:
        """Why what is in one field cannot be saved, or None."""
        try:
            if key == "name":
                name = self.name.text().strip()
                taken = {s.name for s in self._context.settings().tools.servers}
                taken.discard(self._original.name if self._original else "")
                if name in taken:
                    return f"there is already a tool server named {name!r}"
                McpServer(name=name, command="x")
            elif key == "command":
                command, _args = split_command(self.command.text())
                McpServer(name="x", command=command)
            elif key == "url":
                McpServer(
                    name="x", transport=self._transport(), url=self.url.text().strip() or None
                )
            elif key in ("env", "headers"):
                return self._rows_error(self.env if key == "env" else self.headers, key)
        except InvalidSettingError as exc:
            return exc.detail
        except ValueError as exc:
            return str(exc)
        return None

    def _rows_error(self, rows: SecretRows, key: str) -> str | None:
        names = rows.names()
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            return f"{', '.join(repeated)} is given twice"
        if key == "env":
            McpServer(name="x", command="x", env_names=names)
        else:
            McpServer(name="x", transport="http", url="http://localhost", header_names=names)
        missing = rows.missing()
        if missing:
            return f"type the value of {', '.join(missing)}"
        return None

    def _active_fields(self) -> tuple[str, ...]:
        if self._transport() == "stdio":
            return ("name", "command", "env")
        return ("name", "url", "headers")

    def _check_field(self, key: str) -> bool:
        problem = self.field_error(key)
        self._show_error(key, problem)
        return problem is None

    def _show_error(self, key: str, problem: str | None) -> None:
        label = self.errors[key]
        label.setText(f"{problem[0].upper()}{problem[1:]}." if problem else "")
        label.setVisible(bool(problem))
        field = self._fields[key]
        if isinstance(field, QLineEdit):
            field.setProperty("invalid", bool(problem))
            field.style().unpolish(field)
            field.style().polish(field)

    def record(self) -> McpServer:
        """The server as the fields describe it (its on/off and policies kept). Raises
        InvalidSettingError or ValueError."""
        kept: dict[str, Any] = {}
        if self._original is not None:
            kept = {
                "enabled": self._original.enabled,
                "policy": self._original.policy,
                "tool_policies": self._original.tool_policies,
            }
        if self._transport() == "stdio":
            command, args = split_command(self.command.text())
            return McpServer(
                name=self.name.text().strip(),
                command=command,
                args=args,
                env_names=self.env.names(),
                **kept,
            )
        return McpServer(
            name=self.name.text().strip(),
            transport=self._transport(),
            url=self.url.text().strip() or None,
            header_names=self.headers.names(),
            **kept,
        )

    # -- keyring -------------------------------------------------------------------------------

    def _look_up_values(self, server: McpServer) -> None:
        self._looking = True
        self.save_button.setEnabled(False)
        secrets = self._context.secrets

        async def job() -> None:
            loop = asyncio.get_running_loop()
            try:
                found = await loop.run_in_executor(
                    self._context.executor,
                    lambda: stored_previews(
                        secrets, server.name, server.env_names, server.header_names
                    ),
                )
            except SecretsError as exc:
                self._show_unusable(exc)
                found = {}
            finally:
                self._looking = False
                self.save_button.setEnabled(True)
            self.env.show_stored({n: v for (kind, n), v in found.items() if kind == "env"})
            self.headers.show_stored({n: v for (kind, n), v in found.items() if kind == "header"})

        self._context.runner.start(self._lookup_key, job())

    def _show_unusable(self, error: SecretsError) -> None:
        self.keyring_status.setText(unusable_text(error))
        self.keyring_status.setObjectName("FieldError")
        self.keyring_status.style().unpolish(self.keyring_status)
        self.keyring_status.style().polish(self.keyring_status)
        self.session_button.show()

    # -- save ----------------------------------------------------------------------------------

    def save(self, *, remember: bool = True) -> None:
        """Check every field; store the values, then the settings; close."""
        if self._looking:
            return
        problems = {key: self.field_error(key) for key in self._active_fields()}
        for key, problem in problems.items():
            self._show_error(key, problem)
        first = next((key for key, problem in problems.items() if problem), None)
        if first is not None:
            self._focus_field(first)
            return
        try:
            server = self.record()
        except InvalidSettingError as exc:
            self._show_refusal(exc.detail, _FIELD_OF_PATH.get(exc.path.rpartition(".")[2]))
            return
        except ValueError as exc:
            self._show_refusal(str(exc), "command")
            return
        stdio = server.transport == "stdio"
        values = ServerValues(
            self._original,
            server,
            env=self.env.typed() if stdio else {},
            headers=self.headers.typed() if not stdio else {},
        )
        self._set_saving(True)
        self._context.runner.start(f"settings-tools-save-{id(self)}", self._store(values, remember))

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        for button in self.buttons.buttons():
            button.setEnabled(not saving)
        self.session_button.setEnabled(not saving)

    async def _store(self, values: ServerValues, remember: bool) -> None:
        secrets = self._context.secrets
        loop = asyncio.get_running_loop()
        try:
            changed = await loop.run_in_executor(
                self._context.executor, lambda: save_values(secrets, values, remember=remember)
            )
        except SecretsError as exc:
            self._show_unusable(exc)
            return
        finally:
            self._set_saving(False)
        old_name = values.old.name if values.old is not None else None
        self._context.apply(replace_server(self._context.settings(), old_name, values.new))
        if changed and self._context.tools is not None:
            self._context.tools.secrets_changed(values.new.name)
        self.saved.emit(values.new.name)
        self.accept()

    def _show_refusal(self, detail: str, key: str | None) -> None:
        if key is not None:
            self._show_error(key, detail)
        else:
            self.general_error.setText(detail)
            self.general_error.show()

    def _focus_field(self, key: str) -> None:
        widget = self._fields[key]
        if isinstance(widget, SecretRows):
            missing = widget.missing()
            rows = [r for r in widget.rows() if r.name.text().strip() in missing]
            widget = rows[0].value if rows else widget.add_button
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
