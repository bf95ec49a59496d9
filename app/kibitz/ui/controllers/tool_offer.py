"""ToolOffer: whether a conversation offers the tools of the enabled MCP servers, and what its
turns need to use them.

Tools are on by default once a server is enabled; the composer's toggle turns them off for one
conversation, and that choice is kept with the conversation (`RequestParams.tools`, False when
off). A new chat holds the choice until its first message makes the conversation. Which calls
run without asking is decided per call from the settings as they are then (approval.decide),
so "Always allow this tool" takes effect within the same turn.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from kibitz.core.errors import InvalidValueError, StoreError
from kibitz.core.settings import Settings
from kibitz.core.store import Store
from kibitz.core.tools import Approver, Policy, ServerState, ToolSpec
from kibitz.core.tools.approval import decide, remember_always_allow
from kibitz.core.types import ConversationId, RequestParams
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.notify import Notify, error_notice
from kibitz.ui.tools.service import ToolService
from kibitz.ui.views.composer import Composer, ToolsButtonState

if TYPE_CHECKING:
    from kibitz.core.conversation.tool_calls import ToolUse

log = logging.getLogger(__name__)


class ToolOffer(QObject):
    settings_requested = Signal()  # the toggle clicked while no server is enabled

    def __init__(
        self,
        service: ToolService,
        settings: SettingsHolder,
        store: Store,
        composer: Composer,
        notify: Notify,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._settings = settings
        self._store = store
        self._composer = composer
        self._notify = notify
        self._conversation: ConversationId | None = None
        self._new_chat_on = True  # the toggle of a chat not stored yet
        composer.tools_toggled.connect(self._on_composer_tools_toggled)
        composer.tools_settings_requested.connect(self.settings_requested)
        # Bound slots, so the connections go with this object (the service outlives a pane).
        service.status_changed.connect(self._on_service_status_changed)
        settings.changed.connect(self._on_settings_changed)
        self.refresh()

    # -- the open conversation's choice ---------------------------------------------------------

    def open(self, conversation_id: ConversationId | None) -> None:
        """Another conversation is shown (None: a new chat, which starts with tools on)."""
        self._conversation = conversation_id
        if conversation_id is None:
            self._new_chat_on = True
        self.refresh()

    def offered(self, conversation_id: ConversationId | None) -> bool:
        """Whether a turn of this conversation offers tools now."""
        return self._service.available() and self._chosen(conversation_id)

    def _chosen(self, conversation_id: ConversationId | None) -> bool:
        if conversation_id is None:
            return self._new_chat_on
        try:
            return self._store.get_conversation(conversation_id).params.tools is not False
        except StoreError:
            log.exception("could not read conversation %s", conversation_id)
            return True

    def new_chat_params(self) -> RequestParams | None:
        """The parameters a new conversation starts with: tools off if the user said so."""
        return None if self._new_chat_on else RequestParams(tools=False)

    def set_chosen(self, conversation_id: ConversationId | None, on: bool) -> None:
        """Offer tools in this conversation, or not (kept with it)."""
        if conversation_id is None:
            self._new_chat_on = on
        else:
            try:
                params = self._store.get_conversation(conversation_id).params
                self._store.set_params(
                    conversation_id, dataclasses.replace(params, tools=None if on else False)
                )
            except StoreError as exc:
                self._notify(error_notice(exc, "keep that choice"))
        self.refresh()

    # -- a turn's tools -------------------------------------------------------------------------

    def use(self, conversation_id: ConversationId, approver: Approver) -> ToolUse | None:
        """What a turn needs to offer tools, or None when this conversation goes without."""
        self.refresh()
        if not self.offered(conversation_id):
            return None
        # Here, not at the top: loaded with the first turn, not with the window (~5 ms).
        from kibitz.core.conversation.tool_calls import ToolUse

        return ToolUse(self._service.hub, self._policy, approver, self._always_allow)

    def servers_starting(self) -> bool:
        """Whether an enabled server is not up yet (a turn waits for it to start)."""
        enabled = {s.name for s in self._settings().tools.servers if s.enabled}
        ready = {s.name for s in self._service.statuses() if s.state is ServerState.READY}
        return bool(enabled - ready)

    def _policy(self, spec: ToolSpec) -> Policy:
        settings = self._settings()
        server = settings.tools.server(spec.server)
        return decide(spec, server, settings.tools) if server is not None else Policy.ASK

    def _always_allow(self, spec: ToolSpec) -> None:
        try:
            updated = remember_always_allow(self._settings(), spec)
        except InvalidValueError:
            return  # its server was removed meanwhile: nothing to remember it by
        failed = self._settings.update(updated)
        if failed is not None:
            self._notify(error_notice(failed, f"remember to always allow {spec.name}"))

    # -- the composer's toggle ------------------------------------------------------------------

    def refresh(self) -> None:
        self._composer.set_tools_state(self._button_state(self._settings()))

    def _button_state(self, settings: Settings) -> ToolsButtonState:
        enabled = [s.name for s in settings.tools.servers if s.enabled]
        if not enabled:
            return ToolsButtonState(
                available=False,
                on=False,
                label="",
                tooltip="Tools: no MCP server is enabled. Click to add one in Settings → Tools.",
            )
        on = self._chosen(self._conversation)
        ready = {s.name: s for s in self._service.statuses() if s.state is ServerState.READY}
        servers = f"{len(enabled)} server" + ("s" if len(enabled) != 1 else "")
        names = ", ".join(enabled)
        if all(name in ready for name in enabled):
            count = sum(len(ready[name].tools) for name in enabled)
            amount = f"{count} tool" + ("s" if count != 1 else "")
            offer = f"{amount} from {servers} ({names})"
        else:
            amount, offer = servers, f"the tools of {servers} ({names})"
        if on:
            return ToolsButtonState(
                available=True,
                on=True,
                label=amount,
                tooltip=f"Tools on: the model may call {offer}. "
                "Click to go without tools in this conversation.",
            )
        return ToolsButtonState(
            available=True,
            on=False,
            label="Off",
            tooltip=f"Tools off in this conversation. Click to offer {offer}.",
        )

    def _on_composer_tools_toggled(self, on: bool) -> None:
        self.set_chosen(self._conversation, on)

    def _on_service_status_changed(self, _status: object) -> None:
        self.refresh()

    def _on_settings_changed(self, _settings: Settings) -> None:
        self.refresh()
