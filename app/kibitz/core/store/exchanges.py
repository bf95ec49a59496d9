"""The requests behind each reply, as sent and answered, for the request inspector.

A reply may take several requests: retries, and one per round of a tool loop. Each is kept as
the JSON of a `kibitz.core.chat.exchange.Exchange` with what the client did before sending
(`RequestNote`: messages left out to fit the window), in the order sent, and goes with its
reply (ON DELETE CASCADE). Records hold no secret: exchange.py masks them before they get here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kibitz.core.store.base import StoreBase
from kibitz.core.types import ConversationId, MessageId

if TYPE_CHECKING:
    from kibitz.core.chat.exchange import RequestNote

# A body over this is kept shortened: a request with a 20 MB PDF would double the database.
# The inspector says so; "Copy as cURL" needs the whole body and is then not offered.
MAX_KEPT_BODY_CHARS = 2_000_000


@dataclass(frozen=True, slots=True)
class StoredExchange:
    """One stored request record: `record` is Exchange.to_json() plus `note` (RequestNote)."""

    message_id: MessageId
    seq: int  # 0, 1, ... in the order sent
    record: dict[str, Any]
    body_cut: bool  # the body was too big to keep whole


class ExchangesMixin(StoreBase):
    """Store.add_exchange() and Store.exchanges()."""

    def add_exchange(self, message_id: MessageId, record: dict[str, Any]) -> int:
        """Keep one request record for reply `message_id`; its position among the reply's."""
        body = str(record.get("body", ""))
        cut = len(body) > MAX_KEPT_BODY_CHARS
        if cut:
            record = {**record, "body": body[:MAX_KEPT_BODY_CHARS]}
        data = json.dumps(record, ensure_ascii=False)
        note = record.get("note")
        dropped = int(note.get("dropped_messages", 0)) if isinstance(note, dict) else 0
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT COALESCE(MAX(seq) + 1, 0) FROM exchanges WHERE message_id = ?",
                (message_id,),
            ).fetchone()
            seq = int(row[0])
            conn.execute(
                "INSERT INTO exchanges (message_id, seq, created_at, body_cut, dropped, record)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (message_id, seq, self._now(), int(cut), dropped, data),
            )
        return seq

    def exchanges(self, message_id: MessageId) -> list[StoredExchange]:
        """The requests of reply `message_id`, in the order they were sent."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT seq, body_cut, record FROM exchanges WHERE message_id = ? ORDER BY seq",
                (message_id,),
            ).fetchall()
        return [
            StoredExchange(message_id, int(seq), json.loads(record), bool(cut))
            for seq, cut, record in rows
        ]

    def trimming_notes(self, conversation_id: ConversationId) -> dict[MessageId, RequestNote]:
        """For each reply of the conversation whose last request left messages out to fit the
        window, what it left out (one query for the whole conversation: the chat view shows
        these as a line under each such reply)."""
        from kibitz.core.chat.exchange import RequestNote  # not on the start-up path

        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT e.message_id, json_extract(e.record, '$.note') FROM exchanges AS e"
                " JOIN messages AS m ON m.id = e.message_id"
                " WHERE m.conversation_id = ? AND e.dropped > 0"
                " AND e.seq = (SELECT MAX(seq) FROM exchanges WHERE message_id = e.message_id)",
                (conversation_id,),
            ).fetchall()
        return {MessageId(mid): RequestNote(**json.loads(note)) for mid, note in rows}
