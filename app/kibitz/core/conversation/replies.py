"""The reply rows of one request (one per choice): created as their text begins, written as
the stream arrives, ended whatever happens; priced when their usage arrives."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING

from kibitz.core.errors import CancelledByUserError, KibitzError
from kibitz.core.store import ReplyWriter, Store
from kibitz.core.types import ConversationId, Message, MessageId, MessageStatus, Usage

if TYPE_CHECKING:
    from kibitz.core.pricing import Charge


def add_usage(before: Usage | None, more: Usage) -> Usage:
    """What a reply cost over several requests (a continued reply)."""
    if before is None:
        return more
    fields = dataclasses.fields(Usage)
    return Usage(*(getattr(before, f.name) + getattr(more, f.name) for f in fields))


class ReplyRows:
    """Writers by choice index. `new_rows()` hands out the rows created since it was last
    called, so the engine can announce each one before its first text."""

    def __init__(
        self,
        store: Store,
        conversation_id: ConversationId,
        parent_id: MessageId,
        model: str,
        *,
        resumed: ReplyWriter | None = None,
        provider: str = "",
        provider_kind: str = "",
    ) -> None:
        self._store = store
        self._provider = provider  # the profile that answers, and its kind: what prices it
        self._provider_kind = provider_kind
        self._conversation_id = conversation_id
        self._parent_id = parent_id
        self._model = model
        self.writers: dict[int, ReplyWriter] = {}
        self._announced: set[int] = set()
        self.delivered: set[int] = set()  # choices that received text or reasoning
        self.usage: Usage | None = None
        self._usage_before: Usage | None = None
        self._cost_before: int | None = 0  # nano-dollars of earlier requests (None: unknown)
        if resumed is not None:
            self.writers[0] = resumed
            earlier = store.get_message(resumed.message_id)
            self._usage_before = earlier.usage
            self._cost_before = earlier.cost_nanos if earlier.usage is not None else 0
        self._cost: int | None = self._cost_before

    def writer(self, index: int) -> ReplyWriter:
        if index not in self.writers:
            self.writers[index] = self._store.begin_reply(
                self._conversation_id, self._parent_id, model=self._model, choice_index=index
            )
        return self.writers[index]

    def new_rows(self) -> Iterator[Message]:
        for index, writer in self.writers.items():
            if index not in self._announced:
                self._announced.add(index)
                yield self._store.get_message(writer.message_id)

    def message_id(self, index: int) -> MessageId:
        return self.writer(index).message_id

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
        """Usage arrives after the finish_reasons and covers the whole request: kept on choice 0
        (added to what earlier requests of a continued reply cost)."""
        self.usage = add_usage(self._usage_before, usage)
        writer = self.writers.get(0)
        if writer is not None:
            self._store.set_usage(writer.message_id, self.usage, self._charge(usage))

    def _charge(self, usage: Usage) -> Charge:
        """This request's cost at the price in force now, added to the earlier requests' (each
        request is priced once, when its usage arrives: a later price edit changes nothing)."""
        # Loaded with the first usage, not with the engine: prices are not needed at start-up.
        from kibitz.core.pricing import Charge, charge_for, price_for

        price = price_for(
            self._store.stored_prices(), self._provider, self._provider_kind, self._model
        )
        charge = charge_for(self._provider, usage, price)
        if charge.cost_nanos is None or self._cost_before is None:
            self._cost = None
        else:
            self._cost = self._cost_before + charge.cost_nanos
        return Charge(self._provider, self._cost, price)

    def carry_usage(self) -> None:
        """A request of a tool round ended: what it cost counts under the next one's usage."""
        if self.usage is not None:
            self._usage_before = self.usage
            self._cost_before = self._cost

    def finish(self, index: int, status: MessageStatus, reason: str | None) -> None:
        usage = self._usage_before if index == 0 else None
        self.writer(index).finish(status, finish_reason=reason, usage=usage)

    def end_all(self, error: KibitzError) -> None:
        """Finish every open reply: interrupted if it holds text or the user stopped it,
        failed if the server or network ended it before any text."""
        stopped = isinstance(error, CancelledByUserError)
        for index, writer in self.writers.items():
            if writer.finished:
                continue
            has_text = index in self.delivered or self._has_stored_text(writer)
            status = MessageStatus.INTERRUPTED if has_text or stopped else MessageStatus.ERROR
            writer.finish(status, usage=self.usage or self._usage_before, error=error)

    def end_open(self) -> None:
        """A stream that ended without a finish_reason for some choice was cut short."""
        for writer in self.writers.values():
            if not writer.finished:
                writer.finish(MessageStatus.INTERRUPTED, usage=self.usage or self._usage_before)

    def _has_stored_text(self, writer: ReplyWriter) -> bool:
        # A continued reply keeps its earlier text even when the continuation fails at once.
        return writer.has_pending or bool(self._store.get_message(writer.message_id).parts)

    def final(self) -> tuple[Message, ...]:
        return tuple(self._store.get_message(w.message_id) for w in self.writers.values())
