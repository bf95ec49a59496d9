"""One MCP server: a task of its own holds the SDK's session, and calls are handed to it.

The SDK runs on anyio, whose task groups and cancel scopes must be left by the task that
entered them. So each server gets one long-lived task (`_own`) that opens the transport and the
session, lists the tools, then runs each call handed to it in a child task, until it is stopped
(its cancel scope is cancelled; the SDK shields its own shutdown of the process) or the
connection ends on its own (the server exited: FAILED, and the next `start` begins again).
The callers' side (`start`, `call`, `stop`) is plain asyncio, so the same code runs under the
app's qasync loop and under `asyncio.run` in the CLI.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from kibitz.core import errors
from kibitz.core.secrets import SecretStore
from kibitz.core.settings.schema import McpServer
from kibitz.core.tools import ServerState, ToolSpec
from kibitz.core.tools.mcp import failures
from kibitz.core.tools.mcp.content import tool_spec
from kibitz.core.tools.mcp.stderr_tail import StderrTail
from kibitz.core.tools.mcp.transports import open_client
from kibitz.core.tools.server_secrets import read_env, read_headers

if TYPE_CHECKING:
    from mcp import Client
    from mcp_types import CallToolResult

log = logging.getLogger(__name__)

# npx or uvx may download the server's package at its first start.
START_TIMEOUT_S = 60.0
# The SDK waits up to 2 s for a stdio server to exit once its stdin closes, then 2 s after
# SIGTERM; past this the task is cancelled outright.
STOP_TIMEOUT_S = 10.0
# A call is bounded by the SDK's own timeout (which also tells the server to stop); this is
# only the guard against a transport that hangs before that clock starts.
HANG_GRACE_S = 5.0
MAX_TOOL_PAGES = 100  # a server whose tools/list never ends cannot hang a start


@dataclass(eq=False)
class _Call:
    """One call handed to the server's task; `future` is the caller's, `scope` the runner's."""

    tool: str
    arguments: dict[str, Any]
    timeout: float
    future: asyncio.Future[CallToolResult]
    scope: anyio.CancelScope | None = None

    def settle(self, result: CallToolResult | BaseException) -> None:
        if self.future.done():  # the caller gave up (cancelled or timed out) first
            return
        if isinstance(result, BaseException):
            self.future.set_exception(result)
        else:
            self.future.set_result(result)

    def abandon(self) -> None:
        """The caller is gone: stop the call where it is (the SDK then tells the server)."""
        if self.scope is not None:
            self.scope.cancel()
        elif not self.future.done():
            self.future.cancel()  # not started yet: its runner sees this and skips it


@dataclass(eq=False)
class _Run:
    """One start of the server, from launch to the end of its task."""

    ready: asyncio.Future[None]
    stderr: StderrTail | None
    jobs: MemoryObjectSendStream[_Call]
    queue: MemoryObjectReceiveStream[_Call]
    lost: anyio.Event = field(default_factory=anyio.Event)
    pending: set[_Call] = field(default_factory=set)
    process: Any = None
    scope: anyio.CancelScope | None = None
    stop_requested: bool = False
    task: asyncio.Task[None] | None = None


