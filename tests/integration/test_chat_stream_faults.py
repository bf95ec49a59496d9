"""Every server fault ends the stream with the right error, a readable message and no key."""

from __future__ import annotations

import socket
import time

import pytest

from kibitz.core.chat import ChatClient, Delta, Failed, ProviderConfig, RetryPolicy, build_request
from kibitz.core.errors import (
    Action,
    ApiConnectionError,
    ApiTimeoutError,
    AuthError,
    BadRequestError,
    ContextTooLongError,
    KibitzError,
    MalformedResponseError,
    ModelNotFoundError,
    NoApiKeyError,
    QuotaExceededError,
    ServerError,
    StreamInterruptedError,
    StreamStalledError,
)
from kibitz.core.types import RequestParams
from tests.integration.chat_support import TEST_KEY, Runner
from tests.support.fake_openai import FakeOpenAI, Fault, HttpFault, Reply

NO_RETRY = RetryPolicy(max_retries=0)


def assert_presentable(error: KibitzError, *, key: str = TEST_KEY) -> None:
    """What the user sees: no key, no JSON blob, no traceback, a hint."""
    shown = " ".join(error.lines())
    assert key not in shown
    assert "{" not in error.detail
    assert "Traceback" not in shown
    assert error.hint


@pytest.mark.parametrize(
    ("fault", "expected", "detail"),
    [
        (Fault.auth(), AuthError, "Incorrect API key provided: sk-"),
        (Fault.auth("llama.cpp"), AuthError, "Invalid API Key"),
        (Fault.model_not_found(), ModelNotFoundError, "does not exist"),
        (Fault.context_length(), ContextTooLongError, "maximum context length is 128000"),
        (Fault.context_length("llama.cpp"), ContextTooLongError, "exceeds the available context"),
        (Fault.context_length("vllm"), ContextTooLongError, "maximum context length is 4096"),
        (Fault.quota(), QuotaExceededError, "exceeded your current quota"),
        (Fault.detail(400, "Invalid stop sequence"), BadRequestError, "Invalid stop sequence"),
        (Fault.text(418, "I'm a teapot"), KibitzError, "I'm a teapot"),
        (Fault.http(403, {"error": {"message": "Country not supported"}}), AuthError, "Country"),
    ],
    ids=lambda v: v.status if isinstance(v, HttpFault) else None,
)
@pytest.mark.asyncio
async def test_http_faults_map_onto_the_error_tree(
    fake_openai: FakeOpenAI, run_chat: Runner, fault: HttpFault, expected: type, detail: str
) -> None:
    fake_openai.script(fault)
    result = await run_chat()

    assert isinstance(result.failure, expected)
    assert detail in result.failure.detail
    assert result.retries == []  # none of these is worth asking again
    assert len(fake_openai.chat_requests) == 1
    assert_presentable(result.failure)


@pytest.mark.asyncio
async def test_a_short_key_echoed_by_the_server_is_redacted(fake_openai: FakeOpenAI) -> None:
    # OpenAI echoes short keys in full ("Incorrect API key provided: DEADBEEF" in the recording).
    fake_openai.script(Fault.auth())
    provider = ProviderConfig("fake", base_url=fake_openai.url, api_key="DEADBEEF")
    request = build_request([("user", "hi")], RequestParams(model="m"))
    async with ChatClient(provider) as client:
        events = [e async for e in client.stream(request)]
    assert isinstance(events[-1], Failed)
    error = events[-1].error
    assert isinstance(error, AuthError)
    assert error.action is Action.SET_KEY
    assert_presentable(error, key="DEADBEEF")
    assert "[redacted]" in error.detail


