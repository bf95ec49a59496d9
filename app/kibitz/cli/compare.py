"""`kibitz ask -m A -m B` (and `kibitz ask --json`): turns run at once, their answers printed in
the order the models were given, each under a header, or all of them as one JSON document.

The first answer not yet printed streams live; the others are held until their turn, and one
that ended meanwhile prints whole. Each answer's figures (time to first token, tokens per second,
tokens, cost) go to stderr after it; a failing model's error goes under its header and the others
go on. The replies are siblings under the one question; afterwards the first model's reply is
the current branch (the first that answered, if the first model failed), and its model the
conversation's, so a follow-up without -m goes on with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kibitz.cli.commands import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, say
from kibitz.cli.reply_figures import figures_of
from kibitz.core.capabilities import told
from kibitz.core.conversation.engine import ConversationEngine, Turn
from kibitz.core.conversation.events import (
    AnswerBecameReasoning,
    ParameterLeftOut,
    ReasoningStreamed,
    ReplyStarted,
    RetryWaiting,
    TextStreamed,
    TurnEnded,
    TurnEvent,
)
from kibitz.core.errors import KibitzError
from kibitz.core.store import Store
from kibitz.core.types import Conversation, Message, MessageId, MessageStatus, RequestParams

WAS_REASONING = "The text above was {model}'s reasoning (it wrote </think>); its answer follows."
_ANSWERED = (MessageStatus.COMPLETE, MessageStatus.LENGTH)
_NOT_FINISHED = {
    MessageStatus.LENGTH: "the reply was cut off at the length limit (raise --max-tokens)",
    MessageStatus.CONTENT_FILTER: "the provider's content filter stopped the reply",
    MessageStatus.INTERRUPTED: "the reply ended before it was finished; the part received is kept",
}


@dataclass
class Column:
    """One model's answer as it arrives."""

    model: str
    provider: str
    reply_id: MessageId | None = None
    texts: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    failure: KibitzError | None = None
    ended: bool = False

    @property
    def label(self) -> str:
        return f"{self.model} ({self.provider})"

    @property
    def header(self) -> str:
        return f"── {self.label} ──"


