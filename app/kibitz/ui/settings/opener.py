"""Opens the settings windows (built on first use, one of each) and routes error actions to them."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from kibitz.core.errors import Action, StoreError
from kibitz.core.settings.overrides import overrides as conversation_overrides
from kibitz.core.store import Store
from kibitz.core.types import ConversationId
from kibitz.ui.settings.context import SettingsContext


class SettingsOpener:
    def __init__(self, context: SettingsContext, store: Store, parent: QWidget) -> None:
        self._context = context
        self._store = store
        self._parent = parent
        self._dialog: QWidget | None = None
        self._conversation_dialogs: dict[ConversationId, QWidget] = {}

    def settings_dialog(self) -> QWidget:
        from kibitz.ui.settings.dialog import SettingsDialog

        if self._dialog is None:
            self._dialog = SettingsDialog(self._context, self._parent, self._store)
        return self._dialog

    def refresh_hotkey_status(self) -> None:
        if self._dialog is None:
            return  # not built yet (the start calls this): it reads the status when it is
        from kibitz.ui.settings.dialog import SettingsDialog

        if isinstance(self._dialog, SettingsDialog):
            self._dialog.refresh_hotkey_status()

    def open_settings(self, page: str = "providers", focus: str | None = None) -> None:
        from kibitz.ui.settings.dialog import SettingsDialog

        dialog = self.settings_dialog()
        assert isinstance(dialog, SettingsDialog)
        dialog.open_page(page, focus)

    def open_tools(self, server: str | None = None) -> None:
        """Settings → Tools, at `server` when one is named (the server a ToolServerError is
        about)."""
        from kibitz.ui.settings.dialog import SettingsDialog

        dialog = self.settings_dialog()
        assert isinstance(dialog, SettingsDialog)
        dialog.open_tools(server)

    def open_conversation_settings(self, conversation_id: ConversationId) -> QWidget:
        from kibitz.ui.settings.conversation_page import ConversationSettingsDialog

        dialog = self._conversation_dialogs.get(conversation_id)
        if dialog is None:
            dialog = ConversationSettingsDialog(
                self._context, self._store, conversation_id, self._parent
            )
            self._conversation_dialogs[conversation_id] = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def handle_error_action(
        self,
        action: str,
        conversation_id: ConversationId | None,
        *,
        server: str | None = None,
    ) -> None:
        """An error's button: go where the fix is made. `server` names the tool server of a
        ToolServerError (its `server`), for Action.OPEN_TOOLS."""
        if action == Action.OPEN_TOOLS:
            self.open_tools(server)
            return
        overrides: dict[str, object] = {}
        if conversation_id is not None:
            try:
                # The parameters it sets itself (not its tools choice, which no server refuses).
                overrides = conversation_overrides(self._store.get_conversation(conversation_id))
            except StoreError:
                overrides = {}
        if action == Action.SET_KEY:
            self.open_settings("providers")
        elif action == Action.CHOOSE_MODEL:
            if conversation_id is not None and "model" in overrides:
                self.open_conversation_settings(conversation_id)
            else:
                self.open_settings("parameters", "defaults.model")
        elif conversation_id is not None and overrides:
            # A refused parameter is most often one this conversation set.
            self.open_conversation_settings(conversation_id)
        else:
            self.open_settings("parameters")
