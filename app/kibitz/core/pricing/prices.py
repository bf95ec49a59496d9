"""A model's price in exact integers, and how prices and costs read and print.

Prices are micro-dollars (1e-6 USD) per million tokens, so "$0.075 / 1M" is 75,000 and a
price with up to twelve decimals per token is exact; costs are nano-dollars (1e-9 USD).
Everything is USD: every provider the app prices bills in it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

MICROS_PER_USD = 1_000_000
NANOS_PER_USD = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Price:
    """What one model costs. `input` and `output` are per million tokens; `cached_input`
    None bills cached prompt tokens as input, `reasoning` None bills reasoning as output
    (as OpenAI does); `image` is per image sent (None: images are not billed apart).
    `source` says where the price comes from and `as_of` (YYYY-MM-DD) when it was read."""

    input: int
    output: int
    cached_input: int | None = None
    reasoning: int | None = None
    image: int | None = None
    source: str = ""
    as_of: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Price | None:
        """The price a reply stored (None for damaged text: the cost stays, unexplained)."""
        try:
            data: Any = json.loads(text)
            return cls(**data)
        except (ValueError, TypeError):
            return None


FREE = Price(0, 0, 0, 0, 0, source="local server")


def usd_per_million(text: str | Decimal | int | float) -> int:
    """Micro-dollars per million tokens for "$ per million tokens" as written ("0.15").

    ValueError for anything that is not a non-negative number."""
    try:
        value = Decimal(str(text).strip().lstrip("$"))
    except InvalidOperation as e:
        raise ValueError(f"not a price: {text!r}") from e
    if not value.is_finite() or value < 0:
        raise ValueError(f"not a price: {text!r}")
    return int((value * MICROS_PER_USD).to_integral_value(ROUND_HALF_UP))


def format_per_million(micros: int | None) -> str:
    """ "0.075" for 75,000 micro-dollars (no trailing zeros; "" for None)."""
    if micros is None:
        return ""
    text = f"{Decimal(micros) / MICROS_PER_USD:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_usd(nanos: int | None, *, unknown: str = "—") -> str:
    """A cost for people: "$1.23", "$0.0042" (small costs keep two significant digits)."""
    if nanos is None:
        return unknown
    usd = Decimal(nanos) / NANOS_PER_USD
    if nanos == 0:
        return "$0.00"
    if abs(usd) >= Decimal("0.01"):
        return f"${usd.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"
    digits = max(2, -usd.adjusted() + 1)  # two significant digits
    return f"${usd.quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP):f}"
