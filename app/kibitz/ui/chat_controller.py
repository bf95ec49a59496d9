"""Behaviour of the chat pane: send, stop, regenerate, edit, continue, retry, branch switching,
inspecting a message and deleting one (with Undo).

The view and the composer only emit signals; this controller hands each intent to the
conversation engine (kibitz.core.conversation), which stores and streams, and turns the
engine's events into view updates. It writes nothing to the store itself but the choice of
branch a user makes. Attachments are read into the composer by its AttachmentIntake, opened
from the chat by its AttachmentOpener; drafts are kept by a DraftKeeper when given a store.
Given a ToolOffer, turns offer the tools of the enabled MCP servers (unless the conversation
goes without); its ToolCallsController shows the calls and asks the user's approval.

Its parts live beside it in kibitz.ui.controllers: TurnDisplay (a turn's events in the view),
MessageEditing, MessageDeletion and the inspector windows (message_inspection).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog

from kibitz.core.drafts import DraftStore, conversation_key
from kibitz.core.errors import Action, AttachmentError, ImagesNotSupportedError, StoreError
from kibitz.core.secrets import SecretStore
from kibitz.core.settings import Settings
from kibitz.core.store import Store
from kibitz.core.types import ConversationId, FilePart, ImagePart, Message, MessageId, Role
from kibitz.ui.attachments.intake import AttachmentIntake
from kibitz.ui.attachments.media import MediaServices
from kibitz.ui.attachments.opening import AttachmentOpener
from kibitz.ui.controllers.draft_keeper import DraftKeeper
from kibitz.ui.controllers.message_deletion import MessageDeletion
from kibitz.ui.controllers.message_editing import MessageEditing
from kibitz.ui.controllers.message_inspection import open_message_inspector, open_next_request
from kibitz.ui.controllers.model_choice import ModelChoiceController
from kibitz.ui.controllers.tool_calls import ToolCallsController
from kibitz.ui.controllers.tool_offer import ToolOffer
from kibitz.ui.controllers.turn_display import TurnDisplay
from kibitz.ui.notify import Notify, error_notice
from kibitz.ui.tasks import TaskRunner
from kibitz.ui.views.chat_view import ChatView
from kibitz.ui.views.composer import Composer

if TYPE_CHECKING:
    from kibitz.core.conversation.engine import ConversationEngine, Turn
    from kibitz.core.conversation.prepare import TurnOptions
    from kibitz.ui.controllers.compare_controller import CompareController
    from kibitz.ui.views.message_inspector import MessageInspector

log = logging.getLogger(__name__)

REPLY_TASK = "reply"


class ChatController(QObject):
    conversation_opened = Signal(object)  # ConversationId | None
    busy_changed = Signal(bool)
    setup_requested = Signal(str)  # an Action value: the window opens the right page
    # A model that takes no images refused them: the conversation's own model setting opens.
    model_choice_requested = Signal(object)  # ConversationId
    compare_again_requested = Signal(int)  # a question's id: its CompareController asks again

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
        *,
        media: MediaServices | None = None,
        drafts: DraftStore | None = None,
        tools: ToolOffer | None = None,
        models: ModelChoiceController | None = None,
    ) -> None:
        """`media`: the windows' shared attachment services (without: this controller's
        own, thumbnails not cached on disk); `drafts`: where unsent drafts are kept (without:
        the composer's text goes with it from one conversation to the next); `tools`: which
        conversations offer tools (without: none do); `models`: the composer's model choice
        (without: conversations follow the default model)."""
        super().__init__(view)
        self._store = store
        self._view = view
        self._composer = composer
        self._runner = runner
        self._notify = notify
        self._settings = settings

        self._secrets = secrets
        self._executor = executor
        self._engine: ConversationEngine | None = None  # made when first needed (see engine)
        self._conversation: ConversationId | None = None
        self._trim_to: int | None = None  # prompt-token cap after "Trim history"
        self.inspector: MessageInspector | None = None  # the last message inspector opened
        self.media = media if media is not None else MediaServices(store, None, self)
        composer.set_thumbnails(self.media.thumbnails)
        self.intake = AttachmentIntake(composer, self.media.jobs, notify, self)
        self.opener = AttachmentOpener(self.media, notify, self)
        self.drafts = (
            DraftKeeper(composer, drafts, self.media.jobs, notify, self)
            if drafts is not None
            else None
        )
        self._message_editing = MessageEditing(store, composer, notify, self.drafts)
        self._deletion = MessageDeletion(
            store, view, notify, lambda: self.busy, self._message_editing.deleted
        )
        composer.send_requested.connect(self.send)
        composer.stop_requested.connect(self.stop)
        composer.edit_last_requested.connect(self._on_composer_edit_last_requested)
        view.regenerate_requested.connect(self.regenerate)
        view.edit_requested.connect(self.edit)
        view.continue_requested.connect(self.continue_reply)
        view.sibling_step_requested.connect(self.step_version)
        view.inspect_requested.connect(self.inspect)
        view.delete_requested.connect(self.delete_message)
        view.compare_again_requested.connect(self.compare_again_requested)
        view.error_action_requested.connect(self._on_view_error_action_requested)
        view.attachment_opened.connect(self._on_view_attachment_opened)
        runner.finished.connect(self._on_runner_finished)
        self.tools = tools
        self.models = models
        # Set by a CompareController: while Compare is on, it takes the sends.
        self.compare: CompareController | None = None
        self.tool_calls = ToolCallsController(store, view, composer, self)
        self._turns = TurnDisplay(store, view, composer, notify, self.tool_calls, self._name)
        if tools is not None:
            tools.setParent(self)
            tools.settings_requested.connect(
                lambda: self.setup_requested.emit(Action.OPEN_TOOLS.value)
            )
        if self.drafts is not None:
            # The new-chat composer's draft from last time.
            self._message_editing.restore_draft(None)

    @property
    def engine(self) -> ConversationEngine:
        """The conversation engine, made on first use: its module and what it imports (the
        wire, attachments, trimming: ~30 ms) load with the first question, not with the
        window; the warm-up that runs while the user types loads them on a worker thread."""
        if self._engine is None:
            from kibitz.core.conversation.engine import ConversationEngine

            executor = self._executor

            async def run_blocking(call: Callable[[], object]) -> object:
                # The keyring may block (D-Bus, an unlock prompt): never on the UI thread.
                return await asyncio.get_running_loop().run_in_executor(executor, call)

            self._engine = ConversationEngine(
                self._store, self._settings, self._secrets, run_blocking=run_blocking
            )
        return self._engine

    @property
    def conversation_id(self) -> ConversationId | None:
        return self._conversation

    @property
    def _editing(self) -> Message | None:
        """The user message the composer holds to edit (sending makes a new version)."""
        return self._message_editing.message

    @property
    def busy(self) -> bool:
        comparing = self.compare is not None and self.compare.running
        return self._runner.running(REPLY_TASK) or comparing

    @property
    def composer(self) -> Composer:
        return self._composer

    def reload(self) -> None:
        """Show the open conversation's branch again (after a choice made elsewhere)."""
        self._view.reload()

    def set_covered(self, covered: bool) -> None:
        """Another view stands in the chat's place (Compare's columns): the chat view lets the
        conversation go, so it renders nothing of what streams meanwhile; uncovered, it shows
        the branch as it is then, once."""
        shown = None if covered else self._conversation
        if self._view.conversation_id != shown:
            self._view.show_conversation(shown)

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
        if self.drafts is not None:
            self.drafts.leave()
        self._conversation = conversation_id
        self._message_editing.cancel()
        if message_id is not None and conversation_id is not None:
            # A search hit on another branch: show the branch that holds it.
            self._store.select_branch(message_id)
        self._view.show_conversation(conversation_id)
        if self.tools is not None:
            self.tools.open(conversation_id)
        if self.models is not None:
            self.models.open(conversation_id)
        if message_id is not None:
            self._view.scroll_to_message(message_id)
        if self.drafts is not None:
            self._message_editing.restore_draft(conversation_id)
        self.conversation_opened.emit(conversation_id)
        if focus_composer:
            self._composer.focus_input()

    def new_chat(self) -> None:
        self.open_conversation(None)

    # -- intents --------------------------------------------------------------------------------

    def send(self, text: str) -> None:
        """Send `text` with the composer's attachments (either may be empty, not both)."""
        if self.compare is not None and self._editing is None and self.compare.take(text):
            return
        if self.busy or self._composer.reading:
            return
        attachments = self._composer.attachments
        if not text.strip() and not attachments:
            return
        # The engine stores the message before anything else happens: from here on the text
        # cannot be lost, so the composer may let go of it. If the store refuses it (a full
        # disk, a read-only folder), or the attachments cannot go (a file too big for the
        # model's window), text and attachments stay in the composer and the user is told.
        try:
            if self._editing is not None:
                turn = self.engine.edit(self._editing.id, text, attachments=attachments)
            else:
                if self._conversation is None and attachments:
                    # Checked before a conversation is made for a message that cannot go.
                    self.engine.check_attachments(text, attachments)
                title = text or ", ".join(a.name for a in attachments)
                turn = self.engine.send(
                    self._ensure_conversation(title), text, attachments=attachments
                )
        except AttachmentError as exc:
            self._notify(error_notice(exc, "send your message"))
            return
        except StoreError as exc:
            self._notify(error_notice(exc, "send your message", retry=lambda: self.send(text)))
            return
        self._message_editing.cancel()
        if self.drafts is not None:
            self.drafts.sent(conversation_key(turn.conversation_id))
        self._composer.clear()
        self._view.reload()
        self._start(turn)

    def stop(self) -> None:
        self._runner.cancel(REPLY_TASK)

    def regenerate(self, message_id: int) -> None:
        """A new sibling reply to the same question (a failed reply is answered again)."""
        if self.busy:
            return
        try:
            message = self._store.get_message(MessageId(message_id))
            if message.role is Role.ASSISTANT and message.parent_id is not None:
                self._start(self.engine.regenerate(message.id))
            elif message.role is Role.USER:
                self._start(self.engine.reply_to(message.id))
        except StoreError as exc:
            self._notify(error_notice(exc, "ask for a new reply"))

    def edit(self, message_id: int) -> None:
        """Put a user message back in the composer; sending it starts a new branch."""
        self._message_editing.begin(message_id)

    def continue_reply(self, message_id: int) -> None:
        """After a reply was cut at the length limit: the model goes on, in the same reply."""
        if self.busy:
            return
        try:
            self._start(self.engine.continue_reply(MessageId(message_id)))
        except StoreError as exc:
            self._notify(error_notice(exc, "continue the reply"))
            return
        self._view.reload()

    def regenerate_last(self) -> None:
        """A new version of the open conversation's last reply (Ctrl+R)."""
        last = self._last_reply()
        if last is not None:
            self.regenerate(last.id)

    def step_last_reply(self, delta: int) -> None:
        """The previous (-1) or next (+1) version of the last reply (Alt+Left, Alt+Right)."""
        last = self._last_reply()
        if last is not None:
            self.step_version(last.id, delta)

    def step_version(self, message_id: int, delta: int) -> None:
        """The previous (-1) or next (+1) version of a message (its ‹ › arrows)."""
        ids = [m.id for m in self._store.siblings(MessageId(message_id))]
        index = ids.index(MessageId(message_id)) + delta if message_id in ids else -1
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

    def inspect(self, message_id: int) -> None:
        """A window with what the store holds about the message (beside the chat)."""
        inspector = open_message_inspector(
            self._store, message_id, self._view.window(), self._notify
        )
        if inspector is not None:
            self.inspector = inspector  # the last one opened

    def inspect_next_request(self) -> QDialog | None:
        """A window with the request sending the composer's message now would make (after
        trimming, each parameter with its source); nothing is sent or stored."""
        return open_next_request(self, self._view.window(), self._notify)

    def delete_message(self, message_id: int) -> bool:
        """Delete the message and the replies after it (softly); the notice offers Undo
        (Ctrl+Z). Not while a reply is arriving: it could be one of them."""
        return self._deletion.delete(message_id)

    def restore_message(self, message_id: MessageId, leaf: MessageId | None = None) -> bool:
        """Undo a delete: the message and its replies come back, the branch that showed too."""
        return self._deletion.restore(message_id, leaf)

    def switch_branch(self, message_id: int) -> None:
        if self.busy:
            return
        try:
            self._store.select_branch(MessageId(message_id))
        except StoreError as exc:
            self._notify(error_notice(exc, "show that version"))
            return
        self._view.reload()

    def ensure_conversation(self, first_text: str) -> ConversationId:
        """The open conversation; in a new chat, one made now (named after `first_text`)."""
        return self._ensure_conversation(first_text)

    def _ensure_conversation(self, first_text: str) -> ConversationId:
        if self._conversation is None:
            params = self.tools.new_chat_params() if self.tools is not None else None
            provider = None
            if self.models is not None:  # the model picked before the first message
                params, provider = self.models.new_chat_params(params)
            conversation = self.engine.new_conversation(
                first_text, params=params, provider=provider
            )
            self._conversation = conversation.id
            if self.tools is not None:
                self.tools.open(conversation.id)
            if self.models is not None:
                self.models.open(conversation.id)
            self._view.show_conversation(conversation.id)
            self.conversation_opened.emit(conversation.id)
        return self._conversation

    # -- the turn -------------------------------------------------------------------------------

    def turn_options(self) -> TurnOptions:
        """The options of the next turn (see _turn_options)."""
        return self._turn_options()

    def _turn_options(self) -> TurnOptions:
        """The options of the next turn: the settings', capped after "Trim history"."""
        from kibitz.core.conversation.engine import turn_options

        options = turn_options(self._settings())
        if self._trim_to is not None:
            options = dataclasses.replace(options, max_prompt_tokens=self._trim_to)
        return options

    def _start(self, turn: Turn) -> None:
        if self._trim_to is not None:
            turn.options = self._turn_options()
            self._trim_to = None
        if self.tools is not None:
            turn.with_tools(self.tools.use(turn.conversation_id, self.tool_calls.ask))
        self._runner.start(REPLY_TASK, self._turns.run(turn))
        self._composer.set_busy(True)
        self._view.set_deletable(False)
        if turn.tools is not None and self.tools is not None and self.tools.servers_starting():
            # The first request waits for them: say why nothing arrives yet.
            self._composer.set_status("Starting tool servers…")
        self.busy_changed.emit(True)

    def _on_runner_finished(self, key: str) -> None:
        if key == REPLY_TASK and not self._runner.running(REPLY_TASK):
            self._composer.set_busy(False)
            self._view.set_deletable(True)
            self.busy_changed.emit(False)

    def _name(self, conversation_id: ConversationId) -> None:
        """After the first exchange, a short title from the model (in the background)."""
        self._runner.start(
            f"title:{conversation_id}", self.engine.name_conversation(conversation_id)
        )

    async def aclose(self) -> None:
        if self._engine is not None:
            await self._engine.aclose()

    # -- slots ----------------------------------------------------------------------------------

    def _on_view_error_action_requested(self, message_id: int, action: Action) -> None:
        message = self._store.get_message(MessageId(message_id))
        images_refused = (message.error or "").startswith(f"{ImagesNotSupportedError.code}:")
        if action is Action.CHOOSE_MODEL and images_refused:
            # Another model for this conversation, not another default for every chat.
            self.model_choice_requested.emit(message.conversation_id)
        elif action is Action.RETRY:
            self.regenerate(message_id)
        elif action is Action.SEND_WITHOUT_TOOLS and self.tools is not None:
            # This conversation goes without tools from now on (the composer's toggle shows
            # it), and the question is answered again.
            self.tools.set_chosen(message.conversation_id, False)
            self.regenerate(message_id)
        elif action is Action.TRIM_HISTORY:
            # The server counted more than we did: send about half of what went last time.
            sent = self._turns.prompt_tokens.get(message.conversation_id, 4096)
            self._trim_to = max(256, sent // 2)
            self.regenerate(message_id)
        else:
            self.setup_requested.emit(action.value)

    def _on_view_attachment_opened(self, part: ImagePart | FilePart) -> None:
        self.opener.open(part, self._view.window())

    def _on_composer_edit_last_requested(self) -> None:
        self._message_editing.begin_last(self._conversation)
