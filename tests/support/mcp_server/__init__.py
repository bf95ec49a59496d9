"""Our own MCP server for tests, built with the official SDK (stdio, streamable HTTP, SSE).

Tools (each as a real server would declare it):

- ``lookup(key)``: read-only (``readOnlyHint``), returns ``"value of KEY"``.
- ``delete_note(note_id)``: destructive (``destructiveHint``), returns ``"deleted NOTE_ID"``.
- ``sleep(seconds)``: slow; writes ``sleep started`` / ``sleep finished`` or
  ``sleep cancelled`` to stderr, so a test can see a cancel reach the server.
- ``fail(message)``: raises (the SDK answers ``isError`` with the message).
- ``refuse(reason)``: returns an ``isError`` result of its own.
- ``image()``: a small PNG (``PNG_BYTES``).
- ``huge(megabytes)``: that many megabytes of text.
- ``describe_note(note_id)``: text, an embedded text resource and a resource link.
- ``crash(status)``: writes ``crashing on purpose`` to stderr and exits the process.
- ``pid()``: the server's process id (a restart shows as a new one).
- ``env_value(name)``: the value of an environment variable, or ``<unset>``.
- ``header_value(name)``: an HTTP request header as the server received it, or ``<unset>``.

Run: ``python -m tests.support.mcp_server --stdio``, or ``--http`` / ``--sse`` with
``--port 0``: the HTTP forms print their URL on the first stdout line and serve until killed.
``McpTestServer`` (process.py) does that for a test.
"""

from tests.support.mcp_server.images import PNG_BYTES
from tests.support.mcp_server.process import (
    STDIO_COMMAND,
    McpTestServer,
    stdio_server,
)

__all__ = ["PNG_BYTES", "STDIO_COMMAND", "McpTestServer", "stdio_server"]
