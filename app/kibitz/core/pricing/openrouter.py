"""Prices from OpenRouter's model list (GET /models), which carries each model's pricing.

Each model has `pricing: {"prompt": "0.0000025", "completion": "0.00001", "image": ...,
"internal_reasoning": ..., "input_cache_read": ...}`: USD per token (per image for `image`)
as decimal strings. A negative price ("-1": routers whose price depends on the model picked)
or a missing prompt/completion price means unknown, so the model gets no row.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from kibitz.core.pricing.prices import Price, usd_per_million

SOURCE = "OpenRouter model list"
_PER_MILLION = Decimal(1_000_000)


def _dollars(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def _per_million(value: Any) -> int | None:
    """Micro-dollars per million tokens from a price per token; None when unknown."""
    per_token = _dollars(value)
    return None if per_token is None else usd_per_million(per_token * _PER_MILLION)


def _per_image(value: Any) -> int | None:
    """Micro-dollars per image."""
    per_image = _dollars(value)
    return None if per_image is None else usd_per_million(per_image)


def parse_openrouter_prices(document: Any, as_of: str) -> dict[str, Price]:
    """model id -> Price for every model of a /models answer whose price is known."""
    data = document.get("data") if isinstance(document, Mapping) else None
    found: dict[str, Price] = {}
    for entry in data if isinstance(data, list) else ():
        if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
            continue
        pricing = entry.get("pricing")
        if not isinstance(pricing, Mapping):
            continue
        prompt = _per_million(pricing.get("prompt"))
        completion = _per_million(pricing.get("completion"))
        if prompt is None or completion is None:
            continue
        reasoning = _per_million(pricing.get("internal_reasoning"))
        image = _per_image(pricing.get("image"))
        found[entry["id"]] = Price(
            input=prompt,
            output=completion,
            cached_input=_per_million(pricing.get("input_cache_read")),
            # "0" means reasoning is billed as completion tokens, not free.
            reasoning=reasoning or None,
            image=image or None,
            source=SOURCE,
            as_of=as_of,
        )
    return found
