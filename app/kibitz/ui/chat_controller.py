"""Behaviour of the chat pane: send, stop, regenerate, edit, continue, retry, branch switching.

The view and the composer only emit signals; this controller turns them into store writes and
streamed replies (through kibitz.core.exchange), and tells the view what to show.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from kibitz.core.errors import Action, KibitzError
from kibitz.core.secrets import SecretStore
from kibitz.core.settings import Settings
from kibitz.core.store import Store
from kibitz.core.types import (
    ConversationId,
    Message,
    MessageId,
    MessageStatus,
    RequestParams,
    Role,
)
from kibitz.ui.notify import Notice, Notify
from kibitz.ui.tasks import TaskRunner
from kibitz.ui.views.chat_view import ChatView
from kibitz.ui.views.composer import Composer

if TYPE_CHECKING:
    from kibitz.core.chat import ChatClient, ProviderConfig

log = logging.getLogger(__name__)

REPLY_TASK = "reply"
CONTINUE_PROMPT = "Continue exactly where you stopped."
_ACTION_LABELS = {
    Action.RETRY: "Retry",
    Action.OPEN_SETTINGS: "Open settings",
    Action.SET_KEY: "Set API key",
    Action.CHOOSE_MODEL: "Choose model",
    Action.TRIM_HISTORY: "Trim history",
}


class ChatController(QObject):
    conversation_opened = Signal(object)  # ConversationId | None
    busy_changed = Signal(bool)
    setup_requested = Signal(str)  # an Action value: the window opens the right page

    def __init__(
        self,
        store: Store,
        view: ChatView,
        composer: Composer,
        runner: TaskRunner,
        notify: Notify,
        settings: Callable[[], Settings],
        secrets: SecretStore,
        executor: Executor,
    ) -> None:
        super().__init__(view)
        self._store = store
        self._view = view
        self._composer = composer
        self._runner = runner
        self._notify = notify
        self._settings = settings
        self._secrets = secrets
        self._executor = executor
        self._clients: dict[ProviderConfig, ChatClient] = {}
        self._conversation: ConversationId | None = None
        self._editing: Message | None = None
        self._trim_to: int | None = None  # prompt-token cap after "Trim history"
        self._errors: dict[MessageId, KibitzError] = {}
        self._prompt_tokens: dict[ConversationId, int] = {}  # our estimate of the last request
        composer.send_requested.connect(self.send)
        composer.stop_requested.connect(self.stop)
        composer.edit_last_requested.connect(self._on_composer_edit_last_requested)
        view.regenerate_requested.connect(self.regenerate)
        view.edit_requested.connect(self.edit)
        view.continue_requested.connect(self.continue_reply)
        view.sibling_requested.connect(self.switch_branch)
        view.error_action_requested.connect(self._on_view_error_action_requested)
        runner.finished.connect(self._on_runner_finished)

    @property
    def conversation_id(self) -> ConversationId | None:
        return self._conversation

    @property
    def busy(self) -> bool:
        return self._runner.running(REPLY_TASK)

    # -- navigation -----------------------------------------------------------------------------

    def open_conversation(
        self,
        conversation_id: ConversationId | None,
        message_id: MessageId | None = None,
        *,
        focus_composer: bool = True,
    ) -> None:
        if conversation_id == self._conversation and message_id is None:
            return
        self.stop()
        self._conversation = conversation_id
        self._cancel_edit()
        if message_id is not None and conversation_id is not None:
            # A search hit on another branch: show the branch that holds it.
            self._store.select_branch(message_id)
        self._view.show_conversation(conversation_id)
        if message_id is not None:
            self._view.scroll_to_message(message_id)
        self.conversation_opened.emit(conversation_id)
        if focus_composer:
            self._composer.focus_input()

    def new_chat(self) -> None:
        self.open_conversation(None)

    # -- sending --------------------------------------------------------------------------------

    def send(self, text: str) -> None:
        if self.busy:
            return
        if self._editing is not None:
            parent = self._editing.parent_id
            conversation_id = self._editing.conversation_id
            self._editing = None
        else:
            conversation_id = self._ensure_conversation(text)
            parent = self._store.get_conversation(conversation_id).current_leaf_id
        # Stored before anything else happens: from here on the text cannot be lost.
        question = self._store.add_message(conversation_id, parent, Role.USER, text)
        self._composer.clear()
        self._view.reload()
        self._start_reply(conversation_id, question.id)

    def stop(self) -> None:
        self._runner.cancel(REPLY_TASK)

    def regenerate(self, message_id: int) -> None:
        """A new sibling reply to the same question."""
        message = self._store.get_message(MessageId(message_id))
        if message.parent_id is None or self.busy:
            return
        self._start_reply(message.conversation_id, message.parent_id)

    def edit(self, message_id: int) -> None:
        """Put a user message back in the composer; sending it starts a new branch."""
        message = self._store.get_message(MessageId(message_id))
        if message.role is not Role.USER:
            return
        self._editing = message
        self._composer.set_text(message.content)
        self._composer.focus_input()
        self._notify(
            Notice(
                "Editing a message: sending it starts a new branch; the old one is kept.",
                "Cancel",
                on_action=self._on_edit_cancelled,
                timeout_ms=0,
            )
        )

    def continue_reply(self, message_id: int) -> None:
        """After a reply was cut at the length limit: ask the model to go on."""
        message = self._store.get_message(MessageId(message_id))
        if self.busy:
            return
        self._store.select_branch(message.id)
        question = self._store.add_message(
            message.conversation_id, message.id, Role.USER, CONTINUE_PROMPT
        )
        self._view.reload()
        self._start_reply(message.conversation_id, question.id)

    def regenerate_last(self) -> None:
        """A new version of the open conversation's last reply (Ctrl+R)."""
        last = self._last_reply()
        if last is not None:
            self.regenerate(last.id)

    def step_last_reply(self, delta: int) -> None:
        """The previous (-1) or next (+1) version of the last reply (Alt+Left, Alt+Right)."""
        last = self._last_reply()
        if last is None:
            return
        ids = [m.id for m in self._store.siblings(last.id)]
        index = ids.index(last.id) + delta if last.id in ids else -1
        if 0 <= index < len(ids):
            self.switch_branch(ids[index])

    def _last_reply(self) -> Message | None:
        if self._conversation is None:
            return None
        leaf = self._store.get_conversation(self._conversation).current_leaf_id
        if leaf is None:
            return None
        message = self._store.get_message(leaf)
        return message if message.role is Role.ASSISTANT else None

    def switch_branch(self, message_id: int) -> None:
        if self.busy:
            return
        self._store.select_branch(MessageId(message_id))
        self._view.reload()

    # -- the reply ------------------------------------------------------------------------------

    def _ensure_conversation(self, first_text: str) -> ConversationId:
        if self._conversation is None:
            settings = self._settings()
            from kibitz.core.settings.presets import default_prompt
            from kibitz.core.titles import fallback_title

            conversation = self._store.create_conversation(
                fallback_title(first_text),
                system_prompt=default_prompt(settings),
            )
            self._conversation = conversation.id
            self._view.show_conversation(conversation.id)
            self.conversation_opened.emit(conversation.id)
        return self._conversation

    def _start_reply(self, conversation_id: ConversationId, parent_id: MessageId) -> None:
        self._runner.start(REPLY_TASK, self._reply(conversation_id, parent_id))
        self._composer.set_busy(True)
        self.busy_changed.emit(True)

    def _on_runner_finished(self, key: str) -> None:
        if key == REPLY_TASK and not self._runner.running(REPLY_TASK):
            self._composer.set_busy(False)
            self.busy_changed.emit(False)

    async def _reply(self, conversation_id: ConversationId, parent_id: MessageId) -> None:
        # Loaded on first use: the exchange pulls in token counting, the request builder and
        # asyncio, none of which the window's first frame needs.
        import asyncio

        from kibitz.core import connect, exchange
        from kibitz.core.chat import Delta, Failed, Retrying

        settings = self._settings()
        conversation = self._store.get_conversation(conversation_id)
        params = settings.defaults.to_request_params().merged(conversation.params)
        loop = asyncio.get_running_loop()
        try:
            # The keyring may block (D-Bus, an unlock prompt): never on the UI thread.
            # A conversation may name its own provider profile (Conversation settings).
            provider = await loop.run_in_executor(
                self._executor,
                functools.partial(
                    connect.provider_config,
                    settings,
                    self._secrets,
                    name=conversation.provider,
                ),
            )
        except KibitzError as exc:
            self._fail_without_request(conversation_id, parent_id, params, exc)
            return
        options = connect.exchange_options(settings)
        if self._trim_to is not None:
            options = dataclasses.replace(options, max_prompt_tokens=self._trim_to)
            self._trim_to = None
        reply_ids: dict[int, MessageId] = {}

        def reply_started(message: Message) -> None:
            reply_ids[message.choice_index] = message.id
            self._view.begin_reply(message)

        failure: KibitzError | None = None
        try:
            events = exchange.stream_reply(
                self._store,
                self._client_for(provider),
                conversation_id,
                parent_id,
                params,
                options,
                on_reply_started=reply_started,
                on_prepared=lambda p: self._prompt_tokens.update(
                    {conversation_id: p.prompt_tokens}
                ),
            )
            async for event in events:
                if isinstance(event, Delta) and event.index in reply_ids:
                    self._view.append_reply_text(reply_ids[event.index], event.text)
                elif isinstance(event, Retrying) and 0 in reply_ids:
                    self._view.show_retry_countdown(reply_ids[0], event.delay, event.error.headline)
                    self._composer.set_status(f"{event.error.headline}; retrying…")
                elif isinstance(event, Failed):
                    failure = event.error
        finally:
            for message_id in reply_ids.values():
                self._view.finish_reply(self._store.get_message(message_id))
        if failure is not None and 0 in reply_ids:
            self._show_error(reply_ids[0], failure)
        elif failure is None:
            self._maybe_name(conversation_id, provider, params)

    def _fail_without_request(
        self,
        conversation_id: ConversationId,
        parent_id: MessageId,
        params: RequestParams,
        error: KibitzError,
    ) -> None:
        """No request could be made (no key, keyring locked): the error shows as the reply."""
        reply = self._store.add_message(
            conversation_id,
            parent_id,
            Role.ASSISTANT,
            "",
            status=MessageStatus.ERROR,
            model=params.model,
            error=error.summary(),
        )
        self._view.reload()
        self._show_error(reply.id, error)

    def _show_error(self, message_id: MessageId, error: KibitzError) -> None:
        label = _ACTION_LABELS.get(error.action)
        self._view.show_error(
            message_id,
            error.headline,
            error.hint,
            label,
            error.action.value if label is not None else None,
        )
        self._errors[message_id] = error

    def _client_for(self, provider: ProviderConfig) -> ChatClient:
        client = self._clients.get(provider)
        if client is None:
            from kibitz.core.chat import ChatClient

            client = self._clients[provider] = ChatClient(provider)
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    # -- titles ---------------------------------------------------------------------------------

    def _maybe_name(
        self, conversation_id: ConversationId, provider: ProviderConfig, params: RequestParams
    ) -> None:
        if not self._settings().chat.auto_title:
            return
        branch = self._store.branch(conversation_id)
        if len(branch) != 2 or branch[1].status is not MessageStatus.COMPLETE:
            return  # only after the first complete exchange
        question, answer = branch[0].content, branch[1].content

        async def name() -> None:
            from kibitz.core.titles import suggest_title

            title = await suggest_title(self._client_for(provider), params, question, answer)
            if title:
                self._store.set_title(conversation_id, title)

        self._runner.start(f"title:{conversation_id}", name())

    # -- slots ----------------------------------------------------------------------------------

    def _on_view_error_action_requested(self, message_id: int, action: str) -> None:
        message = self._store.get_message(MessageId(message_id))
        if action == Action.RETRY:
            self.regenerate(message_id)
        elif action == Action.TRIM_HISTORY:
            # The server counted more than we did: send about half of what went last time.
            sent = self._prompt_tokens.get(message.conversation_id, 4096)
            self._trim_to = max(256, sent // 2)
            self.regenerate(message_id)
        else:
            self.setup_requested.emit(action)

    def _on_composer_edit_last_requested(self) -> None:
        if self._conversation is None:
            return
        for message in reversed(self._store.branch(self._conversation)):
            if message.role is Role.USER:
                self.edit(message.id)
                return

    def _on_edit_cancelled(self) -> None:
        self._cancel_edit()
        self._composer.clear()

    def _cancel_edit(self) -> None:
        self._editing = None
