"""The cost ledger in the store: the prices table, and usage and cost summed over a period
by day, provider, model or conversation.

Every reply with usage counts, deleted ones included (the money was spent): the ledger only
forgets a reply when it leaves the database for good. Sums are integers (tokens, nano-dollars),
so totals are exact whatever the number of replies.
"""

from __future__ import annotations

import enum
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kibitz.core.store.base import StoreBase, chunked, placeholders
from kibitz.core.types import ConversationId

if TYPE_CHECKING:
    from kibitz.core.pricing import Price, PriceKey

UNKNOWN_LABEL = "(unknown)"


class LedgerGrouping(enum.StrEnum):
    DAY = "day"
    PROVIDER = "provider"
    MODEL = "model"
    CONVERSATION = "conversation"


# The group key of each grouping, over messages_ledger's columns only (covering: the sums
# never touch the table). Days are the local calendar's.
_KEYS = {
    LedgerGrouping.DAY: "date(m.created_at, 'unixepoch', 'localtime')",
    LedgerGrouping.PROVIDER: "coalesce(m.provider, '')",
    LedgerGrouping.MODEL: "coalesce(m.model, '')",
    LedgerGrouping.CONVERSATION: "m.conversation_id",
}
_PRICE_COLUMNS = ("input", "output", "cached_input", "reasoning", "image", "source", "as_of")


@dataclass(frozen=True, slots=True)
class LedgerTotal:
    """The usage and cost of one group (a day, a provider, a model, a conversation).

    `cost_nanos` sums the replies whose price was known; `unpriced` counts the others."""

    key: str
    label: str
    replies: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    cost_nanos: int = 0
    unpriced: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def sum_totals(rows: Sequence[LedgerTotal], label: str = "Total") -> LedgerTotal:
    """One total over `rows` (the footer of a table, a conversation's total)."""
    return LedgerTotal(
        key="",
        label=label,
        replies=sum(r.replies for r in rows),
        prompt_tokens=sum(r.prompt_tokens for r in rows),
        cached_tokens=sum(r.cached_tokens for r in rows),
        completion_tokens=sum(r.completion_tokens for r in rows),
        reasoning_tokens=sum(r.reasoning_tokens for r in rows),
        cost_nanos=sum(r.cost_nanos for r in rows),
        unpriced=sum(r.unpriced for r in rows),
    )


_SUMS = (
    "count(*), sum(m.prompt_tokens), sum(coalesce(m.cached_tokens, 0)),"
    " sum(m.completion_tokens), sum(coalesce(m.reasoning_tokens, 0)),"
    " coalesce(sum(m.cost_nanos), 0), count(*) - count(m.cost_nanos)"
)


class LedgerMixin(StoreBase):
    """Prices and the ledger's sums."""

    # -- prices -----------------------------------------------------------------------------------

    def stored_prices(self) -> dict[PriceKey, Price]:
        """Every stored price (edits and listed prices) by (provider or kind, model)."""
        from kibitz.core.pricing import Price  # loads when first needed, not at start-up

        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT provider, model, {', '.join(_PRICE_COLUMNS)} FROM prices"
            ).fetchall()
        return {(r[0], r[1]): Price(*r[2:]) for r in rows}

    def set_price(self, provider: str, model: str, price: Price) -> None:
        """Store (or replace) the price of `model` for a profile name or a provider kind."""
        with self._db.write() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO prices (provider, model, {', '.join(_PRICE_COLUMNS)})"
                f" VALUES (?, ?, {placeholders(len(_PRICE_COLUMNS))})",
                (provider, model, *(getattr(price, c) for c in _PRICE_COLUMNS)),
            )

    def remove_price(self, provider: str, model: str) -> None:
        """Forget a stored price (a shipped default, if any, applies again)."""
        with self._db.write() as conn:
            conn.execute("DELETE FROM prices WHERE provider = ? AND model = ?", (provider, model))

    def replace_listed_prices(self, provider: str, source: str, prices: Mapping[str, Price]) -> int:
        """Replace the prices of `provider` that came from `source` (a provider's model list)
        with `prices`; prices from elsewhere (the user's edits) are kept. Returns how many
        were stored."""
        with self._db.write() as conn:
            conn.execute("DELETE FROM prices WHERE provider = ? AND source = ?", (provider, source))
            kept = {
                r[0]
                for r in conn.execute("SELECT model FROM prices WHERE provider = ?", (provider,))
            }
            rows = [
                (provider, model, *(getattr(p, c) for c in _PRICE_COLUMNS))
                for model, p in prices.items()
                if model not in kept
            ]
            conn.executemany(
                f"INSERT INTO prices (provider, model, {', '.join(_PRICE_COLUMNS)})"
                f" VALUES (?, ?, {placeholders(len(_PRICE_COLUMNS))})",
                rows,
            )
        return len(rows)

    # -- the ledger -------------------------------------------------------------------------------

    def usage_totals(
        self,
        by: LedgerGrouping,
        since: float | None = None,
        until: float | None = None,
        *,
        conversation_id: ConversationId | None = None,
    ) -> list[LedgerTotal]:
        """Usage and cost of the replies created in [since, until), one row per group: days
        oldest first, the others by cost, then tokens, largest first."""
        key = _KEYS[LedgerGrouping(by)]
        where = ["m.total_tokens IS NOT NULL"]
        args: list[object] = []
        if since is not None:
            where.append("m.created_at >= ?")
            args.append(since)
        if until is not None:
            where.append("m.created_at < ?")
            args.append(until)
        if conversation_id is not None:
            where.append("m.conversation_id = ?")
            args.append(conversation_id)
        sql = f"SELECT {key} AS k, {_SUMS} FROM messages m WHERE {' AND '.join(where)} GROUP BY k"
        with self._db.read() as conn:
            rows = conn.execute(sql, args).fetchall()
            titles = (
                self._conversation_labels(conn, [r[0] for r in rows])
                if by is LedgerGrouping.CONVERSATION
                else {}
            )
        totals = [
            LedgerTotal(str(r[0]), titles.get(r[0]) or str(r[0]) or UNKNOWN_LABEL, *r[1:])
            for r in rows
        ]
        if by is LedgerGrouping.DAY:
            return sorted(totals, key=lambda t: t.key)
        return sorted(totals, key=lambda t: (-t.cost_nanos, -t.tokens, t.label))

    def conversation_cost(self, conversation_id: ConversationId) -> LedgerTotal:
        """What a conversation's replies cost so far (every branch, deleted replies too)."""
        rows = self.usage_totals(LedgerGrouping.CONVERSATION, conversation_id=conversation_id)
        return sum_totals(rows, label=str(conversation_id))

    def reply_price(self, message_id: int) -> Price | None:
        """The price a reply's cost was computed with (None: none stored)."""
        from kibitz.core.pricing import Price

        with self._db.read() as conn:
            row = conn.execute("SELECT price FROM messages WHERE id = ?", (message_id,)).fetchone()
        return Price.from_json(row[0]) if row and row[0] else None

    def _conversation_labels(self, conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, str]:
        labels: dict[int, str] = {}
        for chunk in chunked(list(ids)):
            for cid, title, deleted in conn.execute(
                "SELECT id, title, deleted_at FROM conversations"
                f" WHERE id IN ({placeholders(len(chunk))})",
                tuple(chunk),
            ):
                name = title or "Untitled"
                labels[cid] = f"{name} (in Trash)" if deleted is not None else name
        return labels
