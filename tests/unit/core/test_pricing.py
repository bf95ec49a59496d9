"""Prices and costs: exact integer arithmetic checked against sums worked out by hand, which
price applies to a reply, and OpenRouter's model list read into prices."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kibitz.core.pricing import (
    DEFAULT_PRICES,
    DEFAULTS_AS_OF,
    FREE,
    Price,
    charge_for,
    format_per_million,
    format_usd,
    parse_openrouter_prices,
    price_for,
    reply_cost,
    usd_per_million,
)
from kibitz.core.types import Usage

MINI = DEFAULT_PRICES[("openai", "gpt-4o-mini")]


def test_prices_read_as_exact_micro_dollars_per_million() -> None:
    assert usd_per_million("0.15") == 150_000
    assert usd_per_million("$2.50") == 2_500_000
    assert usd_per_million(" 0.0375 ") == 37_500
    assert usd_per_million("0") == 0
    for bad in ("", "abc", "-1", "nan", "inf"):
        with pytest.raises(ValueError, match="not a price"):
            usd_per_million(bad)
    assert format_per_million(75_000) == "0.075"
    assert format_per_million(10_000_000) == "10"
    assert format_per_million(None) == ""


def test_a_cost_bills_cached_and_reasoning_tokens_once_each_at_their_own_price() -> None:
    # 1,000 prompt tokens of which 200 cached, 500 completion of which 100 reasoning:
    # 800 x $0.15/M + 200 x $0.075/M + 400 x $0.60/M + 100 x $0.60/M = $0.000435.
    usage = Usage(1000, 500, 1500, reasoning_tokens=100, cached_tokens=200)
    assert reply_cost(usage, MINI) == 435_000
    own_reasoning = Price(150_000, 600_000, cached_input=None, reasoning=1_000_000)
    # cached billed as input (none given), reasoning at its own price:
    # 1000 x 0.15 + 400 x 0.60 + 100 x 1.00 = 150 + 240 + 100 = 490 (micro-dollars)
    assert reply_cost(usage, own_reasoning) == 490_000


def test_a_cost_rounds_half_up_once_to_the_nano_dollar() -> None:
    half = Price(input=500, output=0)  # $0.0005 per million tokens: half a nano-dollar each
    assert reply_cost(Usage(prompt_tokens=1), half) == 1  # 500 picos -> 1 nano (half up)
    assert reply_cost(Usage(prompt_tokens=1), Price(input=499, output=0)) == 0
    # Images priced apart: 2 images at $0.003613 each.
    with_images = Price(0, 0, image=3613)
    assert reply_cost(Usage(), with_images, images=2) == 7_226_000


def test_sums_of_costs_match_dollars_worked_out_by_hand() -> None:
    usages = [Usage(p, c, p + c, c // 3, p // 4) for p, c in ((17, 3), (12_345, 678), (9, 9999))]
    nanos = sum(reply_cost(u, MINI) for u in usages)
    by_hand = sum(
        (
            Decimal(u.prompt_tokens - u.cached_tokens) * Decimal("0.15")
            + Decimal(u.cached_tokens) * Decimal("0.075")
            + Decimal(u.completion_tokens) * Decimal("0.60")
        )
        / 1_000_000
        for u in usages
    )
    assert abs(Decimal(nanos) / 10**9 - by_hand) <= Decimal("0.0000000015")  # a nano each


def test_which_price_applies() -> None:
    own = Price(1, 2, source="edited")
    kind = Price(3, 4, source="edited")
    stored = {("work", "gpt-4o-mini"): own, ("openai", "gpt-4.1"): kind}
    # The profile's own row, then its kind's, then the shipped default.
    assert price_for(stored, "work", "openai", "gpt-4o-mini") == own
    assert price_for(stored, "home", "openai", "gpt-4o-mini") == MINI
    assert price_for(stored, "work", "openai", "gpt-4.1") == kind
    # A dated snapshot is billed as its model; nothing else is guessed from a name.
    assert price_for({}, "p", "openai", "gpt-4o-mini-2024-07-18") == MINI
    assert price_for({}, "p", "openai", "gpt-4o-mini-high") is None
    assert price_for({}, "p", "openai", "my-finetune") is None
    # Defaults are OpenAI's: the same model name elsewhere has no price.
    assert price_for({}, "p", "custom", "gpt-4o-mini") is None
    assert price_for({}, "p", "openrouter", "gpt-4o-mini") is None
    # Local servers are free, unless the user says otherwise.
    assert price_for({}, "laptop", "ollama", "llama3.2") == FREE
    assert price_for({("laptop", "llama3.2"): own}, "laptop", "ollama", "llama3.2") == own


def test_the_defaults_are_dated_and_named() -> None:
    assert DEFAULTS_AS_OF.count("-") == 2
    assert all(p.as_of == DEFAULTS_AS_OF and "OpenAI" in p.source for p in DEFAULT_PRICES.values())
    assert {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3", "gpt-5"} <= {m for _, m in DEFAULT_PRICES}


def test_a_charge_keeps_its_price_and_unknown_stays_unknown() -> None:
    usage = Usage(100, 10, 110)
    known = charge_for("work", usage, MINI)
    assert known.cost_nanos == reply_cost(usage, MINI)
    assert known.price == MINI
    unknown = charge_for("custom", usage, None)
    assert unknown.cost_nanos is None
    assert unknown.price is None
    assert Price.from_json(MINI.to_json()) == MINI
    assert Price.from_json("{not json") is None


def test_costs_print_for_people() -> None:
    assert format_usd(None) == "—"
    assert format_usd(0) == "$0.00"
    assert format_usd(1_234_567_890) == "$1.23"
    assert format_usd(1_234_567_890_000) == "$1,234.57"
    assert format_usd(4_200_000) == "$0.0042"
    assert format_usd(435_000) == "$0.00044"


def test_openrouter_model_list_prices() -> None:
    document = {
        "data": [
            {
                "id": "openai/gpt-4o",
                "pricing": {
                    "prompt": "0.0000025",
                    "completion": "0.00001",
                    "image": "0.003613",
                    "request": "0",
                    "internal_reasoning": "0",
                    "input_cache_read": "0.00000125",
                },
            },
            {
                "id": "deepseek/deepseek-r1",
                "pricing": {
                    "prompt": "0.00000055",
                    "completion": "0.00000219",
                    "internal_reasoning": "0.000003",
                },
            },
            {"id": "openrouter/auto", "pricing": {"prompt": "-1", "completion": "-1"}},
            {"id": "no-pricing"},
            {"id": "half", "pricing": {"prompt": "0.000001"}},
            {"id": "junk", "pricing": {"prompt": "abc", "completion": "0"}},
            "not an object",
        ]
    }
    prices = parse_openrouter_prices(document, as_of="2026-12-07")
    assert set(prices) == {"openai/gpt-4o", "deepseek/deepseek-r1"}
    gpt = prices["openai/gpt-4o"]
    assert (gpt.input, gpt.output, gpt.cached_input) == (2_500_000, 10_000_000, 1_250_000)
    assert gpt.reasoning is None  # "0": billed as completion, not free
    assert gpt.image == 3613
    assert gpt.as_of == "2026-12-07"
    assert "OpenRouter" in gpt.source
    r1 = prices["deepseek/deepseek-r1"]
    assert (r1.input, r1.output, r1.reasoning) == (550_000, 2_190_000, 3_000_000)
    assert parse_openrouter_prices({"data": "nope"}, "x") == {}
    assert parse_openrouter_prices([], "x") == {}
