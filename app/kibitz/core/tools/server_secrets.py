"""The env values and HTTP header values of MCP servers: in the OS keyring, nowhere else.

Settings list only the names (`McpServer.env_names`, `header_names`); each value is one keyring
entry, named `mcp:<server>:env:<NAME>` or `mcp:<server>:header:<Name>`, through the same
SecretStore as API keys. Values are never written to a file or a log, and never shown in a repr.
Every call can block (D-Bus, an unlock prompt): run them off the UI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from kibitz.core import errors
from kibitz.core.secrets import SecretStore
from kibitz.core.settings.schema import McpServer

log = logging.getLogger(__name__)

_FIX_HINT = (
    "Enter the value again in Settings → Tools, or add the server again with "
    "kibitz mcp add (--env or --header)."
)


def env_entry(server: str, name: str) -> str:
    return f"mcp:{server}:env:{name}"


def header_entry(server: str, name: str) -> str:
    return f"mcp:{server}:header:{name}"


def store_server_secrets(
    store: SecretStore,
    server: str,
    *,
    env: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Keep these values for `server` (replacing any stored under the same names)."""
    for name, value in (env or {}).items():
        store.set_key(env_entry(server, name), value)
    for name, value in (headers or {}).items():
        store.set_key(header_entry(server, name), value)
    log.info(
        "stored %d env and %d header values for MCP server %r",
        len(env or {}),
        len(headers or {}),
        server,
    )


def read_env(store: SecretStore, server: McpServer) -> dict[str, str]:
    """The server's env values by name. Raises ToolServerError naming a value that is missing,
    and errors.SecretsError when the keyring cannot be used."""
    return {
        name: _read(store, server, env_entry(server.name, name), name) for name in server.env_names
    }


def read_headers(store: SecretStore, server: McpServer) -> dict[str, str]:
    """The server's HTTP header values by name; raises as `read_env` does."""
    return {
        name: _read(store, server, header_entry(server.name, name), f"header {name}")
        for name in server.header_names
    }


def delete_server_secrets(store: SecretStore, server: McpServer) -> int:
    """Remove every value the server's settings name; how many were there."""
    return delete_values(store, server.name, server.env_names, server.header_names)


def delete_values(
    store: SecretStore, server: str, env_names: Iterable[str], header_names: Iterable[str] = ()
) -> int:
    """Remove these values of `server` (those a changed record no longer names); how many
    were there."""
    entries = [env_entry(server, n) for n in env_names]
    entries += [header_entry(server, n) for n in header_names]
    deleted = sum(1 for entry in entries if store.delete_key(entry))
    log.info("deleted %d stored values of MCP server %r", deleted, server)
    return deleted


def delete_unlisted_values(
    store: SecretStore, old: McpServer, env: Mapping[str, str], headers: Mapping[str, str]
) -> int:
    """A record replaced by one with these values (an import): remove the values `old` names
    that the new one does not, which would otherwise stay in the keyring for good."""
    stale_env = [n for n in old.env_names if n not in env]
    stale_headers = [n for n in old.header_names if n not in headers]
    if not stale_env and not stale_headers:
        return 0
    return delete_values(store, old.name, stale_env, stale_headers)


def _read(store: SecretStore, server: McpServer, entry: str, label: str) -> str:
    value = store.get_key(entry)
    if value is None:
        raise errors.ToolServerError(
            f"the value of {label} is not in {store.description}",
            server=server.name,
            headline=f"The tool server {server.name!r} is missing a stored value",
            hint=_FIX_HINT,
        )
    return value
