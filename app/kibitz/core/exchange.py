"""One exchange in a conversation: the user's turn is stored, then the reply streams into the store.

Shared by the CLI and the app, so both keep the same promises: the user's text is committed
before any network call; reply text is committed at least every ~200 ms (a timer covers pauses
in the stream); a failure or a cancel leaves the partial reply marked, never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any

from kibitz.core import context
from kibitz.core.chat import (
    DEFAULT_STALL_TIMEOUT,
    ChatClient,
    ChatTurn,
    Delta,
    Failed,
    Finished,
    RetryPolicy,
    Started,
    StreamEvent,
    UsageReport,
    build_request,
)
from kibitz.core.errors import CancelledByUserError, KibitzError
from kibitz.core.store import ReplyWriter, Store
from kibitz.core.types import (
    ConversationId,
    Message,
    MessageId,
    MessageStatus,
    RequestParams,
    Role,
    Usage,
)

log = logging.getLogger(__name__)

_FLUSH_TICK_S = 0.1  # how often buffered text is checked during pauses in the stream


@dataclass(frozen=True, slots=True)
class ExchangeOptions:
    stall_timeout: float = DEFAULT_STALL_TIMEOUT
    retry: RetryPolicy | None = None
    unknown_context_window: int = 8192  # for models whose window we do not know
    reserve_tokens: int = 2048  # room kept for the reply when trimming history
    stream: bool = True  # False asks for the whole reply at once (no SSE)
    max_prompt_tokens: int | None = None  # a tighter cap than the window ("Trim history")


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    body: dict[str, Any]
    dropped_messages: int  # oldest turns left out to fit the context window
    prompt_tokens: int  # our estimate


def add_user_turn(store: Store, conversation_id: ConversationId, text: str) -> Message:
    """Commit the user's message under the conversation's current leaf (before any network)."""
    conversation = store.get_conversation(conversation_id)
    return store.add_message(conversation_id, conversation.current_leaf_id, Role.USER, text)


def prepare_request(
    store: Store,
    conversation_id: ConversationId,
    leaf_id: MessageId,
    params: RequestParams,
    options: ExchangeOptions,
) -> PreparedRequest:
    """The request body for the branch ending at `leaf_id`, trimmed to the model's window."""
    conversation = store.get_conversation(conversation_id)
    branch = [
        m
        for m in store.branch(conversation_id, leaf_id)
        if m.status is not MessageStatus.ERROR and (m.role is not Role.ASSISTANT or m.content)
    ]
    model = (params.model or "").strip()
    turns: list[Message | ChatTurn] = []
    if conversation.system_prompt and conversation.system_prompt.strip():
        turns.append(ChatTurn(Role.SYSTEM, conversation.system_prompt))
    turns.extend(branch)
    dropped, tokens = 0, 0
    if model:
        window = context.effective_window(model, options.unknown_context_window)
        reserve = min(options.reserve_tokens, params.max_tokens or options.reserve_tokens)
        if options.max_prompt_tokens is not None:
            window = min(window, options.max_prompt_tokens + reserve)
        # The server's own prompt_tokens of the last reply beats our estimate for that prefix
        # (our tokenizer is only a guess for non-OpenAI models).
        anchor = context.anchor_from_messages(turns)
        trimmed = context.trim_to_fit(turns, model, window=window, reserve=reserve, anchor=anchor)
        turns, dropped, tokens = list(trimmed.kept), trimmed.dropped_count, trimmed.tokens
        if dropped:
            log.info("left out the %d oldest messages to fit %d tokens", dropped, window)
    body = build_request(turns, params, stream=options.stream)
    return PreparedRequest(body, dropped, tokens)


