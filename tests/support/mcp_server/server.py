"""The test MCP server's tools, on the SDK's MCPServer (the successor of FastMCP)."""

from __future__ import annotations

import os
import sys

import anyio
from mcp.server.mcpserver import Context, Image, MCPServer
from mcp_types import (
    CallToolResult,
    ContentBlock,
    EmbeddedResource,
    ResourceLink,
    TextContent,
    TextResourceContents,
    ToolAnnotations,
)

from tests.support.mcp_server.images import PNG_BYTES

NAME = "kibitz-test-server"


def _say(text: str) -> None:
    """A line on stderr, flushed: what tests read back through the client's stderr tail."""
    print(text, file=sys.stderr, flush=True)


def build_server() -> MCPServer:
    server = MCPServer(NAME, log_level="WARNING")

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    def lookup(key: str) -> str:
        """Look a key up (changes nothing)."""
        return f"value of {key}"

    @server.tool(annotations=ToolAnnotations(destructive_hint=True))
    def delete_note(note_id: str) -> str:
        """Delete a note for good."""
        return f"deleted {note_id}"

    @server.tool()
    async def sleep(seconds: float) -> str:
        """Wait, then say so."""
        _say("sleep started")
        try:
            await anyio.sleep(seconds)
        except anyio.get_cancelled_exc_class():
            _say("sleep cancelled")
            raise
        _say("sleep finished")
        return f"slept {seconds:g} s"

    @server.tool()
    def fail(message: str) -> str:
        """Raise an exception with this message."""
        raise RuntimeError(message)

    @server.tool()
    def refuse(reason: str) -> CallToolResult:
        """Answer with an error result of its own."""
        return CallToolResult(content=[TextContent(text=reason)], is_error=True)

    @server.tool()
    def image() -> Image:
        """A small PNG."""
        return Image(data=PNG_BYTES, format="png")

    @server.tool()
    def huge(megabytes: float) -> str:
        """That many megabytes of text."""
        line = "all work and no play makes a long tool result\n"
        return line * (int(megabytes * 1_000_000) // len(line) + 1)

    @server.tool()
    def describe_note(note_id: str) -> list[ContentBlock]:
        """Text, an embedded resource and a link."""
        uri = f"note://{note_id}"
        return [
            TextContent(text=f"note {note_id}"),
            EmbeddedResource(
                resource=TextResourceContents(uri=uri, mime_type="text/plain", text="buy milk")
            ),
            ResourceLink(name=f"note {note_id}", uri=f"{uri}/history", description="its edits"),
        ]

    @server.tool()
    def crash(status: int = 3) -> str:
        """Exit the server process at once."""
        _say("crashing on purpose")
        os._exit(status)

    @server.tool()
    def pid() -> int:
        """This server's process id."""
        return os.getpid()

    @server.tool()
    def env_value(name: str) -> str:
        """An environment variable of the server process."""
        return os.environ.get(name, "<unset>")

    @server.tool()
    def header_value(name: str, ctx: Context) -> str:
        """A header of the HTTP request that carried this call."""
        headers = ctx.headers or {}
        return headers.get(name.lower(), "<unset>")

    return server
