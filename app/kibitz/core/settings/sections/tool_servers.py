"""The [tools] section: the MCP servers whose tools models may call, and when they may."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar, Literal

from kibitz.core.settings.fields import InvalidSettingError, meta, validate_section
from kibitz.core.settings.sections.checks import HEADER_NAME, check_url

McpTransport = Literal["stdio", "http", "sse"]
ToolPolicy = Literal["ask", "allow", "never"]

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _check_server_name(value: object) -> str | None:
    if isinstance(value, str) and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", value):
        return (
            f"{value!r}: letters, digits, '_', '.' and '-' only (at most 64, starting with a "
            "letter or digit); the model sees it in tool names"
        )
    return None


def _check_env_names(value: object) -> str | None:
    if isinstance(value, tuple):
        for name in value:
            if isinstance(name, str) and not _ENV_NAME.match(name):
                return f"{name!r} is not an environment variable name"
    return None


def _check_header_names(value: object) -> str | None:
    if isinstance(value, tuple):
        for name in value:
            if isinstance(name, str) and not HEADER_NAME.match(name):
                return f"header name {name!r} is not a valid HTTP header name"
    return None


def _check_tool_policies(value: object) -> str | None:
    if isinstance(value, Mapping):
        for tool, policy in value.items():
            if policy not in ("ask", "allow", "never"):
                return f"tool {tool!r}: {policy!r} is not ask, allow or never"
    return None


@dataclass(frozen=True, slots=True)
class McpServer:
    """One MCP server. Its env values and header values are not here: they live in the
    keyring (kibitz.core.tools.server_secrets), one entry per name listed below."""

    SECTION: ClassVar[str] = "tools.servers"

    name: str = field(
        metadata=meta(
            "A name for this server; its tools are told apart by it.",
            nonempty=True,
            check=_check_server_name,
        )
    )
    transport: McpTransport = field(
        default="stdio",
        metadata=meta(
            "stdio (a command Kibitz starts), http (streamable HTTP) or sse (the older "
            "HTTP+SSE transport)."
        ),
    )
    command: str | None = field(default=None, metadata=meta("The program to start (stdio)."))
    args: tuple[str, ...] = field(default=(), metadata=meta("Its arguments (stdio)."))
    env_names: tuple[str, ...] = field(
        default=(),
        metadata=meta(
            "Environment variables set for it; their values are kept in the system keyring.",
            check=_check_env_names,
        ),
    )
    url: str | None = field(
        default=None, metadata=meta("The server's URL (http, sse).", check=check_url)
    )
    header_names: tuple[str, ...] = field(
        default=(),
        metadata=meta(
            "HTTP headers sent to it; their values are kept in the system keyring.",
            check=_check_header_names,
        ),
    )
    enabled: bool = field(default=True, metadata=meta("Offer this server's tools to models."))
    policy: ToolPolicy = field(
        default="ask",
        metadata=meta("Whether its tools run without asking (a destructive tool always asks)."),
    )
    tool_policies: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}),
        metadata=meta(
            "Per tool (its name on the server): ask, allow or never; overrides the server's.",
            check=_check_tool_policies,
        ),
    )

    def __post_init__(self) -> None:
        validate_section(self)
        if self.transport == "stdio" and not (self.command or "").strip():
            raise InvalidSettingError(
                f"tools.{self.name}.command", self.command, "a program to start",
                reason="a stdio server needs a command",
            )  # fmt: skip
        if self.transport in ("http", "sse") and self.url is None:
            raise InvalidSettingError(
                f"tools.{self.name}.url", None, "an http(s) URL",
                reason=f"an {self.transport} server needs a URL",
            )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ToolsSettings:
    SECTION: ClassVar[str] = "tools"

    servers: tuple[McpServer, ...] = field(
        default=(), metadata=meta("The MCP servers whose tools models may call.")
    )
    allow_read_only: bool = field(
        default=False,
        metadata=meta(
            "Run tools that declare themselves read-only without asking.",
            label="Allow read-only tools without asking",
        ),
    )
    call_timeout_s: float = field(
        default=60.0,
        metadata=meta(
            "How long one tool call may take before it is stopped and the model told.",
            min=1,
            max=3600,
            unit="s",
        ),
    )

    def __post_init__(self) -> None:
        validate_section(self)
        names = [s.name for s in self.servers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidSettingError(
                "tools.servers", duplicates, "unique server names",
                reason=f"server names must be unique; used twice: {', '.join(duplicates)}",
            )  # fmt: skip

    def server(self, name: str) -> McpServer | None:
        return next((s for s in self.servers if s.name == name), None)
