"""The prices shipped with the app: OpenAI's list prices of its common chat models, dated.

Standard tier, USD per million tokens, as OpenAI's API pricing page listed them on the date
below. Reasoning tokens are billed as output (so `reasoning` is left to default to `output`).
A price the user edits in Settings, or one OpenRouter lists, is stored and wins over these;
a model not listed here has no price ("cost unknown"), never a guessed one.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from kibitz.core.pricing.prices import Price, usd_per_million

DEFAULTS_AS_OF = "2026-03-01"
DEFAULTS_SOURCE = "OpenAI API pricing (Standard tier)"

# model: (input, cached input or None, output), dollars per million tokens as published.
_OPENAI: dict[str, tuple[str, str | None, str]] = {
    "gpt-5.1": ("1.25", "0.125", "10.00"),
    "gpt-5": ("1.25", "0.125", "10.00"),
    "gpt-5-mini": ("0.25", "0.025", "2.00"),
    "gpt-5-nano": ("0.05", "0.005", "0.40"),
    "gpt-4.1": ("2.00", "0.50", "8.00"),
    "gpt-4.1-mini": ("0.40", "0.10", "1.60"),
    "gpt-4.1-nano": ("0.10", "0.025", "0.40"),
    "gpt-4o": ("2.50", "1.25", "10.00"),
    "gpt-4o-mini": ("0.15", "0.075", "0.60"),
    "o4-mini": ("1.10", "0.275", "4.40"),
    "o3": ("2.00", "0.50", "8.00"),
    "o3-mini": ("1.10", "0.55", "4.40"),
    "o1": ("15.00", "7.50", "60.00"),
    "o1-mini": ("1.10", "0.55", "4.40"),
    "gpt-4-turbo": ("10.00", None, "30.00"),
    "gpt-4": ("30.00", None, "60.00"),
    "gpt-3.5-turbo": ("0.50", None, "1.50"),
}


def _price(inp: str, cached: str | None, out: str) -> Price:
    return Price(
        input=usd_per_million(inp),
        output=usd_per_million(out),
        cached_input=None if cached is None else usd_per_million(cached),
        source=DEFAULTS_SOURCE,
        as_of=DEFAULTS_AS_OF,
    )


# (provider kind, model id) -> price.
DEFAULT_PRICES: Mapping[tuple[str, str], Price] = MappingProxyType(
    {("openai", model): _price(*row) for model, row in _OPENAI.items()}
)
