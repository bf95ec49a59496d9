"""The `mcpServers` object other apps use (Claude Desktop, Cursor, LM Studio, Windsurf, Cline),
VS Code's `servers`, or just the mapping inside them, as McpServer records plus the env and
header values that belong in the keyring.

    {"mcpServers": {"files": {"command": "npx", "args": ["-y", "..."], "env": {"K": "v"}},
                    "remote": {"url": "https://...", "headers": {"Authorization": "..."}}}}

`type` (or `transport`) may say stdio, http, streamable-http or sse; without it, a `command`
means stdio, and a `url` streamable HTTP (SSE when its path ends in /sse). One bad entry is
reported and skipped; the others are imported.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kibitz.core import errors
from kibitz.core.settings.fields import InvalidSettingError
from kibitz.core.settings.schema import McpServer, McpTransport

_TRANSPORTS: Mapping[str, McpTransport] = {
    "stdio": "stdio",
    "http": "http",
    "streamable-http": "http",
    "streamable_http": "http",
    "streamablehttp": "http",
    "sse": "sse",
}
_NAME_OUTSIDE = re.compile(r"[^A-Za-z0-9_.-]+")
_VARIABLE = re.compile(r"\$\{(input|env|workspaceFolder|userHome)[^}]*\}")
_HINT = (
    "Give the file Claude Desktop (claude_desktop_config.json), Cursor, LM Studio or VS Code "
    "(mcp.json) keeps its MCP servers in, or its mcpServers object."
)
_EXPECTED = (
    'expected {"mcpServers": {NAME: {"command", "args", "env"} or {"url", "headers"}}}, '
    "as Claude Desktop, Cursor and LM Studio write it"
)


@dataclass(frozen=True, slots=True)
class ImportedServer:
    """One server read from the file; `env` and `headers` hold the values for the keyring."""

    server: McpServer
    source_name: str  # as the file spelled it
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    notes: tuple[str, ...] = ()  # what the user should know (renamed, a setting left out)


@dataclass(frozen=True, slots=True)
class ImportResult:
    servers: tuple[ImportedServer, ...]
    problems: tuple[str, ...]  # one line per entry that was skipped, naming it


class _EntryError(Exception):
    """One entry cannot be imported; the message says why."""


def read_mcp_config(path: Path) -> ImportResult:
    """`parse_mcp_config` of a file (UTF-8, as every app writes it)."""
    return parse_mcp_config(path.read_text(encoding="utf-8-sig"))


def parse_mcp_config(text: str) -> ImportResult:
    """The servers in `text`. Raises InvalidValueError when it is not JSON or holds no server
    mapping; a bad entry is skipped with a line in `problems`."""
    entries = _server_mapping(_load_json(text))
    servers: list[ImportedServer] = []
    problems: list[str] = []
    taken: set[str] = set()
    for source_name, entry in entries.items():
        name = _unique(sanitize_server_name(str(source_name)), taken)
        try:
            imported = _entry(name, str(source_name), entry)
        except _EntryError as exc:
            problems.append(f"{source_name!r} was skipped: {exc}")
            continue
        taken.add(name)
        servers.append(imported)
    return ImportResult(tuple(servers), tuple(problems))


def sanitize_server_name(name: str) -> str:
    """`name` within the McpServer name rule: letters, digits, `_`, `.`, `-`; at most 64,
    starting with a letter or digit."""
    cleaned = _NAME_OUTSIDE.sub("-", name.strip()).lstrip("_.-")[:64].rstrip("-")
    return cleaned or "server"


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as first:
        # VS Code's mcp.json is JSON with comments and trailing commas.
        try:
            return json.loads(_without_comments(text))
        except ValueError:
            raise errors.InvalidValueError(
                f"it is not JSON ({first})",
                headline="The MCP configuration cannot be read",
                hint=_HINT,
            ) from None


def _without_comments(text: str) -> str:
    """JSONC to JSON: // and /* */ comments, then trailing commas, removed; strings untouched."""
    comments = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.DOTALL)
    commas = re.compile(r'"(?:\\.|[^"\\])*"|,(?=\s*[}\]])')
    for token in (comments, commas):
        text = token.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)
    return text


