"""A generated store of many priced replies for the cost ledger's tests and benchmark, with the
totals worked out by hand (Python Decimal over the generated rows, apart from the store's SQL).

Rows go in with executemany through the store's own connection in one transaction: 100,000
replies (and their questions) take about two seconds, where the store API's one commit per
reply would take minutes.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from kibitz.core.pricing import DEFAULT_PRICES, Price, reply_cost
from kibitz.core.store import Store
from kibitz.core.types import Usage

DAY_S = 86400.0
# (provider profile, model, price or None: unknown)
_PRICED = (
    ("work", "gpt-4o-mini", DEFAULT_PRICES[("openai", "gpt-4o-mini")]),
    ("work", "gpt-4.1", DEFAULT_PRICES[("openai", "gpt-4.1")]),
    ("work", "o4-mini", DEFAULT_PRICES[("openai", "o4-mini")]),
    ("router", "anthropic/claude-sonnet-4", Price(3_000_000, 15_000_000, 300_000)),
    ("laptop", "llama3.2", Price(0, 0, 0, 0, 0, source="local server")),
    ("custom", "mystery-model", None),
)


@dataclass
class HandRow:
    """One group's totals, summed here in plain Python; the cost in Decimal dollars."""

    replies: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    unpriced: int = 0


@dataclass
class HandTotals:
    """grouping ("day", "provider", "model", "conversation") -> group key -> HandRow."""

    by: dict[str, dict[str, HandRow]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, keys: dict[str, str], usage: Usage, cost: Decimal | None) -> None:
        for grouping, key in keys.items():
            row = self.by[grouping].setdefault(key, HandRow())
            row.replies += 1
            row.prompt_tokens += usage.prompt_tokens
            row.cached_tokens += usage.cached_tokens
            row.completion_tokens += usage.completion_tokens
            row.reasoning_tokens += usage.reasoning_tokens
            if cost is None:
                row.unpriced += 1
            else:
                row.cost_usd += cost


def hand_cost(usage: Usage, price: Price) -> Decimal:
    """The reply's cost in USD worked out in dollars, rounded to the nano-dollar once."""
    per_m = Decimal(1_000_000) * Decimal(1_000_000)  # micro-dollars per million tokens
    cached_price = price.input if price.cached_input is None else price.cached_input
    reasoning_price = price.output if price.reasoning is None else price.reasoning
    usd = (
        Decimal(usage.prompt_tokens - usage.cached_tokens) * price.input
        + Decimal(usage.cached_tokens) * cached_price
        + Decimal(usage.completion_tokens - usage.reasoning_tokens) * price.output
        + Decimal(usage.reasoning_tokens) * reasoning_price
    ) / per_m
    return usd.quantize(Decimal("0.000000001"), ROUND_HALF_UP)


def fill_ledger(
    store: Store,
    replies: int,
    *,
    end: float | None = None,
    days: int = 365,
    conversations: int = 1000,
    seed: int = 19,
) -> HandTotals:
    """Add `replies` priced replies (each under a question) spread over the `days` before
    `end`, in `conversations` conversations; return the totals worked out by hand."""
    rng = random.Random(seed)
    end = time.time() if end is None else end
    start = end - days * DAY_S
    totals = HandTotals()
    conn = store._db.conn  # the store's own connection: one transaction for everything
    with store._db.write():
        conn.executemany(
            "INSERT INTO conversations (id, uid, title, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(c, f"ledger-{c}", f"Chat {c}", start, end) for c in range(1, conversations + 1)],
        )
        rows = []
        for n in range(replies):
            conversation = 1 + n % conversations
            at = start + rng.random() * (end - start)
            provider, model, price = rng.choice(_PRICED)
            prompt = rng.randint(10, 60_000)
            cached = rng.choice((0, 0, rng.randint(0, prompt)))
            completion = rng.randint(1, 8_000)
            reasoning = rng.randint(0, completion) if model == "o4-mini" else 0
            usage = Usage(prompt, completion, prompt + completion, reasoning, cached)
            cost = None if price is None else reply_cost(usage, price)
            rows.append((conversation, at, model, provider, usage, cost, price))
            day = time.strftime("%Y-%m-%d", time.localtime(at))
            keys = {
                "day": day,
                "provider": provider,
                "model": model,
                "conversation": str(conversation),
            }
            totals.add(keys, usage, None if price is None else hand_cost(usage, price))
        conn.executemany(
            "INSERT INTO messages (id, conversation_id, role, status, created_at, updated_at)"
            " VALUES (?, ?, 'user', 'complete', ?, ?)",
            [(2 * i + 1, r[0], r[1], r[1]) for i, r in enumerate(rows)],
        )
        conn.executemany(
            "INSERT INTO messages (id, conversation_id, parent_id, role, status, created_at,"
            " updated_at, model, provider, prompt_tokens, completion_tokens, total_tokens,"
            " reasoning_tokens, cached_tokens, cost_nanos, price)"
            " VALUES (?, ?, ?, 'assistant', 'complete', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    2 * i + 2,
                    conversation,
                    2 * i + 1,
                    at,
                    at,
                    model,
                    provider,
                    u.prompt_tokens,
                    u.completion_tokens,
                    u.total_tokens,
                    u.reasoning_tokens,
                    u.cached_tokens,
                    cost,
                    None if price is None else price.to_json(),
                )
                for i, (conversation, at, model, provider, u, cost, price) in enumerate(rows)
            ],
        )
    return totals
