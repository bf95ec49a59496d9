"""The streaming client: one AsyncOpenAI per provider, retries as events, prompt cancellation.

openai is imported only when a client is first used (it costs about half a second), so
importing kibitz.core.chat stays cheap for the UI's first frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import TYPE_CHECKING, Any

from kibitz.core.errors import (
    ApiError,
    ConfigError,
    KibitzError,
    MalformedResponseError,
    NoApiKeyError,
    StreamInterruptedError,
    StreamStalledError,
)

from .error_mapping import map_exception
from .events import Delta, Failed, ReasoningDelta, Retrying, StreamEvent, ToolCallDelta, UsageReport
from .exchange import Exchange, ExchangeRecorder, on_request, on_response
from .provider import ProviderConfig
from .retry import RetryPolicy, is_transient
from .streaming import ChunkTranslator

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletionChunk

log = logging.getLogger(__name__)

# Reasoning models can think for a long while before the first token; a gap longer than this
# between chunks (or before the first) ends the stream with StreamStalledError.
DEFAULT_STALL_TIMEOUT = 90.0
# A burst of buffered chunks is decoded without the SDK ever suspending; at ~100 us a chunk a
# backlog would hold the event loop (and the UI) for tens of milliseconds. Let it run this often.
_YIELD_INTERVAL = 0.002
# Once every choice has its finish_reason only usage and [DONE] are left; a server that goes
# quiet then must not keep the stream open for the whole stall timeout.
_TRAILER_TIMEOUT = 5.0


def preload() -> None:
    """Import the SDK ahead of the first request (call it off the UI thread, after start-up)."""
    import openai.resources.chat  # noqa: F401


class ChatClient:
    """Talks to one provider; holds its HTTP connection pool until `aclose()`.

    Creating the SDK client costs tens of milliseconds (TLS context, pool), so the UI keeps one
    per provider profile and reuses it; `stream_chat` makes a throwaway one.
    """

    def __init__(self, provider: ProviderConfig) -> None:
        self.provider = provider
        self._sdk: openai.AsyncOpenAI | None = None

    def _client(self) -> openai.AsyncOpenAI:
        if self._sdk is None:
            self._sdk = self._new_sdk()
        return self._sdk

    def _new_sdk(self) -> openai.AsyncOpenAI:
        import openai

        api_key = self.provider.api_key
        if api_key is None:
            api_key = os.environ.get("OPENAI_API_KEY")
        if not api_key:
            raise NoApiKeyError(f"Provider {self.provider.name!r} has no API key.")
        provider = self.provider
        timeout = openai.Timeout(provider.read_timeout, connect=provider.connect_timeout)
        headers = dict(provider.extra_headers) or None
        # The hooks record each request as sent for the inspector (exchange.py).
        http = openai.DefaultAsyncHttpxClient(
            event_hooks={"request": [on_request], "response": [on_response]}
        )
        if provider.is_azure:
            return _azure_sdk(provider, api_key, timeout, headers, http)
        return openai.AsyncOpenAI(
            api_key=api_key,
            organization=provider.organization,
            base_url=provider.base_url,
            timeout=timeout,
            max_retries=0,  # we retry ourselves, so each retry can be shown
            default_headers=headers,
            http_client=http,
        )

    async def aclose(self) -> None:
        if self._sdk is not None:
            sdk, self._sdk = self._sdk, None
            await sdk.close()

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _secrets(self) -> tuple[str, ...]:
        """The provider's secrets and the key the SDK would take from the environment."""
        env_key = os.environ.get("OPENAI_API_KEY", "")
        return (*self.provider.secrets(), *((env_key,) if len(env_key) >= 4 else ()))

    def _map(self, exc: BaseException, *, in_body: bool) -> KibitzError:
        return map_exception(
            exc,
            secrets=self.provider.secrets(),
            base_url=self.provider.base_url or os.environ.get("OPENAI_BASE_URL"),
            in_body=in_body,
        )

    async def list_models(self) -> list[str]:
        """Model ids the server offers, sorted; raises a KibitzError on failure."""
        return sorted(str(model.id) for model in await self.list_model_entries())

    async def list_model_entries(self) -> list[Any]:
        """The server's model list as it came: the SDK's objects, whose fields beyond OpenAI's
        (OpenRouter's `pricing`) are read with field_of. Raises a KibitzError on failure."""
        import openai

        try:
            page = await self._client().models.list()
        except (openai.OpenAIError, ValueError) as exc:
            raise self._map(exc, in_body=False) from exc
        return list(page.data)

    async def stream(
        self,
        request: Mapping[str, Any],
        *,
        stall_timeout: float = DEFAULT_STALL_TIMEOUT,
        retry: RetryPolicy | None = None,
        on_exchange: Callable[[Exchange], None] | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        """Stream one request (from build_request) as events; see events.py for the order.

        Never raises for server or network failures: they end the stream with `Failed`.
        Failures before any text are retried per `retry` (default: the provider's
        max_retries); after text has arrived they end the stream, keeping what was delivered.
        Cancelling the consuming task, or closing this iterator, closes the HTTP stream.
        A request without `stream` (build_request(..., stream=False)) is answered whole and
        yields the same events at once. `on_exchange` is told of each attempt that was sent,
        as it went over the wire (for the request inspector), once the attempt has ended.
        """
        policy = retry if retry is not None else RetryPolicy(max_retries=self.provider.max_retries)
        expected = request.get("n")
        retries = 0
        fresh_connection = False
        while True:
            translator = ChunkTranslator(
                expected_choices=expected if isinstance(expected, int) else 1
            )
            recorder = ExchangeRecorder(self._secrets(), azure=self.provider.is_azure)
            try:
                async with contextlib.aclosing(
                    self._attempt(request, stall_timeout, translator, fresh_connection, recorder)
                ) as events:
                    async for event in events:
                        _note(recorder, event)
                        yield event
                _tell(on_exchange, recorder, None)
                return
            except KibitzError as exc:
                error = exc
            except BaseException:  # cancelled, or closed by the consumer: still sent
                _tell(on_exchange, recorder, "stopped before the reply ended")
                raise
            _tell(on_exchange, recorder, error.summary())
            if isinstance(error, _EmptyStreamError) and request.get("stream"):
                # llama.cpp answers some failures (a prompt longer than its context) with an
                # empty 200 event stream; the same request unstreamed gets the real error.
                log.info("empty event stream: asking again without streaming")
                request = {k: v for k, v in request.items() if k not in _STREAM_KEYS}
                # On a new connection: the server may have dropped the pooled one after it.
                fresh_connection = True
                continue
            if translator.delivered:
                log.info("stream broke (request %s): %s", translator.request_id, error.summary())
                for held in translator.flush():  # a partial <think> tag held back, say
                    yield held
                yield Failed(_after_text(error))
                return
            delay = policy.delay_for(retries + 1, error) if isinstance(error, ApiError) else None
            if delay is None or not isinstance(error, ApiError):
                log.info("stream failed (request %s): %s", translator.request_id, error.summary())
                yield Failed(_before_text(error))
                return
            retries += 1
            log.info("retry %d in %.2fs after %s", retries, delay, error.summary())
            yield Retrying(retries, delay, error)
            await asyncio.sleep(delay)

    async def _attempt(
        self,
        request: Mapping[str, Any],
        stall_timeout: float,
        translator: ChunkTranslator,
        fresh_connection: bool = False,
        recorder: ExchangeRecorder | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        """One HTTP request: raises a KibitzError on failure, closes the response always."""
        import openai

        sdk = self._new_sdk() if fresh_connection else self._client()

        stream: openai.AsyncStream[ChatCompletionChunk] | None = None
        try:
            try:
                with recorder.active() if recorder is not None else contextlib.nullcontext():
                    created: Any = await sdk.chat.completions.create(**request)
            except (openai.OpenAIError, ValueError) as exc:
                # ValueError: an unstreamed body that is not JSON (the SDK does not wrap it).
                raise self._map(exc, in_body=False) from exc
            if not isinstance(created, openai.AsyncStream):
                if request.get("stream"):
                    raise MalformedResponseError("The server answered without streaming.")
                translator.request_id = getattr(created, "_request_id", None)
                for event in translator.feed_completion(created):
                    yield event
                for event in translator.end():
                    yield event
                return
            stream = created
            headers = stream.response.headers
            # Azure's API gateway names its id apim-request-id.
            translator.request_id = headers.get("x-request-id") or headers.get("apim-request-id")
            loop = asyncio.get_running_loop()
            yielded_at = loop.time()
            while True:
                wait = stall_timeout
                if translator.all_finished:
                    wait = min(stall_timeout, _TRAILER_TIMEOUT)
                try:
                    async with asyncio.timeout(wait):
                        chunk = await stream.__anext__()
                except StopAsyncIteration:
                    break
                except TimeoutError as exc:
                    raise StreamStalledError(f"Nothing arrived for {wait:g} seconds.") from exc
                except (openai.OpenAIError, ValueError) as exc:
                    raise self._map(exc, in_body=True) from exc
                for event in translator.feed(chunk):
                    yield event
                if loop.time() - yielded_at > _YIELD_INTERVAL:
                    await asyncio.sleep(0)
                    yielded_at = loop.time()
            if translator.chunks == 0:
                content_type = headers.get("content-type", "?")
                raise _EmptyStreamError(
                    f"The reply held no stream events (content type {content_type})."
                )
        except KibitzError as exc:
            if not translator.all_finished:
                raise
            # Every choice had its finish_reason; only the trailer ([DONE], usage) was lost.
            log.debug("ignoring %s after the last finish_reason", exc.summary())
        finally:
            if stream is not None:
                await stream.close()
            if fresh_connection:
                await sdk.close()
        for event in translator.end():
            yield event


_STREAM_KEYS = ("stream", "stream_options")


def _azure_sdk(
    provider: ProviderConfig,
    api_key: str,
    timeout: openai.Timeout,
    headers: dict[str, str] | None,
    http: Any,
) -> openai.AsyncOpenAI:
    """Azure OpenAI through the SDK's own client: deployment URLs, api-version, api-key."""
    import openai

    if not provider.base_url or not provider.api_version:
        raise ConfigError(
            f"Azure provider {provider.name!r} needs its endpoint and an API version.",
            headline="The Azure profile is incomplete",
            hint="Enter the resource endpoint and the API version (e.g. 2024-10-21) in Settings.",
        )
    endpoint = provider.base_url.rstrip("/").removesuffix("/openai")
    return openai.AsyncAzureOpenAI(
        azure_endpoint=endpoint,
        azure_deployment=provider.deployment or None,
        api_version=provider.api_version,
        api_key=api_key,
        organization=provider.organization,
        timeout=timeout,
        max_retries=0,
        default_headers=headers,
        http_client=http,
    )


def _note(recorder: ExchangeRecorder, event: StreamEvent) -> None:
    """What the exchange record takes from the stream: its first token, its usage."""
    if isinstance(event, ToolCallDelta) or (
        isinstance(event, Delta | ReasoningDelta) and event.text
    ):
        recorder.first_token()
    elif isinstance(event, UsageReport):
        recorder.usage(event.usage)


def _tell(
    on_exchange: Callable[[Exchange], None] | None, recorder: ExchangeRecorder, error: str | None
) -> None:
    if on_exchange is None:
        return
    exchange = recorder.exchange(error)
    if exchange is not None:
        try:
            on_exchange(exchange)
        except Exception:  # the record is a view of the reply; it never breaks the reply
            log.exception("could not keep the record of a request")


class _EmptyStreamError(MalformedResponseError):
    """A 200 response whose event stream ended before its first event."""


def _before_text(error: KibitzError) -> KibitzError:
    if isinstance(error, StreamInterruptedError):
        # Nothing was kept, so do not promise a partial reply.
        return StreamInterruptedError(
            error.detail,
            headline="The connection dropped before the reply began",
            hint="Retry to ask again.",
            status=error.status,
        )
    return error


def _after_text(error: KibitzError) -> KibitzError:
    """After text arrived, a transient failure is an interrupted stream (the text is kept)."""
    if isinstance(error, ApiError) and is_transient(error):
        if isinstance(error, StreamInterruptedError):
            return error
        detail = error.detail or error.headline
        return StreamInterruptedError(detail, status=error.status)
    return error


async def stream_chat(
    provider: ProviderConfig,
    request: Mapping[str, Any],
    *,
    stall_timeout: float = DEFAULT_STALL_TIMEOUT,
    retry: RetryPolicy | None = None,
    on_exchange: Callable[[Exchange], None] | None = None,
) -> AsyncGenerator[StreamEvent, None]:
    """Stream one request with a client made for it and closed after (see ChatClient.stream)."""
    client = ChatClient(provider)
    try:
        async with contextlib.aclosing(
            client.stream(
                request, stall_timeout=stall_timeout, retry=retry, on_exchange=on_exchange
            )
        ) as events:
            async for event in events:
                yield event
    finally:
        await client.aclose()
