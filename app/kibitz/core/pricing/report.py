"""A usage report as CSV or JSON: the same columns for `kibitz usage` and the Usage page.

Costs are written as exact dollars (nine decimals, from the integer nano-dollars) so a
spreadsheet's sum of the column is the total; replies whose price is unknown are counted
apart, never written as free.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kibitz.core.pricing.prices import NANOS_PER_USD

if TYPE_CHECKING:
    from kibitz.core.store import LedgerTotal

COLUMNS = (
    "replies",
    "prompt_tokens",
    "cached_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "cost_usd",
    "unpriced_replies",
)


def dollars(nanos: int) -> str:
    """ "0.000435000" for 435,000 nano-dollars: exact, with a fixed number of decimals."""
    return f"{Decimal(nanos) / NANOS_PER_USD:.9f}"


def _values(row: LedgerTotal) -> tuple[int | str, ...]:
    return (
        row.replies,
        row.prompt_tokens,
        row.cached_tokens,
        row.completion_tokens,
        row.reasoning_tokens,
        dollars(row.cost_nanos),
        row.unpriced,
    )


def _heads(by: str) -> tuple[str, ...]:
    return ("conversation_id", "title") if by == "conversation" else (by,)


def _keys(by: str, row: LedgerTotal) -> tuple[str, ...]:
    return (row.key, row.label) if by == "conversation" else (row.label,)


def to_csv(by: str, rows: Sequence[LedgerTotal]) -> str:
    """One line per group under a header; `by` names the first column(s)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow((*_heads(by), *COLUMNS))
    for row in rows:
        writer.writerow((*_keys(by, row), *_values(row)))
    return out.getvalue()


def to_records(by: str, rows: Sequence[LedgerTotal]) -> list[dict[str, Any]]:
    """The same as dictionaries, for JSON (conversation ids as numbers)."""
    records = []
    for row in rows:
        keys: dict[str, Any] = (
            {"conversation_id": int(row.key), "title": row.label}
            if by == "conversation"
            else {by: row.label}
        )
        records.append({**keys, **dict(zip(COLUMNS, _values(row), strict=True))})
    return records