def _server_mapping(data: Any) -> Mapping[str, Any]:
    if isinstance(data, dict):
        for key in ("mcpServers", "servers"):
            if isinstance(data.get(key), dict):
                return data[key]  # type: ignore[no-any-return]
        mcp = data.get("mcp")
        if isinstance(mcp, dict) and isinstance(mcp.get("servers"), dict):
            return mcp["servers"]  # type: ignore[no-any-return]  # VS Code's settings.json
        if data and all(
            isinstance(v, dict) and ({"command", "url", "serverUrl"} & v.keys())
            for v in data.values()
        ):
            return data  # just the inner mapping
    raise errors.InvalidValueError(
        f"no mcpServers object was found; {_EXPECTED}",
        headline="The MCP configuration cannot be read",
        hint=_HINT,
    )


def _entry(name: str, source_name: str, entry: Any) -> ImportedServer:
    if not isinstance(entry, dict):
        raise _EntryError("it is not an object with a command or a url")
    notes: list[str] = []
    if name != source_name:
        notes.append(f"imported as {name!r} (names are letters, digits, '_', '.' and '-')")
    transport = _transport(entry)
    disabled = entry.get("disabled") is True or entry.get("enabled") is False
    env = _strings(entry.get("env"), "env") if transport == "stdio" else {}
    headers = _strings(entry.get("headers"), "headers") if transport != "stdio" else {}
    for label, values in (("env", env), ("header", headers)):
        for key in [k for k, v in values.items() if not v.strip()]:
            del values[key]
            notes.append(f"{label} {key} is empty and was left out")
    for value in [*env.values(), *headers.values()]:
        if variable := _VARIABLE.search(value):
            notes.append(f"{variable.group(0)} is kept as written (Kibitz does not fill it in)")
    if transport == "stdio":
        command, args = _command(entry)
        if "cwd" in entry:
            notes.append("its cwd is not supported and was left out")
        fields: dict[str, Any] = {"command": command, "args": args, "env_names": tuple(env)}
    else:
        url = entry.get("url") or entry.get("serverUrl")
        if not isinstance(url, str) or not url.strip():
            raise _EntryError(f"a {transport} server needs a url")
        fields = {"url": url.strip(), "header_names": tuple(headers)}
    try:
        server = McpServer(name=name, transport=transport, enabled=not disabled, **fields)
    except InvalidSettingError as exc:
        raise _EntryError(exc.detail) from None
    return ImportedServer(server, source_name, env, headers, tuple(notes))


def _transport(entry: Mapping[str, Any]) -> McpTransport:
    given = entry.get("type", entry.get("transport"))
    if isinstance(given, str) and given.strip():
        found = _TRANSPORTS.get(given.strip().lower())
        if found is None:
            raise _EntryError(f"its type {given!r} is not stdio, http, streamable-http or sse")
        return found
    if "command" in entry:
        return "stdio"
    url = entry.get("url") or entry.get("serverUrl")
    if isinstance(url, str):
        return "sse" if url.rstrip("/").endswith("/sse") else "http"
    raise _EntryError("it has neither a command nor a url")


def _command(entry: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    command = entry.get("command")
    if not isinstance(command, str) or not command.strip():
        raise _EntryError("a stdio server needs a command")
    raw_args = entry.get("args", [])
    if not isinstance(raw_args, list) or not all(
        isinstance(a, str | int | float) for a in raw_args
    ):
        raise _EntryError("its args are not a list of strings")
    args = tuple(str(a) for a in raw_args)
    command = command.strip()
    if not args and " " in command and not Path(command).exists():
        # "npx -y some-server" in one string, which a shell would have split.
        command, *rest = shlex.split(command)
        args = tuple(rest)
    return command, args


def _strings(value: Any, label: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _EntryError(f"its {label} is not an object of names and values")
    out: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise _EntryError(f"its {label} value for {key!r} is not text")
        out[str(key)] = str(item)
    return out


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        suffix = f"-{n}"
        candidate, n = name[: 64 - len(suffix)] + suffix, n + 1
    return candidate
