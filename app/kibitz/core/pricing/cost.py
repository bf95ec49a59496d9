"""What a reply cost: its usage times the price in force, in integer nano-dollars."""

from __future__ import annotations

from dataclasses import dataclass

from kibitz.core.pricing.prices import Price
from kibitz.core.types import Usage

# Tokens times micro-dollars per million tokens gives pico-dollars (1e-12 USD).
_PICOS_PER_NANO = 1000


@dataclass(frozen=True, slots=True)
class Charge:
    """What is stored with a reply once its usage arrives: who answered, what it cost (None:
    the price is not known), and the price used, so a later price never rewrites it."""

    provider: str
    cost_nanos: int | None
    price: Price | None


def reply_cost(usage: Usage, price: Price, images: int = 0) -> int:
    """Nano-dollars for `usage` at `price`, rounded half up once, at the end.

    Cached prompt tokens are part of prompt_tokens and reasoning tokens part of
    completion_tokens (OpenAI's usage), so each is billed once, at its own price."""
    cached = min(max(usage.cached_tokens, 0), max(usage.prompt_tokens, 0))
    reasoning = min(max(usage.reasoning_tokens, 0), max(usage.completion_tokens, 0))
    cached_price = price.input if price.cached_input is None else price.cached_input
    reasoning_price = price.output if price.reasoning is None else price.reasoning
    picos = (
        (max(usage.prompt_tokens, 0) - cached) * price.input
        + cached * cached_price
        + (max(usage.completion_tokens, 0) - reasoning) * price.output
        + reasoning * reasoning_price
        + max(images, 0) * (price.image or 0) * 1_000_000
    )
    return (picos + _PICOS_PER_NANO // 2) // _PICOS_PER_NANO


def charge_for(provider: str, usage: Usage, price: Price | None, images: int = 0) -> Charge:
    """The Charge of a reply: its cost at `price`, or unknown without one."""
    cost = None if price is None else reply_cost(usage, price, images)
    return Charge(provider, cost, price)
