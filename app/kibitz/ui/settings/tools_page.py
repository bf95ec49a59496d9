"""Settings → Tools: the MCP servers (their states, on/off, Add, Edit, Remove, Import…), the
selected server's details and tools with their policies, and the settings of every server
(read-only tools without asking, the call timeout).

States come from the app's ToolService as they change; the page never starts a server by
itself being shown (the mcp SDK is not loaded until a server is tested or saved). Changes apply
at once through SettingsContext.apply; keyring work runs on the context's executor.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kibitz.core.errors import SecretsError
from kibitz.core.settings import Settings
from kibitz.core.settings.schema import McpServer
from kibitz.core.tools import Policy, ServerStatus, ToolSpec
from kibitz.core.tools.approval import with_tool_policy
from kibitz.ui.notify import UNDO, Notice, error_notice
from kibitz.ui.settings.context import SettingsContext
from kibitz.ui.settings.form_page import SettingsForm, help_label
from kibitz.ui.settings.tool_secrets import TakenValues, restore_values, take_values
from kibitz.ui.settings.tool_server_details import ServerDetails
from kibitz.ui.settings.tool_server_editor import ToolServerEditor
from kibitz.ui.settings.tool_server_list import (
    ServerRowDelegate,
    ToolServerListModel,
    count,
    resting_status,
)
from kibitz.ui.settings.tools_import import ToolsImportDialog

log = logging.getLogger(__name__)

GLOBAL_PATHS = ("tools.allow_read_only", "tools.call_timeout_s")
UNDO_MS = 10_000
_EMPTY_TEXT = (
    "<b>No tool servers yet.</b><br>Use Add… for a program Kibitz starts (such as "
    "<tt>npx&nbsp;-y&nbsp;@modelcontextprotocol/server-filesystem</tt>) or the URL of a remote "
    "server, or Import… to bring over the servers of Claude Desktop, Cursor, LM Studio or "
    "VS Code."
)


class ToolsPage(QWidget):
    def __init__(self, context: SettingsContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._current: str | None = None

        self.model = ToolServerListModel(self)
        self.model.enabled_toggled.connect(self._on_model_enabled_toggled)
        self.servers = QListView()
        self.servers.setObjectName("ToolServerList")
        self.servers.setAccessibleName("Tool servers")
        self.servers.setModel(self.model)
        self.servers.setItemDelegate(ServerRowDelegate(self.servers))
        self.servers.setFixedWidth(200)
        self.servers.setMinimumHeight(220)
        self.servers.setMouseTracking(True)
        self.servers.selectionModel().currentChanged.connect(self._on_servers_current_changed)
        self.add_button = QPushButton("Add…")
        self.add_button.setAccessibleName("Add a tool server")
        self.add_button.clicked.connect(self.add_server)
        self.import_button = QPushButton("Import…")
        self.import_button.setAccessibleName("Import tool servers from another app")
        self.import_button.clicked.connect(self.import_servers)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.servers, 1)
        left.addLayout(buttons)

        self.details = ServerDetails()
        self.details.check_requested.connect(self.check_server)
        self.details.edit_requested.connect(self.edit_server)
        self.details.remove_requested.connect(self.remove_server)
        self.details.server_policy_chosen.connect(self._on_details_server_policy_chosen)
        self.details.tools_model.policy_chosen.connect(self._on_tools_policy_chosen)
        self.empty = help_label(_EMPTY_TEXT)
        self.empty.setTextFormat(Qt.TextFormat.RichText)
        self.empty.setAccessibleName("No tool servers yet")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.empty.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._right = QStackedWidget()
        self._right.addWidget(self.empty)
        self._right.addWidget(self.details)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.setSpacing(16)
        top.addLayout(left)
        top.addWidget(self._right, 1, Qt.AlignmentFlag.AlignTop)

        heading = QLabel("For every server")
        heading.setObjectName("ToolsSubheading")
        font = heading.font()
        font.setWeight(QFont.Weight.DemiBold)
        heading.setFont(font)
        self.form = SettingsForm(context, GLOBAL_PATHS)
        # The schema names it by its field ("Call timeout s"); the unit reads better spelled out.
        timeout_label = self.form.form.labelForField(self.form.editors["tools.call_timeout_s"])
        if isinstance(timeout_label, QLabel):
            timeout_label.setText("Call timeout (seconds):")
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(top)
        column.addSpacing(14)
        column.addWidget(heading)
        column.addWidget(self.form)

        context.settings.changed.connect(self._on_settings_changed)
        if context.tools is not None:
            context.tools.status_changed.connect(self._on_tools_status_changed)
        self._reload(context.settings())

    # -- showing -------------------------------------------------------------------------------

    def _statuses(self) -> dict[str, ServerStatus]:
        tools = self._context.tools
        return {s.name: s for s in tools.statuses()} if tools is not None else {}

    def _reload(self, settings: Settings) -> None:
        servers = settings.tools.servers
        self.model.set_servers(servers, self._statuses())
        self._right.setCurrentWidget(self.details if servers else self.empty)
        if not servers:
            self._current = None
            return
        wanted = self._current if settings.tools.server(self._current or "") else None
        self.select_server(wanted or servers[0].name)

    def showEvent(self, event: QShowEvent) -> None:
        # States may have moved on while the page was hidden without a signal for it.
        self.model.set_servers(self._context.settings().tools.servers, self._statuses())
        self._show_current()
        super().showEvent(event)

    def select_server(self, name: str | None) -> None:
        """Show this server's details (the first server's when `name` is None or unknown)."""
        row = self.model.row_of(name) if name is not None else None
        if row is None:
            row = 0 if self.model.rowCount() else None
        if row is None:
            return
        index = self.model.index(row)
        selection = self.servers.selectionModel()
        if self.servers.currentIndex() != index:
            selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        else:
            self._show_current()

    def _on_servers_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self._current = self.model.server_at(current.row()).name
            self._show_current()

    def _show_current(self) -> None:
        server = self.current_server()
        if server is None:
            return
        status = self.model.status_of(server.name) or resting_status(server)
        self.details.show_server(
            server,
            status,
            self._context.settings().tools,
            can_check=self._context.tools is not None,
        )

    def current_server(self) -> McpServer | None:
        if self._current is None:
            return None
        return self._context.settings().tools.server(self._current)

    def _on_settings_changed(self, settings: Settings) -> None:
        self._reload(settings)

    def _on_tools_status_changed(self, status: ServerStatus) -> None:
        self.model.update_status(status)
        if status.name == self._current:
            self.details.show_status(status)

    # -- actions -------------------------------------------------------------------------------

    def add_server(self) -> ToolServerEditor:
        return self._open_editor(None)

    def edit_server(self, name: str | None = None) -> ToolServerEditor | None:
        server = self._context.settings().tools.server(name or self._current or "")
        return self._open_editor(server) if server is not None else None

    def _open_editor(self, server: McpServer | None) -> ToolServerEditor:
        editor = ToolServerEditor(self._context, server, self)
        editor.saved.connect(self._on_editor_saved)
        editor.finished.connect(editor.deleteLater)
        editor.open()
        return editor

    def _on_editor_saved(self, name: str) -> None:
        self.select_server(name)
        server = self._context.settings().tools.server(name)
        if server is not None and server.enabled:
            # Say at once whether it works, as the user just set it up.
            self.check_server(name)

    def import_servers(self) -> ToolsImportDialog:
        dialog = ToolsImportDialog(self._context, self)
        dialog.imported.connect(self._on_import_dialog_imported)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def _on_import_dialog_imported(self, names: tuple[str, ...]) -> None:
        if names:
            self.select_server(names[0])

    def check_server(self, name: str) -> None:
        """Start the server now (again, if it failed) and list its tools: Test and Retry."""
        if self._context.tools is not None:
            self._context.tools.check(name)

    def remove_server(self, name: str) -> None:
        """Remove it and delete its stored values; Undo (in the notice) puts both back."""
        settings = self._context.settings()
        server = settings.tools.server(name)
        if server is None:
            return
        position = settings.tools.servers.index(server)
        self._current = None
        self._context.apply(settings.without_server(name))
        self._context.runner.start(
            f"settings-tools-remove-{name}", self._take_values(server, position)
        )

    async def _take_values(self, server: McpServer, position: int) -> None:
        taken = TakenValues(server.name)
        if server.env_names or server.header_names:
            loop = asyncio.get_running_loop()
            secrets = self._context.secrets
            try:
                taken = await loop.run_in_executor(
                    self._context.executor, lambda: take_values(secrets, server)
                )
            except SecretsError as exc:
                self._context.notify(
                    error_notice(exc, f"delete the stored values of {server.name}")
                )
                return
        held = f" and its {count(len(taken), 'stored value')}" if len(taken) else ""
        self._context.notify(
            Notice(
                f"Removed the tool server {server.name}{held}.",
                UNDO,
                on_action=lambda: self._undo_remove(server, position, taken),
                timeout_ms=UNDO_MS,
            )
        )

    def _undo_remove(self, server: McpServer, position: int, taken: TakenValues) -> None:
        if self._context.settings().tools.server(server.name) is not None:
            return  # a server of that name was added since: leave it be
        self._current = server.name
        if not len(taken):
            self._context.apply(_with_server_at(self._context.settings(), server, position))
            return

        async def job() -> None:
            loop = asyncio.get_running_loop()
            secrets = self._context.secrets
            try:
                await loop.run_in_executor(
                    self._context.executor, lambda: restore_values(secrets, taken)
                )
            except SecretsError as exc:
                self._context.notify(error_notice(exc, f"put back the values of {server.name}"))
            if self._context.settings().tools.server(server.name) is None:
                self._context.apply(_with_server_at(self._context.settings(), server, position))

        self._context.runner.start(f"settings-tools-undo-{server.name}", job())

    def _replace(self, server: McpServer) -> None:
        self._context.apply(self._context.settings().with_server(server))

    def _on_model_enabled_toggled(self, name: str, wanted: bool) -> None:
        server = self._context.settings().tools.server(name)
        if server is not None and server.enabled != wanted:
            self._replace(dataclasses.replace(server, enabled=wanted))

    def _on_details_server_policy_chosen(self, name: str, policy: Policy) -> None:
        server = self._context.settings().tools.server(name)
        if server is not None and server.policy != policy.value:
            self._replace(dataclasses.replace(server, policy=policy.value))

    def _on_tools_policy_chosen(self, spec: ToolSpec, policy: Policy | None) -> None:
        settings = self._context.settings()
        if settings.tools.server(spec.server) is not None:
            self._context.apply(with_tool_policy(settings, spec, policy))


def _with_server_at(settings: Settings, server: McpServer, position: int) -> Settings:
    servers = list(settings.tools.servers)
    servers.insert(min(position, len(servers)), server)
    tools = dataclasses.replace(settings.tools, servers=tuple(servers))
    return dataclasses.replace(settings, tools=tools)
