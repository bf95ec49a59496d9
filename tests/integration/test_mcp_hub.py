"""ToolHub against our own MCP server over real stdio, streamable HTTP and SSE.

No mocks: each test starts the test server (tests/support/mcp_server) as a real process through
the SDK. Time bounds only guard against hangs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from types import MappingProxyType

import pytest
import pytest_asyncio

from kibitz.core import errors
from kibitz.core.secrets import MemorySecretStore
from kibitz.core.settings.schema import McpServer, ToolsSettings
from kibitz.core.tools import RESULT_LIMIT_CHARS, ServerState, ServerStatus, ToolSpec
from kibitz.core.tools.mcp import ToolHub
from kibitz.core.tools.server_secrets import store_server_secrets
from tests.support.mcp_server import PNG_BYTES, McpTestServer, stdio_server

HANG = 60.0  # generous: each start imports the SDK in a fresh interpreter on a busy machine


async def eventually(check: Callable[[], bool], timeout: float = HANG) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.05)


def by_name(tools: list[ToolSpec]) -> dict[str, ToolSpec]:
    return {t.name: t for t in tools}


def status_of(hub: ToolHub, name: str) -> ServerStatus:
    return next(s for s in hub.status() if s.name == name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest_asyncio.fixture
async def stdio_hub() -> AsyncIterator[ToolHub]:
    hub = ToolHub(ToolsSettings(servers=(stdio_server("test"),)), MemorySecretStore())
    try:
        yield hub
    finally:
        async with asyncio.timeout(HANG):
            await hub.aclose()


@pytest.fixture
def http_server() -> Iterator[McpTestServer]:
    with McpTestServer("http") as server:
        yield server


@pytest.mark.asyncio
async def test_a_server_starts_when_first_needed_and_stops_at_aclose() -> None:
    seen: list[tuple[str, ServerState]] = []
    hub = ToolHub(
        ToolsSettings(servers=(stdio_server("test"),)),
        MemorySecretStore(),
        on_status=lambda s: seen.append((s.name, s.state)),
    )
    assert [(s.name, s.state) for s in hub.status()] == [("test", ServerState.STOPPED)]
    async with asyncio.timeout(HANG):
        tools = by_name(await hub.tools())
        assert {"lookup", "delete_note", "sleep", "fail", "image", "crash"} <= tools.keys()
        assert tools["lookup"].read_only
        assert not tools["lookup"].destructive
        assert tools["delete_note"].destructive
        assert not tools["sleep"].read_only
        assert tools["lookup"].input_schema["required"] == ["key"]
        status = status_of(hub, "test")
        assert status.state is ServerState.READY
        assert status.error is None
        assert {t.function for t in status.tools} == tools.keys()
        await hub.aclose()
    assert status_of(hub, "test").state is ServerState.STOPPED
    assert seen == [
        ("test", ServerState.STARTING),
        ("test", ServerState.READY),
        ("test", ServerState.STOPPED),
    ]


@pytest.mark.asyncio
async def test_results_text_errors_and_images(stdio_hub: ToolHub) -> None:
    async with asyncio.timeout(HANG):
        tools = by_name(await stdio_hub.tools())
        found = await stdio_hub.call(tools["lookup"], {"key": "milk"})
        assert (found.text, found.is_error) == ("value of milk", False)

        raised = await stdio_hub.call(tools["fail"], {"message": "disk on fire"})
        assert raised.is_error
        assert raised.text == "Error executing tool fail"  # the SDK keeps the exception's text
        refused = await stdio_hub.call(tools["refuse"], {"reason": "not on Sundays"})
        assert (refused.text, refused.is_error) == ("not on Sundays", True)

        picture = await stdio_hub.call(tools["image"], {})
        assert picture.text == ""
        assert [(i.mime_type, i.data) for i in picture.images] == [("image/png", PNG_BYTES)]

        note = await stdio_hub.call(tools["describe_note"], {"note_id": "7"})
        assert note.text.splitlines() == [
            "note 7",
            "[resource note://7]",
            "buy milk",
            "[link to resource note 7 <note://7/history>: its edits]",
        ]
    # A tool that raised is the tool's failure, not the server's.
    assert status_of(stdio_hub, "test").state is ServerState.READY
    assert "RuntimeError: disk on fire" in status_of(stdio_hub, "test").stderr_tail


@pytest.mark.asyncio
async def test_a_huge_result_is_capped_with_a_note(stdio_hub: ToolHub) -> None:
    async with asyncio.timeout(HANG):
        tools = by_name(await stdio_hub.tools())
        output = await stdio_hub.call(tools["huge"], {"megabytes": 4})
    assert output.text.startswith("all work and no play")
    assert len(output.text) < RESULT_LIMIT_CHARS + 200
    assert output.text.endswith(f"only the first {RESULT_LIMIT_CHARS:,} are shown.]")
    assert "it had 4,000," in output.text


@pytest.mark.asyncio
async def test_calls_run_side_by_side(stdio_hub: ToolHub) -> None:
    async with asyncio.timeout(HANG):
        tools = by_name(await stdio_hub.tools())
        sleep = tools["sleep"]
        first, second = await asyncio.gather(
            stdio_hub.call(sleep, {"seconds": 0.5}), stdio_hub.call(sleep, {"seconds": 0.5})
        )
    assert first.text == second.text == "slept 0.5 s"
    stderr = status_of(stdio_hub, "test").stderr_tail.splitlines()
    # Both were running at once: the second started before the first finished.
    assert stderr[:2] == ["sleep started", "sleep started"]


@pytest.mark.asyncio
async def test_a_call_past_the_timeout_fails_and_the_server_is_told() -> None:
    settings = ToolsSettings(servers=(stdio_server("test"),), call_timeout_s=1)
    async with ToolHub(settings, MemorySecretStore()) as hub, asyncio.timeout(HANG):
        tools = by_name(await hub.tools())
        with pytest.raises(errors.ToolCallError) as caught:
            await hub.call(tools["sleep"], {"seconds": 600})
        assert caught.value.headline == "The tool call timed out"
        assert caught.value.detail == (
            "'sleep' on 'test' did not finish within 1 s and was stopped"
        )
        await eventually(lambda: "sleep cancelled" in status_of(hub, "test").stderr_tail)
        # The server is still up and answers the next call.
        assert (await hub.call(tools["lookup"], {"key": "k"})).text == "value of k"
        assert status_of(hub, "test").state is ServerState.READY


@pytest.mark.asyncio
async def test_cancelling_the_caller_cancels_the_call_on_the_server(stdio_hub: ToolHub) -> None:
    async with asyncio.timeout(HANG):
        tools = by_name(await stdio_hub.tools())
        call = asyncio.create_task(stdio_hub.call(tools["sleep"], {"seconds": 600}))
        await eventually(lambda: "sleep started" in status_of(stdio_hub, "test").stderr_tail)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        await eventually(lambda: "sleep cancelled" in status_of(stdio_hub, "test").stderr_tail)
        assert (await stdio_hub.call(tools["lookup"], {"key": "k"})).text == "value of k"


@pytest.mark.asyncio
async def test_a_crashed_server_is_shown_failed_then_restarted_on_the_next_call(
    stdio_hub: ToolHub,
) -> None:
    async with asyncio.timeout(HANG):
        tools = by_name(await stdio_hub.tools())
        first_pid = (await stdio_hub.call(tools["pid"], {})).text
        with pytest.raises(errors.ToolCallError) as caught:
            await stdio_hub.call(tools["crash"], {"status": 3})
        assert caught.value.headline == "The tool server 'test' stopped during the call"
        assert caught.value.detail.startswith(f"`{sys.executable}` exited with status 3")
        assert caught.value.detail.endswith("  crashing on purpose")

        status = status_of(stdio_hub, "test")
        assert status.state is ServerState.FAILED
        assert status.tools == ()
        assert status.error is not None
        assert status.error.startswith("The tool server 'test' stopped: ")
        assert "started again at the next tool call" in status.error
        assert status.stderr_tail.endswith("crashing on purpose")

        second_pid = (await stdio_hub.call(tools["pid"], {})).text
    assert second_pid != first_pid
    assert status_of(stdio_hub, "test").state is ServerState.READY


@pytest.mark.asyncio
async def test_a_missing_command_says_exactly_that_and_the_others_still_work() -> None:
    settings = ToolsSettings(
        servers=(McpServer(name="files", command="npx-not-installed-here"), stdio_server("test"))
    )
    async with ToolHub(settings, MemorySecretStore()) as hub, asyncio.timeout(HANG):
        tools = await hub.tools()
        assert {t.server for t in tools} == {"test"}
        status = status_of(hub, "files")
        assert status.state is ServerState.FAILED
        assert status.error == (
            "The tool server 'files' could not be started: `npx-not-installed-here` was not "
            "found on PATH\nInstall it, or give its full path in Settings → Tools."
        )
        missing = ToolSpec("files", "read_file", "read_file")
        with pytest.raises(errors.ToolCallError) as caught:
            await hub.call(missing, {})
        assert caught.value.detail == "`npx-not-installed-here` was not found on PATH"


@pytest.mark.asyncio
async def test_a_server_that_exits_at_start_shows_its_status_and_stderr() -> None:
    script = "import sys; print('config.yaml: no such file', file=sys.stderr); sys.exit(7)"
    server = McpServer(name="broken", command=sys.executable, args=("-c", script))
    async with ToolHub(ToolsSettings(servers=(server,)), MemorySecretStore()) as hub:
        async with asyncio.timeout(HANG):
            assert await hub.tools() == []
        status = status_of(hub, "broken")
    assert status.state is ServerState.FAILED
    assert status.error is not None
    assert status.error.splitlines()[:3] == [
        f"The tool server 'broken' could not be started: `{sys.executable}` exited with "
        "status 7 before it finished starting",
        "The last lines it wrote to stderr:",
        "  config.yaml: no such file",
    ]
    assert status.stderr_tail == "config.yaml: no such file"


@pytest.mark.asyncio
async def test_a_refused_connection_names_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/mcp"
    server = McpServer(name="remote", transport="http", url=url)
    async with ToolHub(ToolsSettings(servers=(server,)), MemorySecretStore()) as hub:
        async with asyncio.timeout(HANG):
            status = await hub.check("remote")
    assert status.state is ServerState.FAILED
    assert status.error is not None
    first, hint = status.error.splitlines()
    assert first.startswith(
        f"The tool server 'remote' could not be reached: the connection to {url} was refused"
    )
    assert hint == "Check that the server is running and the URL is right (Settings → Tools)."


@pytest.mark.asyncio
async def test_streamable_http_with_a_header_from_the_keyring(http_server: McpTestServer) -> None:
    secrets = MemorySecretStore()
    store_server_secrets(secrets, "remote", headers={"X-Api-Token": "tok-123456"})
    server = McpServer(
        name="remote", transport="http", url=http_server.url, header_names=("X-Api-Token",)
    )
    async with ToolHub(ToolsSettings(servers=(server,)), secrets) as hub, asyncio.timeout(HANG):
        tools = by_name(await hub.tools())
        assert tools["lookup"].read_only
        assert (await hub.call(tools["lookup"], {"key": "a"})).text == "value of a"
        header = await hub.call(tools["header_value"], {"name": "X-Api-Token"})
        assert header.text == "tok-123456"
        picture = await hub.call(tools["image"], {})
        assert picture.images[0].data == PNG_BYTES


@pytest.mark.asyncio
async def test_an_http_server_that_goes_away_is_shown_failed(http_server: McpTestServer) -> None:
    server = McpServer(name="remote", transport="http", url=http_server.url)
    async with ToolHub(ToolsSettings(servers=(server,)), MemorySecretStore()) as hub:
        async with asyncio.timeout(HANG):
            tools = by_name(await hub.tools())
            http_server.stop()
            with pytest.raises(errors.ToolCallError) as caught:
                await hub.call(tools["lookup"], {"key": "a"})
        assert http_server.url in caught.value.lines()[0]
        status = status_of(hub, "remote")
        assert status.state is ServerState.FAILED
        assert status.error is not None
        assert http_server.url in status.error


@pytest.mark.asyncio
async def test_the_older_sse_transport() -> None:
    with McpTestServer("sse") as sse:
        server = McpServer(
            name="legacy", transport="sse", url=sse.url, header_names=("X-Api-Token",)
        )
        secrets = MemorySecretStore()
        store_server_secrets(secrets, "legacy", headers={"X-Api-Token": "tok-sse"})
        async with ToolHub(ToolsSettings(servers=(server,)), secrets) as hub:
            async with asyncio.timeout(HANG):
                tools = by_name(await hub.tools())
                assert (await hub.call(tools["lookup"], {"key": "b"})).text == "value of b"
                header = await hub.call(tools["header_value"], {"name": "X-Api-Token"})
                assert header.text == "tok-sse"


@pytest.mark.asyncio
async def test_env_values_from_the_keyring_reach_the_server_beside_our_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KIBITZ_TEST_INHERITED", "from-the-parent")
    secrets = MemorySecretStore()
    store_server_secrets(secrets, "a", env={"API_TOKEN": "secret-a-1234"})
    a = stdio_server("a", env_names=("API_TOKEN",))
    b = stdio_server("b")
    async with ToolHub(ToolsSettings(servers=(a, b)), secrets) as hub, asyncio.timeout(HANG):
        tools = await hub.tools()
        functions = {(t.server, t.name): t for t in tools}
        # Both servers offer the same tools: each is named after its server.
        assert functions[("a", "env_value")].function == "a__env_value"
        assert functions[("b", "env_value")].function == "b__env_value"
        env_a = functions[("a", "env_value")]
        env_b = functions[("b", "env_value")]
        assert (await hub.call(env_a, {"name": "API_TOKEN"})).text == "secret-a-1234"
        assert (await hub.call(env_b, {"name": "API_TOKEN"})).text == "<unset>"
        inherited = await hub.call(env_b, {"name": "KIBITZ_TEST_INHERITED"})
        assert inherited.text == "from-the-parent"


@pytest.mark.asyncio
async def test_a_stored_value_that_is_missing_is_named() -> None:
    server = stdio_server("a", env_names=("API_TOKEN",))
    async with ToolHub(ToolsSettings(servers=(server,)), MemorySecretStore()) as hub:
        status = await hub.check("a")
    assert status.state is ServerState.FAILED
    assert status.error is not None
    assert status.error.startswith(
        "The tool server 'a' is missing a stored value: the value of API_TOKEN is not in"
    )


@pytest.mark.asyncio
async def test_settings_changes_stop_or_restart_only_what_changed() -> None:
    a, b = stdio_server("a"), stdio_server("b")
    hub = ToolHub(ToolsSettings(servers=(a, b)), MemorySecretStore())
    try:
        async with asyncio.timeout(HANG):
            tools = {(t.server, t.name): t for t in await hub.tools()}
            pid_a = (await hub.call(tools[("a", "pid")], {})).text
            pid_b = (await hub.call(tools[("b", "pid")], {})).text

            # A policy change keeps a's process; b disabled is stopped and offers nothing.
            trusted_a = dataclasses.replace(a, tool_policies=MappingProxyType({"pid": "allow"}))
            disabled_b = dataclasses.replace(b, enabled=False)
            hub.update(ToolsSettings(servers=(trusted_a, disabled_b)))
            assert status_of(hub, "b").state is ServerState.DISABLED
            tools_now = await hub.tools()
            assert {t.server for t in tools_now} == {"a"}
            # With b gone, a's tools go by their own names again.
            assert {t.function for t in tools_now} >= {"pid", "lookup"}
            assert (await hub.call(tools[("a", "pid")], {})).text == pid_a
            with pytest.raises(errors.ToolCallError, match="no enabled tool server named 'b'"):
                await hub.call(tools[("b", "pid")], {})

            # Changed arguments: a starts again, as a new process, when next needed.
            moved_a = dataclasses.replace(trusted_a, args=(*a.args, "--port", "0"))
            hub.update(ToolsSettings(servers=(moved_a, disabled_b)))
            assert status_of(hub, "a").state is ServerState.STOPPED
            assert (await hub.call(tools[("a", "pid")], {})).text not in (pid_a, pid_b)

            # Removed: gone from the status.
            hub.update(ToolsSettings(servers=(moved_a,)))
            assert [s.name for s in hub.status()] == ["a"]
    finally:
        async with asyncio.timeout(HANG):
            await hub.aclose()


@pytest.mark.qt
@pytest.mark.asyncio
async def test_the_hub_runs_on_the_apps_qasync_loop(stdio_hub: ToolHub) -> None:
    assert "qasync" in {kind.__module__ for kind in type(asyncio.get_running_loop()).__mro__}
    async with asyncio.timeout(HANG):
        tools = by_name(await stdio_hub.tools())
        assert (await stdio_hub.call(tools["lookup"], {"key": "q"})).text == "value of q"
        crashed = asyncio.create_task(stdio_hub.call(tools["crash"], {}))
        with pytest.raises(errors.ToolCallError):
            await crashed
        assert (await stdio_hub.call(tools["lookup"], {"key": "r"})).text == "value of r"


@pytest.mark.asyncio
async def test_a_turn_does_not_wait_for_a_server_that_hangs_at_start() -> None:
    # A program that never answers `initialize`: the turn goes on without its tools, and the
    # server keeps starting in the background (its status says so) until the hub closes.
    silent = McpServer(
        name="silent", command=sys.executable, args=("-c", "import time; time.sleep(600)")
    )
    hub = ToolHub(ToolsSettings(servers=(stdio_server("test"), silent)), MemorySecretStore())
    try:
        async with asyncio.timeout(HANG):
            await hub.check("test")  # up first, however busy the machine: only "silent" waits
            tools = await hub.tools(wait=1.0)
        assert {t.server for t in tools} == {"test"}
        assert status_of(hub, "silent").state is ServerState.STARTING
        assert status_of(hub, "test").state is ServerState.READY
    finally:
        async with asyncio.timeout(HANG):
            await hub.aclose()
    assert status_of(hub, "silent").state is not ServerState.STARTING
