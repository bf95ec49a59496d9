"""ToolService: the app's one ToolHub (MCP servers) as Qt sees it, shared by the main window,
quick ask and Settings → Tools.

The hub is built when first needed, so neither the `mcp` SDK nor any server is touched while
the app starts. It follows the settings (a server removed, disabled or edited is stopped, and
starts again with its new settings when next needed) and reports each server's state as
`status_changed`, on the UI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from kibitz.core.secrets import SecretStore
from kibitz.core.settings import Settings
from kibitz.core.tools import ServerState, ServerStatus
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from kibitz.core.tools.mcp import ToolHub


class ToolService(QObject):
    status_changed = Signal(object)  # ServerStatus of one server

    def __init__(
        self,
        settings: SettingsHolder,
        secrets: SecretStore,
        runner: TaskRunner,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._secrets = secrets
        self._runner = runner
        self._hub: ToolHub | None = None
        settings.changed.connect(self._on_settings_changed)

    @property
    def hub(self) -> ToolHub:
        """The hub (built now if it was not yet; no server starts until asked for tools)."""
        if self._hub is None:
            from kibitz.core.tools.mcp import ToolHub

            self._hub = ToolHub(
                self._settings().tools, self._secrets, on_status=self.status_changed.emit
            )
        return self._hub

    def available(self) -> bool:
        """Whether any server is enabled: tools are then offered unless a conversation is
        set to go without them."""
        return any(s.enabled for s in self._settings().tools.servers)

    def statuses(self) -> list[ServerStatus]:
        """Every configured server's state; before the hub exists, none has started."""
        if self._hub is not None:
            return self._hub.status()
        return [
            ServerStatus(s.name, ServerState.STOPPED if s.enabled else ServerState.DISABLED)
            for s in self._settings().tools.servers
        ]

    def check(self, name: str) -> None:
        """Start (or restart) one server now and list its tools: Settings' Retry and Test.
        Its new state arrives as status_changed."""
        self._runner.start(f"tools:check:{name}", self.hub.check(name))

    def secrets_changed(self, name: str) -> None:
        """A server's env or header values changed in the keyring: restart it when next needed."""
        if self._hub is not None:
            self._hub.update(self._settings().tools, changed=(name,))

    async def aclose(self) -> None:
        """Stop every server (the app quits)."""
        hub, self._hub = self._hub, None
        if hub is not None:
            await hub.aclose()

    def _on_settings_changed(self, settings: Settings) -> None:
        if self._hub is not None and settings.tools != self._hub.settings:
            self._hub.update(settings.tools)