@pytest.mark.asyncio
async def test_unsupported_parameter_names_it_in_the_hint(
    fake_openai: FakeOpenAI, run_chat: Runner
) -> None:
    fake_openai.script(Fault.unsupported_param("temperature"))
    result = await run_chat(params=RequestParams(model="o3-mini", temperature=0.7))

    error = result.failure
    assert isinstance(error, BadRequestError)
    assert error.param == "temperature"
    assert error.headline == "This model does not accept temperature"
    assert error.hint.startswith("Clear Temperature in this conversation's settings")
    assert error.detail == "Unsupported parameter: 'temperature' is not supported with this model."


@pytest.mark.asyncio
async def test_fastapi_validation_body_names_the_parameter(
    fake_openai: FakeOpenAI, run_chat: Runner
) -> None:
    body = [{"loc": ["body", "top_p"], "msg": "Input should be less than or equal to 1"}]
    fake_openai.script(Fault.detail(422, body))
    result = await run_chat()

    assert isinstance(result.failure, BadRequestError)
    assert result.failure.param == "top_p"
    assert result.failure.detail == "top_p: Input should be less than or equal to 1"


@pytest.mark.asyncio
async def test_html_error_page_becomes_its_title(fake_openai: FakeOpenAI, run_chat: Runner) -> None:
    fake_openai.script(*[Fault.html(502)] * 4)
    result = await run_chat()

    assert isinstance(result.failure, ServerError)
    assert result.failure.detail == "502 Bad Gateway"
    assert len(result.retries) == 3


@pytest.mark.asyncio
async def test_wrong_base_url_path(fake_openai: FakeOpenAI, run_chat: Runner) -> None:
    # Forgetting /v1: the server answers 404 "Invalid URL", which is no model problem.
    provider = ProviderConfig("fake", base_url=fake_openai.base, api_key=TEST_KEY)
    result = await run_chat(provider_config=provider)

    assert isinstance(result.failure, BadRequestError)
    assert result.failure.headline == "Nothing answers at this address"
    assert "/v1" in result.failure.hint


@pytest.mark.asyncio
async def test_connection_refused(run_chat: Runner) -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = ProviderConfig("dead", base_url=f"http://127.0.0.1:{port}/v1", api_key=TEST_KEY)
    result = await run_chat(provider_config=provider)

    error = result.failure
    assert isinstance(error, ApiConnectionError)
    assert error.detail == f"http://127.0.0.1:{port}/v1: connection refused"
    assert [r.attempt for r in result.retries] == [1, 2, 3]


@pytest.mark.asyncio
async def test_unresolvable_host(run_chat: Runner) -> None:
    provider = ProviderConfig("dns", base_url="http://no-such-host.invalid/v1", api_key=TEST_KEY)
    result = await run_chat(provider_config=provider, retry=NO_RETRY)

    assert isinstance(result.failure, ApiConnectionError)
    assert "could not be resolved" in result.failure.detail


