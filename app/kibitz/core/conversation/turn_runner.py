"""Running one turn: its loop of requests streamed into the reply rows, and how it ends.

A turn is more than one request: a refusal learned before any text sends the request again
without the parameter (refusals.py), and a reply that asks for tools runs them and goes on
with another request (tool_calls.py), up to MAX_TOOL_ROUNDS. Whatever happens, the turn ends
with one TurnEnded, and the reply rows say how far it got: a failure or a cancel leaves the
partial reply marked, never lost; a request that cannot even be made becomes a failed reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
from collections.abc import AsyncGenerator, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from kibitz.core.conversation.events import (
    ReplyFinished,
    ReplyStarted,
    RequestStarted,
    TurnEnded,
    TurnEvent,
)
from kibitz.core.conversation.prepare import PreparedRequest, TurnOptions, prepare_request
from kibitz.core.conversation.refusals import MAX_LEARNED_PER_TURN, learned_refusal, left_out
from kibitz.core.conversation.replies import ReplyRows
from kibitz.core.conversation.stream_rows import flush_ticker, record, translate
from kibitz.core.conversation.tool_calls import CallCollector, ToolUse, run_round
from kibitz.core.errors import CancelledByUserError, KibitzError, ToolLoopLimitError
from kibitz.core.store import error_record
from kibitz.core.tools import MAX_TOOL_ROUNDS, ToolSpec
from kibitz.core.types import MessageId, MessageStatus, RequestParams, Role

if TYPE_CHECKING:
    from kibitz.core.chat import ChatClient, StreamEvent
    from kibitz.core.chat.exchange import Exchange
    from kibitz.core.conversation.engine import ConversationEngine, Turn
    from kibitz.core.conversation.provider_clients import RunBlocking
    from kibitz.core.settings import Settings


def turn_options(settings: Settings) -> TurnOptions:
    chat = settings.chat
    return TurnOptions(
        stall_timeout=chat.stall_timeout_s,
        max_retries=chat.max_retries,
        unknown_context_window=chat.unknown_context_window,
        reserve_tokens=chat.context_reserve_tokens,
        image_detail=chat.image_detail,
    )


@dataclass
class _Request:
    """What one request of a turn left: its failure, and the tool calls it asked for."""

    rows: ReplyRows
    calls: CallCollector = field(default_factory=CallCollector)
    tool_round: bool = False  # choice 0 ended asking for the calls it collected
    failure: KibitzError | None = None
    refused: str | None = None  # a parameter the model refused before any text: learned


class TurnRunner:
    """Runs `turn` on `engine`'s store, provider clients and capability book (iterate once)."""

    def __init__(self, engine: ConversationEngine, turn: Turn, run_blocking: RunBlocking) -> None:
        self._engine = engine
        self._store = engine.store
        self._turn = turn
        self._run_blocking = run_blocking

    async def events(self) -> AsyncGenerator[TurnEvent, None]:
        engine, turn = self._engine, self._turn
        conversation = self._store.get_conversation(turn.conversation_id)
        params = engine.params_for(conversation, turn.overrides)
        settings = engine.settings
        options = turn.options or turn_options(settings)
        try:
            provider = await engine.provider_for(conversation, turn.provider)
        except KibitzError as exc:
            async for event in self._fail_before_request(params, exc):
                yield event
            return
        except asyncio.CancelledError:
            # Stopped while the key was looked up (a keyring asking to be unlocked): the
            # question gets the stopped reply a stop a moment later would leave, not standing
            # alone with nothing to ask again from (Regenerate, in the window).
            self._stopped_before_request(params)
            raise
        client = engine.client_for(provider)
        resumed = None
        if turn.continuing is not None:
            resumed = self._store.resume_reply(turn.continuing)
        rows = ReplyRows(
            self._store,
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
            book = engine.capabilities
            sent, no_tools = book.leave_out(provider.name, params.model or "", params)
            try:
                # Off the event loop's thread: images are read, turned upright and scaled here.
                prepared = await self._run_blocking(
                    functools.partial(
                        prepare_request,
                        self._store,
                        leaf,
                        sent,
                        options,
                        provider=provider,
                        continuing=continuing,
                        tools=None if no_tools else (specs or None),
                    )
                )
            except KibitzError as exc:
                exc = self._explained(exc)
                rows.end_all(exc)
                async for event in self._ended(rows, exc, first.message_id):
                    yield event
                return
            yield RequestStarted(number, prepared)
            request = _Request(rows)
            async for event in self._stream_into(request, client, prepared, options):
                yield event
            if request.refused is not None and learned < MAX_LEARNED_PER_TURN:
                # Refused before any text and now known: the same request again without it.
                learned += 1
                yield left_out(book, provider.name, params.model or "", request.refused)
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
                        received = Failed(self._explained(received.error))
                        refused = learned_refusal(
                            self._engine.capabilities,
                            client.provider.name,
                            prepared,
                            received.error,
                            delivered=bool(rows.delivered),
                        )
                        if refused is not None:
                            request.refused = refused
                            continue  # not the reply's end: it goes again without the parameter
                    if isinstance(received, ToolCallDelta):
                        if self._turn.tools is not None and received.index == 0:
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
            async for event in run_round(self._store, writer, calls, specs, tools):
                yield event
            done = True
        finally:
            if not done:  # Esc while asking or running: the reply keeps what is stored
                rows.end_all(CancelledByUserError())
        rows.carry_usage()

    def _explained(self, error: KibitzError) -> KibitzError:
        """`error`, told in terms of the question's attachments where they are the cause."""
        from kibitz.core.conversation.attachments import explain_too_long
        from kibitz.core.errors import ContextTooLongError

        if not isinstance(error, ContextTooLongError):
            return error
        return explain_too_long(error, self._store.get_message(self._turn.parent_id).parts)

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
            self._store.add_exchange(reply, {**exchange.to_json(), "note": note})

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
        self, params: RequestParams, error: KibitzError
    ) -> AsyncGenerator[TurnEvent, None]:
        """No request could be made: the error shows as the reply (or on the reply that was
        to be continued, which stays as it was)."""
        turn = self._turn
        if turn.continuing is not None:
            kept = self._store.get_message(turn.continuing)
            yield TurnEnded((kept,), error, kept.id)
            return
        reply = self._store.add_message(
            turn.conversation_id,
            turn.parent_id,
            Role.ASSISTANT,
            status=MessageStatus.ERROR,
            model=params.model,
            error=error_record(error),
        )
        yield ReplyFinished(reply)
        yield TurnEnded((reply,), error, reply.id)

    def _stopped_before_request(self, params: RequestParams) -> None:
        turn = self._turn
        if turn.continuing is None:  # a reply to be continued stays as it was
            self._store.add_message(
                turn.conversation_id,
                turn.parent_id,
                Role.ASSISTANT,
                status=MessageStatus.INTERRUPTED,
                model=params.model,
                error=error_record(CancelledByUserError()),
            )
