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
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import os
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from kibitz.core.attachments import Attachment
from kibitz.core.capabilities import FILE_NAME as BOOK_FILE
from kibitz.core.capabilities import CapabilityBook, refused_parameter
from kibitz.core.conversation.attachments import attachment_part, check_fits
from kibitz.core.conversation.events import (
    ParameterLeftOut,
    ReplyFinished,
    ReplyStarted,
    RequestStarted,
    TurnEnded,
    TurnEvent,
)
from kibitz.core.conversation.prepare import PreparedRequest, TurnOptions, prepare_request
from kibitz.core.conversation.replies import ReplyRows
from kibitz.core.conversation.stream_rows import flush_ticker, record, translate
from kibitz.core.conversation.tool_calls import CallCollector, ToolUse, run_round
from kibitz.core.errors import (
    CancelledByUserError,
    KibitzError,
    NotFoundError,
    ToolLoopLimitError,
)
from kibitz.core.store import Store, error_record
from kibitz.core.tools import MAX_TOOL_ROUNDS, ToolSpec
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
    from kibitz.core.chat import ChatClient, ProviderConfig, StreamEvent
    from kibitz.core.chat.exchange import Exchange
    from kibitz.core.secrets import SecretStore
    from kibitz.core.settings import Settings

log = logging.getLogger(__name__)

# Runs a blocking call off the event loop's thread (the UI's single worker thread, say).
RunBlocking = Callable[[Callable[[], Any]], Awaitable[Any]]
# Parameters learned (and the request sent again) at most this often in one turn.
_MAX_LEARNED_PER_TURN = 3


async def _in_default_executor(call: Callable[[], Any]) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, call)


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


