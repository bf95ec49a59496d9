"""Opening one server with the SDK: its transport (stdio, streamable HTTP, HTTP+SSE) and the
client session over it, with the transport's read side watched so a lost connection shows."""

from __future__ import annotations

import contextvars
import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio

from kibitz import __version__
from kibitz.core.settings.schema import McpServer
from kibitz.core.tools.mcp.failures import check_command
from kibitz.core.tools.mcp.stderr_tail import StderrTail

if TYPE_CHECKING:
    from mcp import Client
    from mcp.client._transport import TransportStreams
    from mcp.shared.message import SessionMessage

# The SDK's recommended HTTP timeouts: 30 s to connect or send, 5 minutes for a stream to stay
# quiet (a server may hold a response open while a tool runs).
HTTP_TIMEOUT_S = 30.0
HTTP_READ_TIMEOUT_S = 300.0

ProcessObserver = Callable[[Any], None]
_process_observer: contextvars.ContextVar[ProcessObserver | None] = contextvars.ContextVar(
    "kibitz_mcp_process_observer", default=None
)


async def open_client(
    stack: AsyncExitStack,
    server: McpServer,
    *,
    env: Mapping[str, str],
    headers: Mapping[str, str],
    stderr: StderrTail | None,
    lost: anyio.Event,
    on_process: ProcessObserver,
) -> Client:
    """Connect and shake hands; everything opened is closed by `stack`, which the calling task
    must also be the one to close (anyio's rule). `on_process` receives a stdio server's
    process; `lost` is set when the connection ends on its own."""
    from mcp import Client
    from mcp_types import Implementation

    transport = _watched(await _transport(stack, server, env, headers, stderr, on_process), lost)
    client = Client(
        transport,
        client_info=Implementation(name="kibitz", version=__version__),
        # Tool lists are fetched once per start; a cache would only keep stale ones.
        cache=None,
    )
    return await stack.enter_async_context(client)


async def _transport(
    stack: AsyncExitStack,
    server: McpServer,
    env: Mapping[str, str],
    headers: Mapping[str, str],
    stderr: StderrTail | None,
    on_process: ProcessObserver,
) -> AbstractAsyncContextManager[TransportStreams]:
    if server.transport == "stdio":
        from mcp.client.stdio import StdioServerParameters, stdio_client

        child_env = {**os.environ, **env}
        command = check_command(server.command or "", child_env)
        params = StdioServerParameters(command=command, args=list(server.args), env=child_env)
        _watch_spawns()
        # Each server's task runs in a context of its own, so this reaches only its spawn.
        _process_observer.set(on_process)
        assert stderr is not None
        return stdio_client(params, errlog=stderr.writer)
    assert server.url is not None
    if server.transport == "sse":
        from mcp.client.sse import sse_client

        return sse_client(
            server.url,
            headers=dict(headers),
            timeout=HTTP_TIMEOUT_S,
            sse_read_timeout=HTTP_READ_TIMEOUT_S,
        )
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    # A client given to the transport is ours to close: the stack does it after the transport.
    http = httpx2.AsyncClient(
        headers=dict(headers), timeout=httpx2.Timeout(HTTP_TIMEOUT_S, read=HTTP_READ_TIMEOUT_S)
    )
    await stack.enter_async_context(http)
    return streamable_http_client(server.url, http_client=http)


@asynccontextmanager
async def _watched(
    transport: AbstractAsyncContextManager[TransportStreams], lost: anyio.Event
) -> AsyncIterator[TransportStreams]:
    async with transport as (read, write):
        yield _WatchedReadStream(read, lost), write


class _WatchedReadStream:
    """The transport's read side, setting `lost` when it ends (the server exited or the HTTP
    stream failed): the SDK then fails the calls waiting on it, and the server's task learns
    that it must stop, so the next call starts the server again."""

    def __init__(self, inner: Any, lost: anyio.Event) -> None:
        self._inner = inner
        self._lost = lost

    @property
    def last_context(self) -> contextvars.Context | None:
        # The streamable HTTP transport hands each message the sender's context this way.
        context: contextvars.Context | None = getattr(self._inner, "last_context", None)
        return context

    async def receive(self) -> SessionMessage | Exception:
        try:
            item: SessionMessage | Exception = await self._inner.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._lost.set()
            raise
        return item

    def __aiter__(self) -> _WatchedReadStream:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _WatchedReadStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _watch_spawns() -> None:
    """Let the server's task see the process stdio_client starts.

    stdio_client keeps its process to itself, and with it the exit status that tells a user
    why a server quit ("exited with status 1", "killed by signal 9"). So the SDK's spawn
    function is wrapped, once, to hand the process to the observer of the calling task's
    context. Should a later SDK rename that private function, only the exit status is lost.
    """
    from mcp.client import stdio

    spawn = getattr(stdio, "_create_platform_compatible_process", None)
    if spawn is None or getattr(spawn, "_kibitz_watched", False):
        return

    async def watched_spawn(*args: Any, **kwargs: Any) -> Any:
        process = await spawn(*args, **kwargs)
        observer = _process_observer.get()
        if observer is not None:
            observer(process)
        return process

    watched_spawn._kibitz_watched = True  # type: ignore[attr-defined]
    setattr(stdio, "_create_platform_compatible_process", watched_spawn)  # noqa: B010