class ServerConnection:
    """One configured server: started when first needed, restarted after a failure."""

    def __init__(
        self,
        server: McpServer,
        secrets: SecretStore,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.server = server
        self._secrets = secrets
        self._on_change = on_change or (lambda: None)
        self.state = ServerState.STOPPED
        self.error: errors.ToolServerError | None = None
        self.tools: tuple[ToolSpec, ...] = ()
        self._run: _Run | None = None
        self._stderr: StderrTail | None = None  # of the last start, kept after it ends

    @property
    def name(self) -> str:
        return self.server.name

    @property
    def stderr_text(self) -> str:
        return self._stderr.text() if self._stderr is not None else ""

    @property
    def running(self) -> bool:
        return self._run is not None and self._run.task is not None and not self._run.task.done()

    async def start(self) -> None:
        """Make sure the server is up; raises ToolServerError saying why it cannot be."""
        run = self._run if self.running else None
        if run is not None and run.lost.is_set() and run.task is not None:
            # It is going down on its own: let it finish saying why, then start afresh.
            await asyncio.wait({run.task})
            run = None
        if run is None:
            run = self._launch()
        await asyncio.shield(run.ready)

    async def call(self, tool: str, arguments: dict[str, Any], timeout: float) -> CallToolResult:
        """Run one call, starting the server first if needed. Raises ToolServerError when the
        server cannot be started and ToolCallError when the call fails; cancelling the caller
        cancels the call."""
        await self.start()
        run = self._run
        assert run is not None
        job = _Call(tool, arguments, timeout, asyncio.get_running_loop().create_future())
        run.pending.add(job)
        try:
            try:
                run.jobs.send_nowait(job)
            except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                # It went down between the start and now; `_finish` says why.
                raise self.error or failures.lost_failure(self.server, None) from None
            async with asyncio.timeout(timeout + HANG_GRACE_S):
                return await job.future
        except TimeoutError:
            raise _timed_out(self.server, tool, timeout) from None
        finally:
            run.pending.discard(job)
            if not job.future.done() or job.future.cancelled():
                job.abandon()

    async def stop(self) -> None:
        """Stop the server (and any call running on it); it starts again when next needed."""
        run = self._run
        if run is None or run.task is None:
            return
        run.stop_requested = True
        if run.scope is not None:
            run.scope.cancel()
        done, _ = await asyncio.wait({run.task}, timeout=STOP_TIMEOUT_S)
        if not done:
            log.warning("MCP server %r did not stop in time; cancelling its task", self.name)
            run.task.cancel()
            await asyncio.wait({run.task}, timeout=STOP_TIMEOUT_S)

    # -- the server's own task ------------------------------------------------------------------

    def _launch(self) -> _Run:
        loop = asyncio.get_running_loop()
        jobs, queue = anyio.create_memory_object_stream[_Call](max_buffer_size=math.inf)
        stderr = StderrTail() if self.server.transport == "stdio" else None
        run = _Run(loop.create_future(), stderr, jobs, queue)
        # A failed start nobody awaits any more must not be reported as "never retrieved".
        run.ready.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._run = run
        self._stderr = stderr
        self._set(ServerState.STARTING, None)
        run.task = loop.create_task(self._own(run), name=f"mcp server {self.name}")
        return run

    async def _own(self, run: _Run) -> None:
        failure: BaseException | None = None
        timed_out = False
        try:
            with anyio.CancelScope() as scope:
                run.scope = scope
                if run.stop_requested:
                    scope.cancel()
                scope.deadline = anyio.current_time() + START_TIMEOUT_S
                async with AsyncExitStack() as stack:
                    client = await self._connect(stack, run)
                    tools = await _list_tools(self.name, client)
                    scope.deadline = math.inf
                    self.tools = tools
                    self._set(ServerState.READY, None)
                    run.ready.set_result(None)
                    log.info("MCP server %r is up with %d tools", self.name, len(tools))
                    await self._serve(client, run)
            timed_out = scope.cancelled_caught and not run.stop_requested
        except Exception as exc:  # noqa: BLE001
            # The one boundary of a server's connection: whatever the SDK, the transport or
            # the server throw (OS, HTTP, protocol, validation errors, in exception groups)
            # becomes this server's failure in words, never a crash of the caller's turn.
            failure = exc
        finally:
            run.jobs.close()
            run.queue.close()
            if run.stderr is not None:
                await run.stderr.drained()
            self._finish(run, failure, timed_out)

    async def _connect(self, stack: AsyncExitStack, run: _Run) -> Client:
        server = self.server
        env: dict[str, str] = {}
        headers: dict[str, str] = {}
        if server.env_names:
            env = await anyio.to_thread.run_sync(
                read_env, self._secrets, server, abandon_on_cancel=True
            )
        if server.header_names:
            headers = await anyio.to_thread.run_sync(
                read_headers, self._secrets, server, abandon_on_cancel=True
            )

        def seen(process: Any) -> None:
            run.process = process

        try:
            return await open_client(
                stack,
                server,
                env=env,
                headers=headers,
                stderr=run.stderr,
                lost=run.lost,
                on_process=seen,
            )
        finally:
            if run.stderr is not None:
                run.stderr.spawned()

    async def _serve(self, client: Client, run: _Run) -> None:
        async with anyio.create_task_group() as group:

            async def stop_when_lost() -> None:
                await run.lost.wait()
                group.cancel_scope.cancel()

            group.start_soon(stop_when_lost)
            async for job in run.queue:
                group.start_soon(self._run_call, client, run, job)

    async def _run_call(self, client: Client, run: _Run, job: _Call) -> None:
        from mcp.shared.exceptions import MCPError
        from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT
        from pydantic import ValidationError

        with anyio.CancelScope() as scope:
            job.scope = scope
            if job.future.done():
                return
            try:
                result = await client.call_tool(
                    job.tool, job.arguments, read_timeout_seconds=job.timeout
                )
            except MCPError as exc:
                if exc.code == CONNECTION_CLOSED:
                    run.lost.set()  # `_finish` fails the call with the reason
                elif exc.code == REQUEST_TIMEOUT:
                    job.settle(_timed_out(self.server, job.tool, job.timeout))
                else:
                    job.settle(
                        errors.ToolCallError(
                            f"{self.name!r} refused the call of {job.tool!r}: {exc.error.message}"
                        )
                    )
                return
            except ValidationError as exc:
                job.settle(
                    errors.ToolCallError(
                        f"{self.name!r} answered the call of {job.tool!r} with something that "
                        f"is not an MCP result ({exc.error_count()} problems)"
                    )
                )
                return
            job.settle(result)

    def _finish(self, run: _Run, failure: BaseException | None, timed_out: bool) -> None:
        returncode = getattr(run.process, "returncode", None)
        lines = run.stderr.lines() if run.stderr is not None else []
        error: errors.ToolServerError | None = None
        if run.stop_requested:
            state = ServerState.STOPPED
        elif not run.ready.done():
            state = ServerState.FAILED
            error = failures.start_failure(
                self.server,
                failure,
                returncode=returncode,
                stderr=lines,
                timeout_s=START_TIMEOUT_S if timed_out or failure is None else None,
            )
        else:
            state = ServerState.FAILED
            error = failures.lost_failure(self.server, failure, returncode=returncode, stderr=lines)
        if not run.ready.done():
            run.ready.set_exception(
                error
                or errors.ToolServerError(
                    "it was stopped before it finished starting", server=self.name
                )
            )
        for job in list(run.pending):
            job.settle(
                errors.ToolCallError(
                    error.detail if error else "Kibitz stopped it",
                    headline=f"The tool server {self.name!r} stopped during the call",
                )
            )
        if error is not None:
            log.warning("MCP server %r failed: %s", self.name, error.lines()[0].splitlines()[0])
            self.tools = ()
        if self._run is run:
            self._set(state, error)

    def _set(self, state: ServerState, error: errors.ToolServerError | None) -> None:
        self.state = state
        self.error = error
        self._on_change()


async def _list_tools(server: str, client: Client) -> tuple[ToolSpec, ...]:
    specs: list[ToolSpec] = []
    cursor: str | None = None
    for _ in range(MAX_TOOL_PAGES):
        page = await client.list_tools(cursor=cursor)
        specs += [tool_spec(server, tool) for tool in page.tools]
        cursor = page.next_cursor
        if not cursor:
            break
    return tuple(specs)


def _timed_out(server: McpServer, tool: str, timeout: float) -> errors.ToolCallError:
    return errors.ToolCallError(
        f"{tool!r} on {server.name!r} did not finish within {timeout:g} s and was stopped",
        headline="The tool call timed out",
        hint="The model was told; a longer call timeout can be set in Settings → Tools.",
    )
