"""Tools: MCP servers (through the official `mcp` SDK), the functions they offer the model,
and who may run a call.

The shared vocabulary lives here; the pieces live beside it:
- `mcp/` — connections to MCP servers (stdio, streamable HTTP, the older HTTP+SSE) and the
  `ToolHub` that starts them when first needed, keeps them up, restarts a crashed one on the
  next call, and names their tools uniquely for the model (`ToolRunner` below).
- `import_config.py` — the `mcpServers` object of Claude Desktop, Cursor, LM Studio, ...
- `server_secrets.py` — env values and HTTP headers of a server, kept in the OS keyring.
- `approval.py` — whether a call runs without asking, from the settings and the tool's hints.

The conversation engine runs the loop (kibitz.core.conversation): it offers `ToolSpec`s as
`tools`, asks an `Approver` before a call, and runs it through a `ToolRunner`.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

# A turn stops after this many requests that ended in tool calls (then says so).
MAX_TOOL_ROUNDS = 10
# What a tool result may put in front of the model; the rest is cut with a note saying so.
RESULT_LIMIT_CHARS = 100_000


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One tool of one server, as offered to the model.

    `function` is the name the model calls it by: unique across all enabled servers, matching
    ^[a-zA-Z0-9_-]{1,64}$ (the API's rule). It is the tool's own name when no other server has
    that name, else `<server>__<tool>` (shortened with a stable hash when too long).
    `read_only` and `destructive` are the tool's own MCP annotations (`readOnlyHint`,
    `destructiveHint`) when it declares them explicitly, else False.
    """

    server: str
    name: str  # the tool's name on its server
    function: str
    description: str = ""
    input_schema: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    title: str | None = None
    read_only: bool = False
    destructive: bool = False

    def as_openai_tool(self) -> dict[str, Any]:
        """The entry of the request's `tools` list."""
        schema = dict(self.input_schema) or {"type": "object", "properties": {}}
        return {
            "type": "function",
            "function": {
                "name": self.function,
                "description": self.description or self.title or self.name,
                "parameters": schema,
            },
        }


@dataclass(frozen=True, slots=True)
class ToolImage:
    mime_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ToolOutput:
    """What a call returned: its text (text content joined; other content described), images,
    and whether the tool itself reported an error (`isError`)."""

    text: str
    images: tuple[ToolImage, ...] = ()
    is_error: bool = False


class ServerState(enum.StrEnum):
    STOPPED = "stopped"  # not started yet (servers start when first needed), or stopped
    STARTING = "starting"
    READY = "ready"
    FAILED = "failed"  # the last start or call failed: `error` says how
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class ServerStatus:
    """A server as Settings → Tools and `kibitz mcp list` show it."""

    name: str
    state: ServerState
    tools: tuple[ToolSpec, ...] = ()
    error: str | None = None  # the last failure, in words (ToolServerError.lines())
    stderr_tail: str = ""  # the last lines the server wrote to stderr (stdio servers)


class ToolRunner(Protocol):
    """What the engine needs of the tool servers (kibitz.core.tools.mcp.ToolHub)."""

    async def tools(self) -> list[ToolSpec]:
        """The tools of every enabled server, starting those not running yet. A server that
        fails to start is left out (its status says why); never raises for one server."""
        ...

    async def call(self, spec: ToolSpec, arguments: Mapping[str, Any]) -> ToolOutput:
        """Run one call (restarting its server first if it died). Raises ToolCallError when
        the call cannot be made or does not end within the call timeout; cancelling the
        awaiting task cancels the call."""
        ...

    def status(self) -> list[ServerStatus]: ...

    async def aclose(self) -> None:
        """Stop every server this runner started."""
        ...


class Approval(enum.StrEnum):
    """The user's answer to one call."""

    ALLOW_ONCE = "allow_once"
    ALWAYS_ALLOW = "always_allow"  # this tool from now on (the caller stores the policy)
    DENY = "deny"


class Policy(enum.StrEnum):
    """What is configured for a server or one of its tools."""

    ASK = "ask"
    ALLOW = "allow"  # run without asking (a destructive tool still asks)
    NEVER = "never"  # never run: the model is told it was declined


@dataclass(frozen=True, slots=True)
class PendingCall:
    """A call waiting for the user's answer: what the approval card and `ask --tools` show."""

    call_id: str
    spec: ToolSpec
    arguments: Mapping[str, Any]  # parsed from the model's JSON
    arguments_json: str  # exactly as the model sent it


Approver = Callable[[PendingCall], Awaitable[Approval]]

# What a declined call tells the model (a tool message, so the conversation stays valid).
DECLINED_TEXT = "The user declined to run this tool call."
