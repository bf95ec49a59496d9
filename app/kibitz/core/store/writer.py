"""Crash-safe saving of a streamed reply (small timed commits) and repair of ones cut by a crash."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from types import TracebackType

from kibitz.core.errors import KibitzError
from kibitz.core.store.base import StoreBase
from kibitz.core.store.database import Database
from kibitz.core.store.error_text import error_record
from kibitz.core.store.messages import MessagesMixin
from kibitz.core.store.rows import (
    INSERT_PART,
    USAGE_ASSIGNMENTS,
    insert_parts,
    part_values,
    usage_values,
)
from kibitz.core.types import (
    ChangeKind,
    Changes,
    ConversationId,
    MessageId,
    MessageStatus,
    Part,
    PartType,
    ReasoningPart,
    Role,
    TextPart,
    Usage,
)

log = logging.getLogger(__name__)

# The design allows ~250 ms of unsaved text after a kill -9: commit every 200 ms, leaving
# the rest for the commit itself. A commit of an appended chunk costs well under 1 ms (WAL).
FLUSH_INTERVAL_S = 0.2
CRASHED_ERROR = "app_exit: Kibitz stopped before the reply was complete"


def interrupt_stale_replies(db: Database, now: float) -> int:
    """Mark replies left `streaming` by a crash as `interrupted`, keeping their text."""
    with db.write() as conn:
        cur = conn.execute(
            "UPDATE messages SET status = ?, error = coalesce(error, ?), updated_at = ?"
            " WHERE status = ?",
            (str(MessageStatus.INTERRUPTED), CRASHED_ERROR, now, str(MessageStatus.STREAMING)),
        )
        count = cur.rowcount
    if count:
        log.warning("marked %d reply(ies) cut off by an earlier crash as interrupted", count)
    return count


class _OpenPart:
    """The part a writer is streaming into: text or reasoning, its row once it has one."""

    def __init__(self, kind: PartType, seq: int, row_id: int | None = None) -> None:
        self.kind = kind
        self.seq = seq
        self.row_id = row_id
        self.buffer: list[str] = []
        self.started: float | None = None  # monotonic time of its first reasoning


class ReplyWriter:
    """Saves one streamed assistant reply, part by part; made by Store.begin_reply().

    Text and reasoning are buffered and committed once `interval` seconds have passed since
    the last commit, so a crash loses at most about that much of either. A change of kind
    (reasoning, then the answer) starts a new part; whole parts (tool calls and results) are
    committed at once. No transaction stays open between commits. If the stream may stall,
    call flush_if_due() (or flush()) from a timer so buffered text does not wait for the
    next delta.
    """

    def __init__(
        self,
        db: Database,
        conversation_id: ConversationId,
        message_id: MessageId,
        *,
        emit: Callable[[Changes], Changes],
        wall_clock: Callable[[], float],
        clock: Callable[[], float],
        interval: float,
        next_seq: int = 0,
        open_text: tuple[int, int] | None = None,
    ) -> None:
        self.conversation_id = conversation_id
        self.message_id = message_id
        self._db = db
        self._emit = emit
        self._wall_clock = wall_clock
        self._clock = clock
        self._interval = interval
        self._next_seq = next_seq
        # Continuing a reply: its last text part (seq, row id) takes the new text.
        self._open: _OpenPart | None = (
            _OpenPart(PartType.TEXT, open_text[0], open_text[1]) if open_text else None
        )
        # Where this stream's answer began (after the last whole part), and when its first
        # text came: what answer_was_reasoning() turns into reasoning, and how long that took.
        self._answer_from = open_text[0] if open_text else next_seq
        self._answer_started: float | None = None
        self._last_commit = clock()
        self._finished = False
        self.commits = 0  # how many times text was committed (for tests and benchmarks)

    @property
    def finished(self) -> bool:
        return self._finished

    @property
    def has_pending(self) -> bool:
        """True when some appended text is not yet committed."""
        return self._open is not None and bool(self._open.buffer)

    def append(self, text: str) -> None:
        """More of the answer."""
        self._append(PartType.TEXT, text)

    def append_reasoning(self, text: str) -> None:
        """More of the model's reasoning."""
        self._append(PartType.REASONING, text)

    def _append(self, kind: PartType, text: str) -> None:
        if self._finished:
            raise RuntimeError("append() after finish()")
        if not text:
            return
        if kind is PartType.TEXT and self._answer_started is None:
            self._answer_started = self._clock()
        if self._open is None or self._open.kind is not kind:
            self._switch_to(kind)
        assert self._open is not None
        self._open.buffer.append(text)
        self.flush_if_due()

    def _switch_to(self, kind: PartType) -> None:
        """Close the open part (committing it) and open a new one of `kind`."""
        with self._db.write() as conn:
            self._commit_open(conn, closing=True)
        self._open = _OpenPart(kind, self._next_seq)
        self._next_seq += 1
        if kind is PartType.REASONING:
            self._open.started = self._clock()

    def add_part(self, part: Part) -> None:
        """Store a whole part (a tool call, a tool result) after what streamed so far."""
        if self._finished:
            raise RuntimeError("add_part() after finish()")
        with self._db.write() as conn:
            self._commit_open(conn, closing=True)
            self._open = None
            insert_parts(conn, self.message_id, (part,), self._next_seq)
            self._next_seq += 1
            self._answer_from, self._answer_started = self._next_seq, None
            self._touch_conversation(conn, self._wall_clock())
            self._emit(Changes(ChangeKind.MESSAGES, (self.conversation_id,), (self.message_id,)))

    def answer_was_reasoning(self) -> Changes:
        """The answer so far was the model's reasoning (it wrote `</think>` without `<think>`:
        the chat template opened the tag). Its text since the last whole part becomes one
        reasoning part, timed from its first text; new text starts a new answer part.

        One transaction, pending text included: a crash leaves the reply as it was before or
        as it is after, never the text twice or neither."""
        if self._finished:
            raise RuntimeError("answer_was_reasoning() after finish()")
        with self._db.write() as conn:
            self._commit_open(conn, closing=True)
            self._open = None
            rows = conn.execute(
                "SELECT id, text FROM message_parts WHERE message_id = ? AND type = ?"
                " AND seq >= ? ORDER BY seq",
                (self.message_id, str(PartType.TEXT), self._answer_from),
            ).fetchall()
            text = "".join(row[1] or "" for row in rows).strip()
            keep = rows[:1] if text else []
            if keep:
                seconds = None
                if self._answer_started is not None:
                    seconds = round(self._clock() - self._answer_started, 3)
                kind, _, data, _ = part_values(ReasoningPart(text, seconds))
                conn.execute(
                    "UPDATE message_parts SET type = ?, text = ?, data = ? WHERE id = ?",
                    (kind, text, data, keep[0][0]),
                )
            conn.executemany(
                "DELETE FROM message_parts WHERE id = ?", [(row[0],) for row in rows[len(keep) :]]
            )
            self._touch_conversation(conn, self._wall_clock())
            changes = self._emit(
                Changes(ChangeKind.MESSAGES, (self.conversation_id,), (self.message_id,))
            )
        self._answer_from, self._answer_started = self._next_seq, None
        return changes

    def flush_if_due(self) -> bool:
        """Commit buffered text if the interval has passed; True if it committed."""
        if self.has_pending and self._clock() - self._last_commit >= self._interval:
            self.flush()
            return True
        return False

    def flush(self) -> None:
        """Commit the buffered text now."""
        if not self.has_pending:
            return
        started = self._clock()
        with self._db.write() as conn:
            self._commit_open(conn)
            self._touch_conversation(conn, self._wall_clock())
        self._last_commit = started
        self.commits += 1

    def _commit_open(self, conn: sqlite3.Connection, *, closing: bool = False) -> None:
        """Write the open part's buffered text (creating its row on the first write)."""
        part = self._open
        if part is None:
            return
        chunk = "".join(part.buffer)
        seconds = None
        if closing and part.started is not None:
            seconds = round(self._clock() - part.started, 3)
        if part.row_id is None and (chunk or seconds is not None):
            stored: Part = (
                ReasoningPart(chunk, seconds)
                if part.kind is PartType.REASONING
                else TextPart(chunk)
            )
            cur = conn.execute(INSERT_PART, (self.message_id, part.seq, *part_values(stored)))
            part.row_id = int(cur.lastrowid or 0)
        elif part.row_id is not None:
            if chunk:
                conn.execute(
                    "UPDATE message_parts SET text = text || ? WHERE id = ?", (chunk, part.row_id)
                )
            if seconds is not None:
                data = part_values(ReasoningPart("", seconds))[2]
                conn.execute("UPDATE message_parts SET data = ? WHERE id = ?", (data, part.row_id))
        # Cleared only once written: after a failed commit the text is still here to retry
        # (the enclosing write() rolls back and raises).
        part.buffer.clear()
        if closing:
            part.started = None

    def set_model(self, model: str) -> None:
        """Record the model the server says answered (it may differ from the one asked for)."""
        with self._db.write() as conn:
            conn.execute("UPDATE messages SET model = ? WHERE id = ?", (model, self.message_id))

    def finish(
        self,
        status: MessageStatus,
        finish_reason: str | None = None,
        usage: Usage | None = None,
        error: KibitzError | str | None = None,
    ) -> Changes:
        """Commit the rest of the text with the final status, in one transaction."""
        if self._finished:
            raise RuntimeError("finish() called twice")
        summary = error_record(error) if isinstance(error, KibitzError) else error
        now = self._wall_clock()
        with self._db.write() as conn:
            self._commit_open(conn, closing=True)
            conn.execute(
                f"UPDATE messages SET status = ?, finish_reason = ?, {USAGE_ASSIGNMENTS},"
                " error = ?, updated_at = ? WHERE id = ?",
                (str(status), finish_reason, *usage_values(usage), summary, now, self.message_id),
            )
            self._touch_conversation(conn, now)
            changes = self._emit(
                Changes(ChangeKind.MESSAGES, (self.conversation_id,), (self.message_id,))
            )
        self._finished = True
        return changes

    def _touch_conversation(self, conn: sqlite3.Connection, now: float) -> None:
        conn.execute(
            "UPDATE conversations SET updated_at = max(updated_at, ?) WHERE id = ?",
            (now, self.conversation_id),
        )

    def __enter__(self) -> ReplyWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Leaving unfinished (an exception, a cancel) keeps the text, marked interrupted."""
        if self._finished:
            return
        error = exc if isinstance(exc, KibitzError) else None
        self.finish(MessageStatus.INTERRUPTED, error=error)


class ReplyMixin(MessagesMixin, StoreBase):
    """Store.begin_reply(): where a streamed reply starts."""

    def begin_reply(
        self,
        conversation_id: ConversationId,
        parent_id: MessageId | None,
        *,
        model: str | None = None,
        choice_index: int = 0,
        make_current: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float = FLUSH_INTERVAL_S,
    ) -> ReplyWriter:
        """Commit an empty `streaming` assistant row under `parent_id` and return its writer.

        make_current defaults to choice_index == 0: of n alternatives the first is shown.
        """
        if make_current is None:
            make_current = choice_index == 0
        message = self.add_message(
            conversation_id,
            parent_id,
            Role.ASSISTANT,
            "",
            status=MessageStatus.STREAMING,
            model=model,
            choice_index=choice_index,
            make_current=make_current,
        )
        return ReplyWriter(
            self._db,
            conversation_id,
            message.id,
            emit=self._emit,
            wall_clock=self._now,
            clock=clock,
            interval=interval,
        )

    def resume_reply(
        self,
        message_id: MessageId,
        *,
        clock: Callable[[], float] = time.monotonic,
        interval: float = FLUSH_INTERVAL_S,
    ) -> ReplyWriter:
        """A writer that continues a stored reply (one cut off at the length limit): it is
        `streaming` again, and new text joins its last text part, so the answer stays one."""
        message = self.get_message(message_id)
        if message.role is not Role.ASSISTANT:
            raise ValueError(f"message {message_id} is not a reply")
        with self._db.write() as conn:
            next_seq, last_seq, last_type, last_id = conn.execute(
                "SELECT coalesce(max(seq), -1) + 1,"
                " (SELECT seq FROM message_parts WHERE message_id = ?1 ORDER BY seq DESC LIMIT 1),"
                " (SELECT type FROM message_parts WHERE message_id = ?1 ORDER BY seq DESC LIMIT 1),"
                " (SELECT id FROM message_parts WHERE message_id = ?1 ORDER BY seq DESC LIMIT 1)"
                " FROM message_parts WHERE message_id = ?1",
                (message_id,),
            ).fetchone()
            conn.execute(
                "UPDATE messages SET status = ?, error = NULL, updated_at = ? WHERE id = ?",
                (str(MessageStatus.STREAMING), self._now(), message_id),
            )
            self._emit(Changes(ChangeKind.MESSAGES, (message.conversation_id,), (message_id,)))
        open_text = (last_seq, last_id) if last_type == str(PartType.TEXT) else None
        return ReplyWriter(
            self._db,
            message.conversation_id,
            message_id,
            emit=self._emit,
            wall_clock=self._now,
            clock=clock,
            interval=interval,
            next_seq=next_seq,
            open_text=open_text,
        )
