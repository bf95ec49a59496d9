"""Which price applies to a reply: the provider profile's own, its kind's, the shipped default.

Stored prices are keyed by (provider, model), where `provider` is either a profile's name (a
price for that server only, e.g. a custom OpenAI-compatible one) or a provider kind ("openai",
"openrouter": every profile of that kind). A profile's own row wins over its kind's, which wins
over the shipped default. Local servers cost nothing unless a row says otherwise. A model with
none of these has no price: its cost is unknown, never guessed from a similar name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from kibitz.core.pricing.defaults import DEFAULT_PRICES
from kibitz.core.pricing.prices import FREE, Price

PriceKey = tuple[str, str]  # (provider name or kind, model id)

LOCAL_KINDS: frozenset[str] = frozenset({"ollama", "lmstudio", "llamacpp", "vllm"})

# OpenAI answers with a dated snapshot ("gpt-4o-mini-2024-07-18") of the model asked for; the
# snapshot is billed as its model.
_DATE_SUFFIX = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def without_date(model: str) -> str:
    return _DATE_SUFFIX.sub("", model)


def _names(model: str) -> Iterator[str]:
    yield model
    plain = without_date(model)
    if plain != model:
        yield plain


def price_for(
    stored: Mapping[PriceKey, Price],
    provider: str,
    kind: str,
    model: str,
    defaults: Mapping[PriceKey, Price] = DEFAULT_PRICES,
) -> Price | None:
    """The price of `model` on the profile `provider` of kind `kind`; None when unknown."""
    for scope in (provider, kind):
        for name in _names(model):
            found = stored.get((scope, name))
            if found is not None:
                return found
    if kind in LOCAL_KINDS:
        return FREE
    for name in _names(model):
        found = defaults.get((kind, name))
        if found is not None:
            return found
    return None
