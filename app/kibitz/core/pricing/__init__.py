"""The cost ledger's prices: what a model costs per million tokens, where that price comes from
(shipped defaults, the user's edits, OpenRouter's model list; local servers are free), and what
a reply cost, in integer nano-dollars.

Public API: `Price`, `Charge`, `reply_cost`, `charge_for`, `price_for`, `DEFAULT_PRICES`,
`DEFAULTS_AS_OF`, `parse_openrouter_prices`, `listed_prices`, `usd_per_million`, `format_usd`,
`period_start`; kibitz.core.pricing.report writes a usage report as CSV or JSON.
"""

from kibitz.core.pricing.cost import Charge, charge_for, reply_cost
from kibitz.core.pricing.defaults import DEFAULT_PRICES, DEFAULTS_AS_OF, DEFAULTS_SOURCE
from kibitz.core.pricing.lookup import LOCAL_KINDS, PriceKey, price_for, without_date
from kibitz.core.pricing.openrouter import listed_prices, parse_openrouter_prices
from kibitz.core.pricing.period import day_after, period_start
from kibitz.core.pricing.prices import (
    FREE,
    Price,
    format_per_million,
    format_usd,
    usd_per_million,
)

__all__ = [
    "DEFAULTS_AS_OF",
    "DEFAULTS_SOURCE",
    "DEFAULT_PRICES",
    "FREE",
    "LOCAL_KINDS",
    "Charge",
    "Price",
    "PriceKey",
    "charge_for",
    "day_after",
    "format_per_million",
    "format_usd",
    "listed_prices",
    "parse_openrouter_prices",
    "period_start",
    "price_for",
    "reply_cost",
    "usd_per_million",
    "without_date",
]