@dataclass
class ColumnPrinter:
    """Prints the columns in order (nothing on stdout when `quiet`: --json); with `reasoning`,
    the printed column's reasoning goes to stderr (stdout stays the answers)."""

    columns: list[Column]
    store: Store
    failure_lines: Callable[[KibitzError], list[str]]
    quiet: bool = False
    reasoning: bool = False
    _cursor: int = 0
    _thinking: bool = False
    _said_was_reasoning: bool = False

    def begin(self) -> None:
        if not self.quiet and self.columns:
            self._out(self.columns[0].header + "\n")

    def event(self, index: int, event: TurnEvent) -> None:
        column = self.columns[index]
        if isinstance(event, ReplyStarted):
            if column.reply_id is None and event.message.choice_index == 0:
                column.reply_id = event.message.id
        elif isinstance(event, TextStreamed | ReasoningStreamed | AnswerBecameReasoning):
            if event.message_id == column.reply_id:  # choice 0 only: n > 1 is not compared
                self._content(index, event)
        elif isinstance(event, RetryWaiting):
            say(f"{column.label}: {event.describe()}")
        elif isinstance(event, ParameterLeftOut):
            say(told(event.model, event.param))
        elif isinstance(event, TurnEnded):
            if column.reply_id is None and event.replies:
                column.reply_id = event.replies[0].id
            column.failure = event.failure
            column.ended = True
            if index == self._cursor:
                self._advance()

    def _content(
        self, index: int, event: TextStreamed | ReasoningStreamed | AnswerBecameReasoning
    ) -> None:
        column = self.columns[index]
        live = not self.quiet and index == self._cursor
        if isinstance(event, TextStreamed):
            column.texts.append(event.text)
            if live:
                self._stop_thinking()
                self._out(event.text)
        elif isinstance(event, ReasoningStreamed):
            column.reasoning.append(event.text)
            if live and self.reasoning:
                sys.stderr.write(event.text)
                sys.stderr.flush()
                self._thinking = True
        else:  # what streamed as the answer was reasoning: printed text cannot be taken back
            thought = "".join(column.texts)
            column.texts.clear()
            if live and thought:
                self._out("" if thought.endswith("\n") else "\n")
                if not self._said_was_reasoning:
                    self._said_was_reasoning = True
                    say(WAS_REASONING.format(model=column.model))

    def _advance(self) -> None:
        """Finish the printed column, then show the next ones while they have ended."""
        while self._cursor < len(self.columns) and self.columns[self._cursor].ended:
            self._finish(self.columns[self._cursor])
            self._cursor += 1
            if self._cursor < len(self.columns):
                self._show_held(self.columns[self._cursor])

    def _show_held(self, column: Column) -> None:
        if self.quiet:
            return
        self._out("\n" + column.header + "\n")
        if self.reasoning and column.reasoning:
            sys.stderr.write("".join(column.reasoning))
            sys.stderr.flush()
            self._thinking = True
        if column.texts:
            self._stop_thinking()
            self._out("".join(column.texts))

    def _finish(self, column: Column) -> None:
        self._stop_thinking()
        if self.quiet:
            if column.failure is not None:
                say(f"{column.label}: {self.failure_lines(column.failure)[0]}")
            return
        text = "".join(column.texts)
        if text and not text.endswith("\n"):
            self._out("\n")
        if column.failure is not None:
            say(*self.failure_lines(column.failure))
            return
        if column.reply_id is None:
            return
        reply = self.store.get_message(column.reply_id)
        say(f"{column.label}: {figures_of(self.store, reply).line()}")
        if reply.status in _NOT_FINISHED:
            say(f"{column.label}: {_NOT_FINISHED[reply.status]}")

    def interrupted(self) -> None:
        """Ctrl+C: end the line being printed (the partial replies are in the store)."""
        self._stop_thinking()
        if self.quiet or self._cursor >= len(self.columns):
            return
        text = "".join(self.columns[self._cursor].texts)
        if text and not text.endswith("\n"):
            self._out("\n")

    def _stop_thinking(self) -> None:
        if self._thinking:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._thinking = False

    @staticmethod
    def _out(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()  # before anything on stderr, so a terminal shows them in order


async def _run_all(
    engine: ConversationEngine, turns: Sequence[Turn], printer: ColumnPrinter
) -> None:
    async def one(index: int, turn: Turn) -> None:
        # Closed here, while the engine's clients are open (see ask._stream).
        async with contextlib.aclosing(turn.run()) as events:
            async for event in events:
                printer.event(index, event)

    try:
        await asyncio.gather(*(one(i, t) for i, t in enumerate(turns)))
    finally:
        await engine.aclose()


def _stored_reply(store: Store, column: Column) -> Message | None:
    return None if column.reply_id is None else store.get_message(column.reply_id)


def _current(replies: Sequence[Message | None]) -> int | None:
    """Which reply to continue from: the first model's, or, if it failed, the first that
    answered."""
    answered = [i for i, r in enumerate(replies) if r is not None and r.status in _ANSWERED]
    if answered and answered[0] != 0:
        return answered[0]
    return next((i for i, r in enumerate(replies) if r is not None), None)


def _continue_with(store: Store, conversation: Conversation, reply: Message, model: str) -> None:
    """Make `reply` the current branch and its model the conversation's, so that a plain
    `kibitz ask -c ID` goes on with the model whose answer it continues."""
    store.select_branch(reply.id)
    params = store.get_conversation(conversation.id).params
    store.set_params(conversation.id, params.merged(RequestParams(model=model)))


def _reply_json(
    store: Store, column: Column, reply: Message | None, lines: Callable[[KibitzError], list[str]]
) -> dict[str, Any]:
    error, hint = None, None
    if column.failure is not None:
        error, hint = lines(column.failure)
    elif reply is not None and reply.error:
        error = reply.error
    return {
        "id": None if reply is None else reply.id,
        "model": (reply.model if reply is not None else None) or column.model,
        "provider": (reply.provider if reply is not None else None) or column.provider,
        "status": str(reply.status) if reply is not None else str(MessageStatus.INTERRUPTED),
        "text": "" if reply is None else reply.content,
        "reasoning": (reply.reasoning or None) if reply is not None else None,
        "error": error,
        "hint": hint,
        "figures": None if reply is None else figures_of(store, reply).to_json(),
    }


def run_columns(
    engine: ConversationEngine,
    conversation: Conversation,
    turns: Sequence[Turn],
    columns: list[Column],
    *,
    as_json: bool,
    show_reasoning: bool,
    failure_lines: Callable[[KibitzError], list[str]],
) -> int:
    """Run `turns` at once (column i shows turn i); the exit code: 0 when at least one model
    answered, 130 after Ctrl+C, else 1."""
    store = engine.store
    printer = ColumnPrinter(columns, store, failure_lines, quiet=as_json, reasoning=show_reasoning)
    printer.begin()
    stopped = False
    try:
        asyncio.run(_run_all(engine, turns, printer))
    except KeyboardInterrupt:
        stopped = True
        printer.interrupted()
    replies = [_stored_reply(store, c) for c in columns]
    chosen = _current(replies)
    current = None if chosen is None else replies[chosen]
    if current is not None and chosen is not None:
        if len(columns) > 1:
            _continue_with(store, conversation, current, columns[chosen].model)
        else:
            store.select_branch(current.id)
    if as_json:
        document = {
            "conversation_id": conversation.id,
            "question_id": turns[0].parent_id,
            "current_reply_id": None if current is None else current.id,
            "replies": [
                _reply_json(store, c, r, failure_lines)
                for c, r in zip(columns, replies, strict=True)
            ],
        }
        json.dump(document, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        sys.stdout.flush()
    saved = f"Your question is saved in conversation {conversation.id}."
    if stopped:
        say("Stopped; the partial replies were kept.", saved)
        return EXIT_INTERRUPTED
    if any(r is not None and r.status in _ANSWERED for r in replies):
        return EXIT_OK
    if len(columns) > 1:
        say("No model answered.", saved)
    return EXIT_FAILED
