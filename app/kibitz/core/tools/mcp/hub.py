"""ToolHub: the MCP servers of the settings as the engine's ToolRunner.

Servers start when first needed (`tools()` or `call()`), never at construction, so the app's
start-up does not wait for them; they stay up until `aclose()`. A server that failed or
crashed is started again at the next `tools()` or `call()`. Function names are given across
all enabled servers together (naming.py), so two servers can both offer `search`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Collection, Mapping
from types import TracebackType
from typing import Any

from kibitz.core import errors
from kibitz.core.secrets import SecretStore
from kibitz.core.settings.schema import McpServer, ToolsSettings
from kibitz.core.tools import ServerState, ServerStatus, ToolOutput, ToolSpec
from kibitz.core.tools.mcp.connection import ServerConnection
from kibitz.core.tools.mcp.content import tool_output
from kibitz.core.tools.mcp.naming import function_names

log = logging.getLogger(__name__)

StatusListener = Callable[[ServerStatus], None]
# How long a turn waits for servers still starting before it goes on without them.
TURN_WAIT_S = 15.0


class ToolHub:
    """Every configured MCP server; implements kibitz.core.tools.ToolRunner.

    `secrets` holds the servers' env and header values (server_secrets.py); they are read
    off the event loop when a server starts. `on_status` is told each time a server's state
    changes (started, failed, stopped), for a view that shows it.
    """

    def __init__(
        self,
        settings: ToolsSettings,
        secrets: SecretStore,
        *,
        on_status: StatusListener | None = None,
    ) -> None:
        self._settings = settings
        self._secrets = secrets
        self._on_status = on_status
        self._connections = {s.name: self._connection(s) for s in settings.servers}
        self._stopping: set[asyncio.Task[None]] = set()
        self._starting: set[asyncio.Future[None]] = set()  # starts a turn stopped waiting for

    @property
    def settings(self) -> ToolsSettings:
        return self._settings

    def update(self, settings: ToolsSettings, *, changed: Collection[str] = ()) -> None:
        """Follow changed settings: a removed or disabled server is stopped; one whose command,
        URL, env or header names changed, or that is named in `changed` (its stored values
        changed), is stopped and starts again with the new settings when next needed.
        Stopping happens in the background; `aclose()` waits for it."""
        kept: dict[str, ServerConnection] = {}
        for server in settings.servers:
            connection = self._connections.get(server.name)
            if (
                connection is not None
                and _how_to_reach(connection.server) == _how_to_reach(server)
                and server.name not in changed
            ):
                connection.server = server  # its policies may have changed; the process not
            else:
                connection = self._connection(server)
            kept[server.name] = connection
        for name, connection in self._connections.items():
            if kept.get(name) is not connection:
                self._stop_later(connection)
        self._connections = kept
        self._settings = settings

    async def tools(self, wait: float = TURN_WAIT_S) -> list[ToolSpec]:
        """The tools of every enabled server, starting those not up; a server that cannot be
        started is left out (its status says why). A turn waits at most `wait` seconds for
        servers still starting: one that hangs at start goes on starting in the background
        (its status says so) and is offered from the turn after it is up."""
        enabled = [c for c in self._connections.values() if c.server.enabled]
        starting = [asyncio.ensure_future(self._start_quietly(c)) for c in enabled]
        if starting:
            _, pending = await asyncio.wait(starting, timeout=wait)
            for task in pending:
                self._starting.add(task)
                task.add_done_callback(self._starting.discard)
        return self._named_tools()

    async def call(self, spec: ToolSpec, arguments: Mapping[str, Any]) -> ToolOutput:
        """Run one call on its server (starting it again if it had failed); raises
        ToolCallError when the call cannot be made, fails or times out."""
        connection = self._connections.get(spec.server)
        if connection is None or not connection.server.enabled:
            raise errors.ToolCallError(
                f"there is no enabled tool server named {spec.server!r}",
                headline="The tool is not available",
            )
        try:
            result = await connection.call(
                spec.name, dict(arguments), self._settings.call_timeout_s
            )
        except errors.ToolServerError as exc:
            raise errors.ToolCallError(exc.detail, headline=exc.headline, hint=exc.hint) from exc
        return tool_output(result)

    async def check(self, name: str) -> ServerStatus:
        """Start one server now (again, if it had failed) and say how it went: what
        `kibitz mcp list` and a Settings page's Retry show. A disabled server is not started;
        a name the settings do not have raises KeyError."""
        connection = self._connections[name]
        if connection.server.enabled:
            await self._start_quietly(connection)
        return self._status(connection, self._function_names())

    def status(self) -> list[ServerStatus]:
        names = self._function_names()
        return [self._status(c, names) for c in self._connections.values()]

    async def aclose(self) -> None:
        """Stop every server this hub started, and wait for those being stopped."""
        for waiting in list(self._starting):
            waiting.cancel()  # only the wait: the start itself ends with stop() below
        await asyncio.gather(*(c.stop() for c in self._connections.values()))
        if self._stopping:
            await asyncio.wait(self._stopping)

    async def __aenter__(self) -> ToolHub:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- inside ---------------------------------------------------------------------------------

    def _connection(self, server: McpServer) -> ServerConnection:
        def changed() -> None:
            # A replaced connection winding down is no longer what the settings show.
            if self._on_status is not None and self._connections.get(server.name) is connection:
                self._on_status(self._status(connection, self._function_names()))

        connection = ServerConnection(server, self._secrets, on_change=changed)
        return connection

    async def _start_quietly(self, connection: ServerConnection) -> None:
        with contextlib.suppress(errors.ToolServerError):  # its status holds the error
            await connection.start()

    def _stop_later(self, connection: ServerConnection) -> None:
        if not connection.running:
            return
        task = asyncio.get_running_loop().create_task(connection.stop())
        self._stopping.add(task)
        task.add_done_callback(self._stopping.discard)

    def _ready(self) -> list[ServerConnection]:
        return [
            c
            for c in self._connections.values()
            if c.server.enabled and c.state is ServerState.READY
        ]

    def _function_names(self) -> dict[tuple[str, str], str]:
        return function_names((t.server, t.name) for c in self._ready() for t in c.tools)

    def _named_tools(self) -> list[ToolSpec]:
        names = self._function_names()
        return [
            dataclasses.replace(t, function=names[(t.server, t.name)])
            for c in self._ready()
            for t in c.tools
            if (t.server, t.name) in names
        ]

    def _status(
        self, connection: ServerConnection, names: Mapping[tuple[str, str], str]
    ) -> ServerStatus:
        if not connection.server.enabled:
            return ServerStatus(connection.name, ServerState.DISABLED)
        tools = tuple(
            dataclasses.replace(t, function=names.get((t.server, t.name), t.function))
            for t in connection.tools
        )
        error = connection.error
        return ServerStatus(
            connection.name,
            connection.state,
            tools if connection.state is ServerState.READY else (),
            "\n".join(error.lines()) if error is not None else None,
            connection.stderr_text,
        )


def _how_to_reach(server: McpServer) -> tuple[object, ...]:
    """What a change of restarts the server (its policies do not)."""
    return (
        server.transport,
        server.command,
        server.args,
        server.env_names,
        server.url,
        server.header_names,
        server.enabled,
    )
