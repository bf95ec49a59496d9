"""Prices from OpenRouter's model list (GET /models), which carries each model's pricing.

Each model has `pricing: {"prompt": "0.0000025", "completion": "0.00001", "image": ...,
"internal_reasoning": ..., "input_cache_read": ...}`: USD per token (per image for `image`)
as decimal strings. A negative price ("-1": routers whose price depends on the model picked)
or a missing prompt/completion price means unknown, so the model gets no row.
"""

from __future__ import annotations

from collections.abc import Iterable
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
    from kibitz.core.chat.fields import field_of  # the chat package loads when first needed

    data = field_of(document, "data") if not isinstance(document, list) else None
    return listed_prices(data if isinstance(data, list) else (), as_of)


def listed_prices(entries: Iterable[Any], as_of: str) -> dict[str, Price]:
    """The same for the list's entries as they came (dicts, or the SDK's model objects with
    `pricing` among their extra fields)."""
    from kibitz.core.chat.fields import field_of

    found: dict[str, Price] = {}
    for entry in entries:
        model = field_of(entry, "id")
        pricing = field_of(entry, "pricing")
        if not isinstance(model, str) or pricing is None:
            continue
        prompt = _per_million(field_of(pricing, "prompt"))
        completion = _per_million(field_of(pricing, "completion"))
        if prompt is None or completion is None:
            continue
        reasoning = _per_million(field_of(pricing, "internal_reasoning"))
        image = _per_image(field_of(pricing, "image"))
        found[model] = Price(
            input=prompt,
            output=completion,
            cached_input=_per_million(field_of(pricing, "input_cache_read")),
            # "0" means reasoning is billed as completion tokens, not free.
            reasoning=reasoning or None,
            image=image or None,
            source=SOURCE,
            as_of=as_of,
        )
    return found
