"""What a stored reply took and cost, as `kibitz ask --json` gives it and as stderr says it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kibitz.core.chat.exchange import Exchange
from kibitz.core.pricing import format_usd
from kibitz.core.pricing.prices import NANOS_PER_USD
from kibitz.core.store import Store
from kibitz.core.types import Message


@dataclass(frozen=True, slots=True)
class ReplyFigures:
    """Times of the reply's last request (the one that answered, after any retries), its
    tokens and cost; None where not known (no usage reported, no price for the model)."""

    first_token_s: float | None
    duration_s: float | None
    tokens_per_second: float | None
    prompt_tokens: int | None
    completion_tokens: int | None
    cost_nanos: int | None

    def to_json(self) -> dict[str, Any]:
        cost = None if self.cost_nanos is None else float(Decimal(self.cost_nanos) / NANOS_PER_USD)
        return {
            "first_token_s": _rounded(self.first_token_s),
            "duration_s": _rounded(self.duration_s),
            "tokens_per_second": _rounded(self.tokens_per_second, 1),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": cost,
        }

    def line(self) -> str:
        """ "first token 0.31 s · 52.0 tokens/s · 12 in, 30 out · $0.00012" (what is known)."""
        said = []
        if self.first_token_s is not None:
            said.append(f"first token {self.first_token_s:.2f} s")
        if self.tokens_per_second is not None:
            said.append(f"{self.tokens_per_second:.1f} tokens/s")
        if self.completion_tokens is not None:
            said.append(f"{self.prompt_tokens or 0:,} in, {self.completion_tokens:,} out")
        if self.cost_nanos is not None:
            said.append(format_usd(self.cost_nanos))
        return " · ".join(said) if said else "no figures reported"


def _rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def figures_of(store: Store, reply: Message) -> ReplyFigures:
    records = store.exchanges(reply.id)
    last = Exchange.from_json(records[-1].record) if records else None
    usage = reply.usage
    return ReplyFigures(
        first_token_s=None if last is None else last.first_token_s,
        duration_s=None if last is None else last.duration_s,
        tokens_per_second=None if last is None else last.tokens_per_second,
        prompt_tokens=None if usage is None else usage.prompt_tokens,
        completion_tokens=None if usage is None else usage.completion_tokens,
        cost_nanos=reply.cost_nanos,
    )
