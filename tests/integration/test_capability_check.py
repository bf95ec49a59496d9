""" "Check model" against the fake server: each parameter tried once, what is refused learned,
what is taken forgotten, a try that fails otherwise teaching nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from kibitz.core.capabilities import CapabilityBook
from kibitz.core.capability_check import TRIES, check_model
from kibitz.core.chat import ChatClient, ProviderConfig
from tests.support.fake_openai import FakeOpenAI, Fault, Reply
from tests.support.fake_openai.script import HttpFault


def _refused(param: str) -> HttpFault:
    body = {
        "error": {
            "message": f"Unsupported parameter: '{param}' is not supported with this model.",
            "type": "invalid_request_error",
            "param": param,
            "code": "unsupported_parameter",
        }
    }
    return Fault.http(400, body)


@pytest.mark.asyncio
async def test_check_learns_refusals_forgets_lifted_ones_and_says_what_it_could_not_tell(
    fake_openai: FakeOpenAI, provider: ProviderConfig, tmp_path: Path
) -> None:
    book = CapabilityBook(tmp_path / "capabilities.json")
    book.learn("fake", "o3-mini", "seed", "refused last year")  # lifted since
    fake_openai.no_tool_models = {"o3-mini": "openai"}
    steps = {"temperature": _refused("temperature"), "top_p": Fault.server_error(500)}
    fake_openai.script(
        Reply(text="OK"),
        *[steps.get(param, Reply(text="OK")) for param, _ in TRIES if param != "tools"],
    )
    tried: list[str] = []

    async with ChatClient(provider) as client:
        result = await check_model(client, "o3-mini", book, tried.append)

    assert tried == [param for param, _ in TRIES]
    assert result.refused == ("temperature", "tools")
    assert [param for param, _why in result.unknown] == ["top_p"]  # a 500 tells nothing
    assert "seed" in result.accepted
    assert set(book.refusals("fake", "o3-mini")) == {"temperature", "tools"}
    assert len(fake_openai.chat_requests) == 1 + len(TRIES)
    assert all(r.body["stream"] is False for r in fake_openai.chat_requests)
    assert result.summary().startswith("o3-mini refuses temperature, tools (left out from now on)")


@pytest.mark.asyncio
async def test_a_model_that_refuses_the_plain_request_is_not_checked(
    fake_openai: FakeOpenAI, provider: ProviderConfig, tmp_path: Path
) -> None:
    missing = {"error": {"message": "no such model", "code": "model_not_found"}}
    fake_openai.script(Fault.http(404, missing))
    book = CapabilityBook(tmp_path / "capabilities.json")
    async with ChatClient(provider) as client:
        result = await check_model(client, "missing", book)
    assert result.failure is not None
    assert len(fake_openai.chat_requests) == 1
    assert book.learned() == []
    assert result.summary().startswith("missing could not be checked: ")