class _Replies:
    """The reply rows of one request (one per choice), created as their text begins."""

    def __init__(
        self,
        store: Store,
        conversation_id: ConversationId,
        parent_id: MessageId,
        model: str,
        on_reply_started: Callable[[Message], None] | None = None,
    ) -> None:
        self._store = store
        self._on_reply_started = on_reply_started
        self._conversation_id = conversation_id
        self._parent_id = parent_id
        self._model = model
        self.writers: dict[int, ReplyWriter] = {}
        self.delivered: set[int] = set()
        self.usage: Usage | None = None

    def writer(self, index: int) -> ReplyWriter:
        if index not in self.writers:
            writer = self._store.begin_reply(
                self._conversation_id, self._parent_id, model=self._model, choice_index=index
            )
            self.writers[index] = writer
            if self._on_reply_started is not None:
                self._on_reply_started(self._store.get_message(writer.message_id))
        return self.writers[index]

    def set_model(self, model: str) -> None:
        self._model = model
        for writer in self.writers.values():
            if not writer.finished:
                writer.set_model(model)

    def flush_due(self) -> None:
        for writer in self.writers.values():
            if not writer.finished:
                writer.flush_if_due()

    def record_usage(self, usage: Usage) -> None:
        """Usage arrives after the finish_reasons and covers the whole request: kept on choice 0."""
        self.usage = usage
        writer = self.writers.get(0)
        if writer is not None:
            self._store.set_usage(writer.message_id, usage)

    def open_writers(self) -> list[ReplyWriter]:
        return [w for w in self.writers.values() if not w.finished]

    def end_all(self, error: KibitzError) -> None:
        """Finish every open reply: interrupted if it holds text or the user stopped it,
        failed if the server or network ended it before any text."""
        stopped = isinstance(error, CancelledByUserError)
        for index, writer in self.writers.items():
            if writer.finished:
                continue
            has_text = index in self.delivered
            status = MessageStatus.INTERRUPTED if has_text or stopped else MessageStatus.ERROR
            writer.finish(status, usage=self.usage, error=error)


async def stream_reply(
    store: Store,
    client: ChatClient,
    conversation_id: ConversationId,
    parent_id: MessageId,
    params: RequestParams,
    options: ExchangeOptions = ExchangeOptions(),  # frozen: safe as a default
    *,
    on_prepared: Callable[[PreparedRequest], None] | None = None,
    on_reply_started: Callable[[Message], None] | None = None,
) -> AsyncGenerator[StreamEvent, None]:
    """Ask for a reply to the branch ending at `parent_id`, saving it as it streams.

    Yields the engine's events after they are stored. The first reply row is created at once
    (status `streaming`, so a view can show it waiting); n > 1 alternatives become siblings.
    A failure ends with `Failed` (the reply is `interrupted` if it has text, else `error`);
    cancelling the consumer marks it `interrupted` and closes the HTTP stream.
    `on_reply_started` hears of each reply row as it is created (choice 0 at once, others as
    their first text arrives), so a view can show it before its first event.
    """
    replies = _Replies(store, conversation_id, parent_id, params.model or "", on_reply_started)
    replies.writer(0)
    try:
        prepared = prepare_request(store, conversation_id, parent_id, params, options)
    except KibitzError as exc:
        replies.end_all(exc)
        yield Failed(exc)
        return
    if on_prepared is not None:
        on_prepared(prepared)
    ticker = asyncio.create_task(_flush_ticker(replies))
    ended = False
    try:
        events = client.stream(
            prepared.body, stall_timeout=options.stall_timeout, retry=options.retry
        )
        async with contextlib.aclosing(events):
            async for event in events:
                _record(replies, event)
                yield event
        ended = True
    finally:
        ticker.cancel()
        if not ended:
            # Cancelled, closed early, or closing the HTTP stream failed on the way out (as
            # when asyncio.run finalises generators out of order): the text so far is kept.
            replies.end_all(CancelledByUserError())
    # A stream that ended without a finish_reason for some choice was cut short.
    for writer in replies.open_writers():
        writer.finish(MessageStatus.INTERRUPTED, usage=replies.usage)


def _record(replies: _Replies, event: StreamEvent) -> None:
    if isinstance(event, Started):
        if event.model:
            replies.set_model(event.model)
    elif isinstance(event, Delta):
        if event.text:
            replies.delivered.add(event.index)
        replies.writer(event.index).append(event.text)
    elif isinstance(event, Finished):
        # Usage comes after the last finish_reason: record_usage adds it to the finished row.
        replies.writer(event.index).finish(event.status, finish_reason=event.reason)
    elif isinstance(event, UsageReport):
        replies.record_usage(event.usage)
    elif isinstance(event, Failed):
        replies.end_all(event.error)


async def _flush_ticker(replies: _Replies) -> None:
    # Text that arrives just before a pause would otherwise wait for the next delta.
    while True:
        await asyncio.sleep(_FLUSH_TICK_S)
        replies.flush_due()


def warm_up(model: str) -> None:
    """Load what the first request needs (the SDK, the model's token table: ~0.5 s together)
    ahead of it; blocking, so call it off the UI thread, e.g. once the user starts typing."""
    from kibitz.core.chat import preload
    from kibitz.core.tokenizer import counter

    preload()
    counter(context.encoding_for(model).name)