@pytest.mark.asyncio
async def test_no_api_key_at_all(
    fake_openai: FakeOpenAI, run_chat: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    provider = ProviderConfig("fake", base_url=fake_openai.url, api_key=None)
    result = await run_chat(provider_config=provider)

    assert isinstance(result.failure, NoApiKeyError)
    assert fake_openai.chat_requests == []


@pytest.mark.asyncio
async def test_key_from_the_environment(
    fake_openai: FakeOpenAI, run_chat: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-000000000000")
    provider = ProviderConfig("env", base_url=fake_openai.url)
    result = await run_chat(provider_config=provider)

    assert result.failure is None
    assert fake_openai.chat_requests[-1].api_key == "sk-from-env-000000000000"


@pytest.mark.asyncio
async def test_headers_that_never_come_time_out(fake_openai: FakeOpenAI, run_chat: Runner) -> None:
    # The server would answer after a minute; the client gives up after its 0.3 s read timeout
    # (the bound is for a hang only: load may slow anything down, not make it wait that long).
    fake_openai.script(Reply(header_delay=60.0))
    provider = ProviderConfig("slow", base_url=fake_openai.url, api_key=TEST_KEY, read_timeout=0.3)
    started = time.monotonic()
    result = await run_chat(provider_config=provider, retry=NO_RETRY)

    assert isinstance(result.failure, ApiTimeoutError)
    assert 0.3 <= time.monotonic() - started < 30
    assert_presentable(result.failure)


# -- faults in the middle of a stream ----------------------------------------------------------


@pytest.mark.parametrize("reset", [False, True], ids=["fin", "rst"])
@pytest.mark.asyncio
async def test_drop_after_text_keeps_the_text_and_does_not_retry(
    fake_openai: FakeOpenAI, run_chat: Runner, reset: bool
) -> None:
    fake_openai.script(Fault.drop(after=10, reset=reset, text="Hello there, this is a long reply"))
    result = await run_chat()

    error = result.failure
    assert isinstance(error, StreamInterruptedError)
    assert result.text() == "Hello there,"  # everything before the drop, nothing twice
    assert result.retries == []
    assert len(fake_openai.chat_requests) == 1
    assert "partial reply was kept" in error.hint
    expected = "connection reset" if reset else "closed the connection before the reply"
    assert expected in error.detail


@pytest.mark.asyncio
async def test_malformed_chunk_after_text(fake_openai: FakeOpenAI, run_chat: Runner) -> None:
    fake_openai.script(Fault.malformed(after=5, text="Hello there, friend"))
    result = await run_chat()

    assert isinstance(result.failure, MalformedResponseError)
    assert result.text() == "Hello"
    assert result.retries == []
    assert_presentable(result.failure)


@pytest.mark.asyncio
async def test_malformed_chunk_before_text_is_not_retried(
    fake_openai: FakeOpenAI, run_chat: Runner
) -> None:
    fake_openai.script(Fault.malformed(after=0))
    result = await run_chat()

    assert isinstance(result.failure, MalformedResponseError)
    assert result.text() == ""
    assert len(fake_openai.chat_requests) == 1


@pytest.mark.asyncio
async def test_stall_after_text_is_detected(fake_openai: FakeOpenAI, run_chat: Runner) -> None:
    # Silent for a minute after "Hello": the client gives up after 0.3 s of it, long before.
    fake_openai.script(Fault.stall(after=5, seconds=60, text="Hello there, friend"))
    started = time.monotonic()
    result = await run_chat(stall_timeout=0.3)
    elapsed = time.monotonic() - started

    assert isinstance(result.failure, StreamStalledError)
    assert result.failure.detail == "Nothing arrived for 0.3 seconds."
    assert result.text() == "Hello"
    assert 0.3 <= elapsed < 30
    # Giving up on a stalled stream hangs up on the server (which would be silent for 60 s).
    assert fake_openai.wait_for_disconnects(1, timeout=30)


@pytest.mark.asyncio
async def test_stall_before_text(fake_openai: FakeOpenAI, run_chat: Runner) -> None:
    fake_openai.script(Fault.stall(after=0, seconds=10))
    result = await run_chat(stall_timeout=0.3)

    assert isinstance(result.failure, StreamStalledError)
    assert len(fake_openai.chat_requests) == 1


@pytest.mark.asyncio
async def test_error_event_after_text_ends_as_interrupted(
    fake_openai: FakeOpenAI, run_chat: Runner
) -> None:
    fake_openai.script(Fault.error_event(after=5, text="Hello there, friend"))
    result = await run_chat()

    assert isinstance(result.failure, StreamInterruptedError)
    assert result.failure.detail == (
        "The server had an error while processing your request. Sorry about that!"
    )
    assert result.text() == "Hello"


@pytest.mark.asyncio
async def test_text_delivered_before_a_fault_is_never_repeated(
    fake_openai: FakeOpenAI, run_chat: Runner
) -> None:
    fake_openai.script(Fault.drop(after=1, text="abc def"), Fault.drop(after=1))
    result = await run_chat()

    deltas = [e.text for e in result.events if isinstance(e, Delta)]
    assert deltas == ["abc"]
    assert fake_openai.pending_steps == 1  # the second step was never asked for
