"""ConversationEngine: the one road for every kind of turn, used by the window, quick ask and
the CLI alike.

A turn is started synchronously (`send`, `edit`, `regenerate`, `reply_to`, `continue_reply`):
the user's side is committed before anything touches the network or the keyring. Its `run()`
then chooses the provider (the conversation's own profile, else the default), merges the
parameters (defaults < conversation < the caller's overrides), and streams the reply into the
store, yielding events (events.py) after each thing is stored. Text is committed at least every
~200 ms (a timer covers pauses in the stream); a failure or a cancel leaves the partial reply
marked, never lost; a request that cannot even be made (no key, keyring locked) becomes a
failed reply row carrying the error, so it shows where the answer would have been.

This module starts turns; running one is turn_runner.py's, finding its provider and client
provider_clients.py's, and learning what a model refused refusals.py's.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kibitz.core.attachments import Attachment
from kibitz.core.capabilities import FILE_NAME as BOOK_FILE
from kibitz.core.capabilities import CapabilityBook
from kibitz.core.conversation.attachments import attachment_part, check_fits
from kibitz.core.conversation.events import TurnEvent
from kibitz.core.conversation.prepare import TurnOptions
from kibitz.core.conversation.provider_clients import (
    ProviderClients,
    RunBlocking,
    in_default_executor,
)
from kibitz.core.conversation.tool_calls import ToolUse
from kibitz.core.conversation.turn_runner import TurnRunner, turn_options
from kibitz.core.errors import KibitzError, NotFoundError
from kibitz.core.store import Store
from kibitz.core.types import (
    Conversation,
    ConversationId,
    FilePart,
    ImagePart,
    Message,
    MessageId,
    MessageStatus,
    Part,
    RequestParams,
    Role,
    as_parts,
)

if TYPE_CHECKING:
    from kibitz.core.chat import ChatClient, ProviderConfig
    from kibitz.core.secrets import SecretStore
    from kibitz.core.settings import Settings

log = logging.getLogger(__name__)

__all__ = [
    "MAX_COMPARED",
    "MIN_COMPARED",
    "ConversationEngine",
    "ModelChoice",
    "RunBlocking",
    "Turn",
    "turn_options",
    "warm_up",
]

MIN_COMPARED, MAX_COMPARED = 2, 4  # models one question may be put to at once


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """A model to ask, on a provider profile (None: the conversation's own, else the default)."""

    model: str
    provider: str | None = None


@dataclass
class Turn:
    """One turn, its user side already stored; `run()` streams the reply (iterate it once)."""

    engine: ConversationEngine
    conversation_id: ConversationId
    parent_id: MessageId  # the reply goes under this message
    question: Message | None = None  # the user message this turn stored, if it stored one
    continuing: MessageId | None = None  # a cut-off reply to extend instead of a new one
    overrides: RequestParams = field(default_factory=RequestParams)
    options: TurnOptions | None = None
    tools: ToolUse | None = None  # offer these tools (run the tool loop) when set
    provider: str | None = None  # ask this provider profile (else the conversation's own)

    def with_tools(self, tools: ToolUse | None) -> Turn:
        """Offer the tools of `tools` in this turn (None: none); returns the turn."""
        self.tools = tools
        return self

    def run(self) -> AsyncGenerator[TurnEvent, None]:
        return self.engine._run(self)


class ConversationEngine:
    """Runs turns on one store; holds one HTTP client per provider until `aclose()`."""

    def __init__(
        self,
        store: Store,
        settings: Callable[[], Settings],
        secrets: SecretStore,
        *,
        env: Mapping[str, str] = os.environ,
        run_blocking: RunBlocking | None = None,
        capabilities: CapabilityBook | None = None,
    ) -> None:
        """`capabilities`: where what models refused is learned (without: in memory only)."""
        self.store = store
        self._settings = settings
        # Blocking work (the keyring may wait on D-Bus or an unlock prompt) runs here.
        self._run_blocking = run_blocking or in_default_executor
        self._providers = ProviderClients(settings, secrets, env, self._run_blocking)
        # The title a conversation had when its first question was sent: a suggested title
        # replaces only that, never a rename the user made while the first reply streamed.
        self._first_titles: dict[ConversationId, str] = {}
        # Beside the database, so the app and the CLI learn from each other's refusals.
        if capabilities is None:
            in_memory = str(store.path) == ":memory:"
            capabilities = CapabilityBook(None if in_memory else store.path.parent / BOOK_FILE)
        self.capabilities = capabilities

    # -- conversations ----------------------------------------------------------------------------

    def new_conversation(
        self,
        first_text: str,
        *,
        system_prompt: str | None = None,
        use_default_prompt: bool = True,
        params: RequestParams | None = None,
        provider: str | None = None,
    ) -> Conversation:
        """A conversation named after its first words (until a title is suggested), with the
        default system prompt preset unless one is given (or `use_default_prompt` is off)."""
        from kibitz.core.conversation.titles import fallback_title
        from kibitz.core.settings.presets import default_prompt

        if system_prompt is None and use_default_prompt:
            system_prompt = default_prompt(self._settings())
        return self.store.create_conversation(
            fallback_title(first_text),
            system_prompt=(system_prompt or "").strip() or None,
            params=params or RequestParams(),
            provider=provider,
        )

    @property
    def settings(self) -> Settings:
        """The settings in force now."""
        return self._settings()

    def params_for(self, conversation: Conversation, overrides: RequestParams) -> RequestParams:
        """Defaults, then the conversation's own values, then the caller's."""
        from kibitz.core.settings.overrides import effective_params

        return effective_params(self._settings(), conversation).merged(overrides)

    # -- starting turns (synchronous: the user's side is stored before they return) ---------------

    def send(
        self,
        conversation_id: ConversationId,
        content: str | Sequence[Part],
        *,
        attachments: Sequence[Attachment | ImagePart | FilePart] = (),
        overrides: RequestParams | None = None,
        options: TurnOptions | None = None,
    ) -> Turn:
        """A new user message under the conversation's current leaf, and its reply.

        `attachments` (new files, or the stored parts of a message being re-sent) go in the
        same message; an AttachmentError is raised before anything is stored if the message
        could not be sent whole.
        """
        conversation = self._live(conversation_id)
        parts = self._question_parts(conversation, content, attachments, overrides, options)
        question = self.store.add_message(
            conversation_id, conversation.current_leaf_id, Role.USER, parts
        )
        if conversation.current_leaf_id is None:
            self._first_titles[conversation_id] = conversation.title
        return self._turn(question, overrides, options)

    def compare(
        self,
        conversation_id: ConversationId,
        content: str | Sequence[Part],
        choices: Sequence[ModelChoice],
        *,
        attachments: Sequence[Attachment | ImagePart | FilePart] = (),
        overrides: RequestParams | None = None,
        options: TurnOptions | None = None,
    ) -> list[Turn]:
        """One question, answered by each of `choices` (two to four models, from any provider
        profiles): the question is stored once and each turn's reply goes under it, so the
        answers are siblings (‹ 1/3 ›), as regenerated replies are. Run the turns at once; each
        fails or is stopped on its own."""
        if not MIN_COMPARED <= len(choices) <= MAX_COMPARED:
            raise ValueError(f"compare takes {MIN_COMPARED} to {MAX_COMPARED} models")
        first = self.send(
            conversation_id, content, attachments=attachments, overrides=overrides, options=options
        )
        base = overrides or RequestParams()
        return [
            Turn(
                self,
                first.conversation_id,
                first.parent_id,
                question=first.question,
                overrides=base.merged(RequestParams(model=choice.model)),
                options=options,
                provider=choice.provider,
            )
            for choice in choices
        ]

    def edit(
        self,
        message_id: MessageId,
        content: str | Sequence[Part],
        *,
        attachments: Sequence[Attachment | ImagePart | FilePart] = (),
        overrides: RequestParams | None = None,
        options: TurnOptions | None = None,
    ) -> Turn:
        """Edit-and-resend: the new text becomes a sibling of the user message (the old branch
        stays), and is answered. Pass the attachments to keep (the old message's parts)."""
        old = self.store.get_message(message_id)
        if old.role is not Role.USER:
            raise ValueError(f"message {message_id} is not the user's")
        conversation = self.store.get_conversation(old.conversation_id)
        parts = self._question_parts(conversation, content, attachments, overrides, options)
        question = self.store.add_message(old.conversation_id, old.parent_id, Role.USER, parts)
        return self._turn(question, overrides, options)

    def regenerate(
        self,
        reply_id: MessageId,
        *,
        overrides: RequestParams | None = None,
        options: TurnOptions | None = None,
    ) -> Turn:
        """Another version of a reply: a sibling under the same user message."""
        reply = self.store.get_message(reply_id)
        if reply.parent_id is None:
            raise ValueError(f"message {reply_id} answers nothing")
        return self.reply_to(reply.parent_id, overrides=overrides, options=options)

    def reply_to(
        self,
        message_id: MessageId,
        *,
        overrides: RequestParams | None = None,
        options: TurnOptions | None = None,
    ) -> Turn:
        """A (new) reply to a stored message, e.g. a question whose request failed."""
        message = self.store.get_message(message_id)
        return self._turn(message, overrides, options, stored_question=False)

    def continue_reply(
        self,
        reply_id: MessageId,
        *,
        overrides: RequestParams | None = None,
        options: TurnOptions | None = None,
    ) -> Turn:
        """Extend a reply cut off at the length limit; the continuation joins it."""
        reply = self.store.get_message(reply_id)
        if reply.role is not Role.ASSISTANT or reply.parent_id is None:
            raise ValueError(f"message {reply_id} is not a reply")
        self.store.select_branch(reply_id)
        return Turn(
            self,
            reply.conversation_id,
            reply.parent_id,
            continuing=reply_id,
            overrides=overrides or RequestParams(),
            options=options,
        )

    def check_attachments(
        self,
        content: str | Sequence[Part],
        attachments: Sequence[Attachment | ImagePart | FilePart],
        *,
        conversation_id: ConversationId | None = None,
        overrides: RequestParams | None = None,
        options: TurnOptions | None = None,
    ) -> None:
        """Raise AttachmentError if a message with these attachments could not be sent whole
        (to this conversation, or to a new one): for callers that would otherwise make a new
        conversation for a message that cannot go."""
        settings = self._settings()
        if conversation_id is None:
            params = settings.defaults.to_request_params()
        else:
            params = self.params_for(self.store.get_conversation(conversation_id), RequestParams())
        params = params.merged(overrides or RequestParams())
        check_fits(as_parts(content), attachments, params, options or turn_options(settings))

    def _question_parts(
        self,
        conversation: Conversation,
        content: str | Sequence[Part],
        attachments: Sequence[Attachment | ImagePart | FilePart],
        overrides: RequestParams | None,
        options: TurnOptions | None,
    ) -> str | Sequence[Part]:
        """The parts of a user message: its text, then its attachments, their bytes stored."""
        if not attachments:
            return content
        params = self.params_for(conversation, overrides or RequestParams())
        check_fits(
            as_parts(content),
            attachments,
            params,
            options or turn_options(self._settings()),
        )
        stored = [
            a if not isinstance(a, Attachment) else self._store_attachment(a) for a in attachments
        ]
        return (*as_parts(content), *stored)

    def _store_attachment(self, attachment: Attachment) -> ImagePart | FilePart:
        return attachment_part(attachment, self.store.put_blob(attachment.data))

    def _live(self, conversation_id: ConversationId) -> Conversation:
        conversation = self.store.get_conversation(conversation_id)
        if conversation.deleted_at is not None:
            raise NotFoundError(
                f"conversation {conversation_id} is in the trash",
                headline="That conversation was deleted",
                hint="Restore it first, or start a new conversation.",
            )
        return conversation

    def _turn(
        self,
        question: Message,
        overrides: RequestParams | None,
        options: TurnOptions | None,
        *,
        stored_question: bool = True,
    ) -> Turn:
        return Turn(
            self,
            question.conversation_id,
            question.id,
            question=question if stored_question else None,
            overrides=overrides or RequestParams(),
            options=options,
        )

    # -- running a turn ---------------------------------------------------------------------------

    def _run(self, turn: Turn) -> AsyncGenerator[TurnEvent, None]:
        return TurnRunner(self, turn, self._run_blocking).events()

    # -- providers and clients --------------------------------------------------------------------

    async def provider_for(
        self, conversation: Conversation, name: str | None = None
    ) -> ProviderConfig:
        """Profile `name`, else the conversation's own provider profile, else the default
        one, with its key."""
        return await self._providers.provider_for(conversation, name)

    def client_for(self, provider: ProviderConfig) -> ChatClient:
        return self._providers.client_for(provider)

    async def aclose(self) -> None:
        await self._providers.aclose()

    # -- titles -----------------------------------------------------------------------------------

    async def name_conversation(self, conversation_id: ConversationId) -> str | None:
        """After the first complete exchange, ask the model for a short title and store it
        (when automatic titles are on); the title, or None when none was set.

        Only a title the user has not changed is replaced: the one the conversation had when
        its first question was sent (else, as after a restart, the fallback from its first
        words), checked again once the suggestion arrives."""
        from kibitz.core.conversation.titles import fallback_title, suggest_title

        if not self._settings().chat.auto_title:
            return None
        branch = self.store.branch(conversation_id)
        if len(branch) != 2 or branch[1].status is not MessageStatus.COMPLETE:
            return None
        question, answer = branch[0].content, branch[1].content
        untouched = self._first_titles.pop(conversation_id, None) or fallback_title(question)
        conversation = self.store.get_conversation(conversation_id)
        if conversation.title != untouched:
            return None
        try:
            provider = await self.provider_for(conversation)
        except KibitzError:
            return None
        params = self.params_for(conversation, RequestParams())
        title = await suggest_title(self.client_for(provider), params, question, answer)
        if not title or self.store.get_conversation(conversation_id).title != untouched:
            return None
        self.store.set_title(conversation_id, title)
        return title


def warm_up(model: str) -> None:
    """Load what the first request needs (the SDK, the model's token table: ~0.5 s together)
    ahead of it; blocking, so call it off the UI thread, e.g. once the user starts typing."""
    from kibitz.core.chat import preload
    from kibitz.core.conversation.tokenizer import counter
    from kibitz.core.models import encoding_for

    preload()
    counter(encoding_for(model).name)
