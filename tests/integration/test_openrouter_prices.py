"""OpenRouter's model list carries its prices: refreshing the list of an OpenRouter profile
hands them over from the same request (and they price its replies); other servers' lists do
not. Over the fake server's GET /models."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kibitz.core import server_models
from kibitz.core.chat import ProviderConfig
from kibitz.core.pricing import Price, price_for
from kibitz.core.pricing.openrouter import SOURCE
from kibitz.core.server_models import ModelCache
from kibitz.core.store import Store
from tests.integration.chat_support import TEST_KEY
from tests.support.fake_openai import FakeOpenAI

PRICING = {
    "openai/gpt-4o": {"prompt": "0.0000025", "completion": "0.00001", "image": "0.003613"},
    "openrouter/auto": {"prompt": "-1", "completion": "-1"},
}


def provider_for(fake: FakeOpenAI, kind: str) -> ProviderConfig:
    return ProviderConfig(name="router", base_url=fake.url, kind=kind, api_key=TEST_KEY)


@pytest.mark.asyncio
async def test_an_openrouter_list_brings_its_prices(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.models = ["openai/gpt-4o", "openrouter/auto", "no/price"]
    fake_openai.model_pricing = PRICING
    heard: list[dict[str, Price]] = []
    fresh = await server_models.refresh_models(
        ModelCache(tmp_path), provider_for(fake_openai, "openrouter"), on_prices=heard.append
    )
    assert fresh.models == ("no/price", "openai/gpt-4o", "openrouter/auto")
    assert len(fake_openai.requests) == 1  # the prices came with the list
    (prices,) = heard
    assert set(prices) == {"openai/gpt-4o"}
    gpt = prices["openai/gpt-4o"]
    assert (gpt.input, gpt.output, gpt.image, gpt.source) == (2_500_000, 10_000_000, 3613, SOURCE)

    with Store.open(tmp_path / "kibitz.sqlite3") as store:
        store.replace_listed_prices("openrouter", SOURCE, prices)
        found = price_for(store.stored_prices(), "router", "openrouter", "openai/gpt-4o")
        assert found == gpt


@pytest.mark.asyncio
async def test_other_servers_lists_bring_no_prices(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.models = ["openai/gpt-4o"]
    fake_openai.model_pricing = PRICING
    heard: list[dict[str, Price]] = []
    provider = dataclasses.replace(provider_for(fake_openai, "custom"))
    await server_models.refresh_models(ModelCache(tmp_path), provider, on_prices=heard.append)
    assert heard == []