@dataclass
class _Request:
    """What one request of a turn left: its failure, and the tool calls it asked for."""

    rows: ReplyRows
    calls: CallCollector = field(default_factory=CallCollector)
    tool_round: bool = False  # choice 0 ended asking for the calls it collected
    failure: KibitzError | None = None
    refused: str | None = None  # a parameter the model refused before any text: learned


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
        self._secrets = secrets
        self._env = env
        # Blocking work (the keyring may wait on D-Bus or an unlock prompt) runs here.
        self._run_blocking = run_blocking or _in_default_executor
        self._clients: dict[ProviderConfig, ChatClient] = {}
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

    async def _run(self, turn: Turn) -> AsyncGenerator[TurnEvent, None]:
        conversation = self.store.get_conversation(turn.conversation_id)
        params = self.params_for(conversation, turn.overrides)
        settings = self._settings()
        options = turn.options or turn_options(settings)
        try:
            provider = await self.provider_for(conversation, turn.provider)
        except KibitzError as exc:
            async for event in self._fail_before_request(turn, params, exc):
                yield event
            return
        except asyncio.CancelledError:
            # Stopped while the key was looked up (a keyring asking to be unlocked): the
            # question gets the stopped reply a stop a moment later would leave, not standing
            # alone with nothing to ask again from (Regenerate, in the window).
            self._stopped_before_request(turn, params)
            raise
        client = self.client_for(provider)
        resumed = None
        if turn.continuing is not None:
            resumed = self.store.resume_reply(turn.continuing)
        rows = ReplyRows(
            self.store,
            turn.conversation_id,
            turn.parent_id,
            params.model or "",
            resumed=resumed,
            provider=provider.name,
            provider_kind=provider.kind,
        )
        first = rows.writer(0)
        for message in rows.new_rows():
            yield ReplyStarted(message)
        # The tools of every enabled server (those that fail to start are left out, and say so
        # in their status): offered with each request of the turn.
        specs = await turn.tools.runner.tools() if turn.tools is not None else []
        leaf = turn.continuing or turn.parent_id
        continuing = turn.continuing is not None
        failure: KibitzError | None = None
        learned = 0
        for number in itertools.count(1):
            # What this model refused before stays out (told once, when it was learned).
            sent, no_tools = self.capabilities.leave_out(provider.name, params.model or "", params)
            try:
                # Off the event loop's thread: images are read, turned upright and scaled here.
                prepared = await self._run_blocking(
                    functools.partial(
                        prepare_request,
                        self.store,
                        leaf,
                        sent,
                        options,
                        provider=provider,
                        continuing=continuing,
                        tools=None if no_tools else (specs or None),
                    )
                )
            except KibitzError as exc:
                exc = self._explained(exc, turn)
                rows.end_all(exc)
                async for event in self._ended(rows, exc, first.message_id):
                    yield event
                return
            yield RequestStarted(number, prepared)
            request = _Request(rows)
            async for event in self._stream_into(request, client, prepared, options, turn):
                yield event
            if request.refused is not None and learned < _MAX_LEARNED_PER_TURN:
                # Refused before any text and now known: the same request again without it.
                learned += 1
                refusal = self.capabilities.refusals(provider.name, params.model or "")
                said = refusal[request.refused].message if request.refused in refusal else ""
                yield ParameterLeftOut(params.model or "", provider.name, request.refused, said)
                continue
            failure = request.failure
            if failure is not None or not request.tool_round:
                break
            if number >= MAX_TOOL_ROUNDS:
                failure = ToolLoopLimitError(f"the model asked for tools {number} times in a row")
                rows.end_all(failure)
                break
            assert turn.tools is not None  # calls are only collected when tools were offered
            async for event in self._tool_round(rows, request, number, specs, turn.tools):
                yield event
            # The next request sends the calls and results so far, and the reply goes on.
            leaf, continuing = first.message_id, False
        rows.end_open()
        async for event in self._ended(rows, failure, first.message_id):
            yield event

    async def _stream_into(
        self,
        request: _Request,
        client: ChatClient,
        prepared: PreparedRequest,
        options: TurnOptions,
        turn: Turn,
    ) -> AsyncGenerator[TurnEvent, None]:
        """One request's stream into the reply rows; tool calls of choice 0 are collected, and
        its finish is held back when they make a tool round (the reply stays open)."""
        from kibitz.core.chat import Failed, Finished, ToolCallDelta

        rows = request.rows
        ticker = asyncio.create_task(flush_ticker(rows))
        ended = False
        try:
            stream_of = self._stream(client, prepared, options, rows.message_id(0))
            async with contextlib.aclosing(stream_of) as stream:
                async for received in stream:
                    if isinstance(received, Failed):
                        received = Failed(self._explained(received.error, turn))
                        if self._learn_refusal(request, client, prepared, received.error):
                            continue  # not the reply's end: it goes again without the parameter
                    if isinstance(received, ToolCallDelta):
                        if turn.tools is not None and received.index == 0:
                            request.calls.add(
                                received.call_index,
                                received.id,
                                received.name,
                                received.arguments,
                            )
                        continue
                    if (
                        isinstance(received, Finished)
                        and received.index == 0
                        and request.calls
                        and received.reason != "length"  # calls cut off mid-arguments
                    ):
                        request.tool_round = True
                        continue
                    request.failure = record(rows, received) or request.failure
                    for message in rows.new_rows():
                        yield ReplyStarted(message)
                    translated = translate(rows, received)
                    if translated is not None:
                        yield translated
            ended = True
        finally:
            ticker.cancel()
            if not ended:
                # Cancelled, closed early, or closing the HTTP stream failed on the way out (as
                # when asyncio.run finalises generators out of order): the text so far is kept.
                rows.end_all(CancelledByUserError())

    def _learn_refusal(
        self, request: _Request, client: ChatClient, prepared: PreparedRequest, error: KibitzError
    ) -> bool:
        """Whether `error` taught that the model refuses a parameter it can do without: only
        before any text arrived, and only what was not known (a known one was not sent)."""
        param = refused_parameter(error)
        if param is None or request.rows.delivered:
            return False
        model = str(prepared.body.get("model") or "")
        if not self.capabilities.learn(client.provider.name, model, param, error.detail):
            return False
        request.refused = param
        return True

    async def _tool_round(
        self,
        rows: ReplyRows,
        request: _Request,
        number: int,
        specs: Sequence[ToolSpec],
        tools: ToolUse,
    ) -> AsyncGenerator[TurnEvent, None]:
        """Store, approve and run the calls of one request, then carry its cost forward."""
        writer = rows.writer(0)
        done = False
        try:
            calls = request.calls.calls(number)
            async for event in run_round(self.store, writer, calls, specs, tools):
                yield event
            done = True
        finally:
            if not done:  # Esc while asking or running: the reply keeps what is stored
                rows.end_all(CancelledByUserError())
        rows.carry_usage()

    def _explained(self, error: KibitzError, turn: Turn) -> KibitzError:
        """`error`, told in terms of the question's attachments where they are the cause."""
        from kibitz.core.conversation.attachments import explain_too_long
        from kibitz.core.errors import ContextTooLongError

        if not isinstance(error, ContextTooLongError):
            return error
        return explain_too_long(error, self.store.get_message(turn.parent_id).parts)

    def _stream(
        self,
        client: ChatClient,
        prepared: PreparedRequest,
        options: TurnOptions,
        reply: MessageId,
    ) -> AsyncGenerator[StreamEvent, None]:
        from kibitz.core.chat import RetryPolicy

        note = asdict(prepared.note())

        def keep(exchange: Exchange) -> None:
            # Each attempt as sent, for the inspector; with what trimming did before it.
            self.store.add_exchange(reply, {**exchange.to_json(), "note": note})

        return client.stream(
            prepared.body,
            stall_timeout=options.stall_timeout,
            retry=RetryPolicy(max_retries=options.max_retries),
            on_exchange=keep,
        )

    async def _ended(
        self, rows: ReplyRows, failure: KibitzError | None, first: MessageId
    ) -> AsyncGenerator[TurnEvent, None]:
        replies = rows.final()
        for message in replies:
            yield ReplyFinished(message)
        yield TurnEnded(replies, failure, first if failure is not None else None)

    async def _fail_before_request(
        self, turn: Turn, params: RequestParams, error: KibitzError
    ) -> AsyncGenerator[TurnEvent, None]:
        """No request could be made: the error shows as the reply (or on the reply that was
        to be continued, which stays as it was)."""
        if turn.continuing is not None:
            kept = self.store.get_message(turn.continuing)
            yield TurnEnded((kept,), error, kept.id)
            return
        reply = self.store.add_message(
            turn.conversation_id,
            turn.parent_id,
            Role.ASSISTANT,
            status=MessageStatus.ERROR,
            model=params.model,
            error=error_record(error),
        )
        yield ReplyFinished(reply)
        yield TurnEnded((reply,), error, reply.id)

    def _stopped_before_request(self, turn: Turn, params: RequestParams) -> None:
        if turn.continuing is None:  # a reply to be continued stays as it was
            self.store.add_message(
                turn.conversation_id,
                turn.parent_id,
                Role.ASSISTANT,
                status=MessageStatus.INTERRUPTED,
                model=params.model,
                error=error_record(CancelledByUserError()),
            )

    # -- providers and clients --------------------------------------------------------------------

    async def provider_for(
        self, conversation: Conversation, name: str | None = None
    ) -> ProviderConfig:
        """Profile `name`, else the conversation's own provider profile, else the default
        one, with its key."""
        from kibitz.core.conversation import connect

        settings = self._settings()

        def resolve() -> ProviderConfig:
            return connect.provider_config(
                settings, self._secrets, self._env, name=name or conversation.provider
            )

        config: ProviderConfig = await self._run_blocking(resolve)
        return config

    def client_for(self, provider: ProviderConfig) -> ChatClient:
        client = self._clients.get(provider)
        if client is None:
            from kibitz.core.chat import ChatClient

            client = self._clients[provider] = ChatClient(provider)
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

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


def turn_options(settings: Settings) -> TurnOptions:
    chat = settings.chat
    return TurnOptions(
        stall_timeout=chat.stall_timeout_s,
        max_retries=chat.max_retries,
        unknown_context_window=chat.unknown_context_window,
        reserve_tokens=chat.context_reserve_tokens,
        image_detail=chat.image_detail,
    )


def warm_up(model: str) -> None:
    """Load what the first request needs (the SDK, the model's token table: ~0.5 s together)
    ahead of it; blocking, so call it off the UI thread, e.g. once the user starts typing."""
    from kibitz.core.chat import preload
    from kibitz.core.conversation.tokenizer import counter
    from kibitz.core.models import encoding_for

    preload()
    counter(encoding_for(model).name)
