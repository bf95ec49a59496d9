"""What went wrong with a server, in words: the missing command, the URL that refused, the exit
status and the last lines of stderr. Everything here builds ToolServerError."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path

from kibitz.core import errors
from kibitz.core.settings.schema import McpServer

STDERR_LINES_SHOWN = 5
_RETRY_HINT = "It is started again at the next tool call; Settings → Tools shows its stderr."
# Where the usual launchers come from, for the hint when one is missing.
_INSTALL_HINTS = {
    "npx": "npx comes with Node.js",
    "node": "node comes with Node.js",
    "uvx": "uvx comes with uv",
    "uv": "uv is installed from docs.astral.sh/uv",
    "docker": "docker comes with Docker",
    "bunx": "bunx comes with Bun",
}


class CommandMissingError(Exception):
    """The program of a stdio server cannot be run; the message says why."""


def check_command(command: str, env: Mapping[str, str]) -> str:
    """The program to start, checked before spawning, so that the user is told exactly what is
    missing rather than an OS error. Raises CommandMissingError."""
    if os.sep in command or (os.altsep and os.altsep in command):
        path = Path(command).expanduser()
        if not path.exists():
            raise CommandMissingError(f"`{command}` does not exist")
        if path.is_dir() or not os.access(path, os.X_OK):
            raise CommandMissingError(f"`{command}` is not a program that can be run")
        return str(path)
    if shutil.which(command, path=env.get("PATH")) is None:
        raise CommandMissingError(f"`{command}` was not found on PATH")
    return command


def root_cause(exc: BaseException) -> BaseException:
    """The first real failure inside (nested) exception groups from the SDK's task groups."""
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    return exc


def describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "stopped"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = "an unknown signal"
        return f"was killed by signal {-returncode} ({name})"
    return f"exited with status {returncode}"


def start_failure(
    server: McpServer,
    exc: BaseException | None,
    *,
    returncode: int | None = None,
    stderr: Sequence[str] = (),
    timeout_s: float | None = None,
) -> errors.ToolServerError:
    """Why the server could not be started (`exc` None with `timeout_s`: it took too long)."""
    headline = f"The tool server {server.name!r} could not be started"
    if exc is None:
        detail = f"it did not finish starting within {timeout_s:g} s"
        return _error(server, detail, headline, stderr, hint=_timeout_hint(server))
    cause = root_cause(exc)
    if isinstance(cause, errors.ToolServerError):
        return cause
    if isinstance(cause, errors.SecretsError):
        detail = f"its stored values could not be read: {cause.lines()[0]}"
        return errors.ToolServerError(
            detail, server=server.name, headline=headline, hint=cause.hint
        )
    if isinstance(cause, CommandMissingError | FileNotFoundError):
        detail = str(cause) if isinstance(cause, CommandMissingError) else _not_found(server)
        return errors.ToolServerError(
            detail, server=server.name, headline=headline, hint=_install_hint(server)
        )
    if server.transport == "stdio":
        return _error(server, _stdio_detail(server, cause, returncode), headline, stderr)
    headline = f"The tool server {server.name!r} could not be reached"
    detail, hint = _http_detail(server, cause)
    return _error(server, detail, headline, (), hint=hint)


def lost_failure(
    server: McpServer,
    exc: BaseException | None,
    *,
    returncode: int | None = None,
    stderr: Sequence[str] = (),
) -> errors.ToolServerError:
    """The server went away while it was up (its process exited, the connection dropped)."""
    headline = f"The tool server {server.name!r} stopped"
    if server.transport == "stdio":
        detail = f"`{server.command}` {describe_exit(returncode)}"
        if returncode is None and exc is not None:
            detail = f"the connection to `{server.command}` failed: {_text(root_cause(exc))}"
        return _error(server, detail, headline, stderr, hint=_RETRY_HINT)
    detail = f"the connection to {server.url} was lost"
    if exc is not None:
        detail += f": {_text(root_cause(exc))}"
    return _error(server, detail, headline, (), hint=_RETRY_HINT)


def _stdio_detail(server: McpServer, cause: BaseException, returncode: int | None) -> str:
    from mcp.shared.exceptions import MCPError
    from mcp_types import CONNECTION_CLOSED
    from pydantic import ValidationError

    program = f"`{server.command}`"
    if returncode is not None:
        return f"{program} {describe_exit(returncode)} before it finished starting"
    if isinstance(cause, MCPError) and cause.code == CONNECTION_CLOSED:
        return f"{program} closed its output before it finished starting"
    if isinstance(cause, MCPError):
        return f"{program} refused the MCP handshake: {cause.error.message}"
    if isinstance(cause, ValidationError | ValueError):
        return f"{program} did not answer as an MCP server does: {_text(cause)}"
    if isinstance(cause, PermissionError):
        return f"{program} may not be run here (permission denied)"
    if isinstance(cause, OSError):
        return f"{program} could not be started: {cause.strerror or cause}"
    return f"{program} failed while starting: {_text(cause)}"


def _http_detail(server: McpServer, cause: BaseException) -> tuple[str, str | None]:
    import httpx2
    from mcp.shared.exceptions import MCPError

    url = server.url
    if isinstance(cause, httpx2.HTTPStatusError):
        status = cause.response.status_code
        detail = f"{url} answered HTTP {status} {cause.response.reason_phrase}".rstrip()
        if status in (401, 403):
            return detail, (
                "The server wants credentials: check its headers (an API key or token) in "
                "Settings → Tools."
            )
        return detail, "Check the URL (MCP servers usually answer at /mcp, the older ones at /sse)."
    if isinstance(cause, httpx2.TimeoutException):
        return f"{url} did not answer in time", None
    if isinstance(cause, httpx2.ConnectError):
        return f"the connection to {url} was refused or failed ({_text(cause)})", (
            "Check that the server is running and the URL is right (Settings → Tools)."
        )
    if isinstance(cause, httpx2.TransportError):
        return f"{url}: {_text(cause)}", None
    if isinstance(cause, MCPError):
        detail = f"{url} refused the MCP handshake: {cause.error.message}"
        if cause.error.message == "Not Found":
            return detail, "Check the URL's path (MCP servers usually answer at /mcp or /sse)."
        return detail, None
    return f"{url}: {_text(cause)}", None


def _error(
    server: McpServer,
    detail: str,
    headline: str,
    stderr: Sequence[str],
    *,
    hint: str | None = None,
) -> errors.ToolServerError:
    last = [line for line in stderr if line.strip()][-STDERR_LINES_SHOWN:]
    if last:
        detail += "\nThe last lines it wrote to stderr:\n" + "\n".join(f"  {x}" for x in last)
    return errors.ToolServerError(detail, server=server.name, headline=headline, hint=hint)


def _not_found(server: McpServer) -> str:
    return f"`{server.command}` was not found on PATH"


def _install_hint(server: McpServer) -> str:
    program = Path(server.command or "").name
    where = _INSTALL_HINTS.get(program)
    first = f"Install it ({where})" if where else "Install it"
    return f"{first}, or give its full path in Settings → Tools."


def _timeout_hint(server: McpServer) -> str:
    if server.transport == "stdio":
        return "Check that it is an MCP server that talks over stdio; " + _RETRY_HINT
    return "Check that the server is up and the URL is right; " + _RETRY_HINT


def _text(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
