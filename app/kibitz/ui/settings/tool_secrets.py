"""Keyring work for Settings → Tools: a server's env and header values saved (moved with a
rename, dropped once no longer named), read back masked, taken away with the server and put
back by Undo, and an import's values replaced as `kibitz mcp import` replaces them.

Every function here blocks (D-Bus, an unlock prompt): the page runs them on its executor.
Values are never logged; the keyring entries are those of kibitz.core.tools.server_secrets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from kibitz.core.errors import SecretsError
from kibitz.core.secrets import SessionSecretStore, display_key
from kibitz.core.settings import Settings
from kibitz.core.settings.schema import McpServer
from kibitz.core.tools.import_config import ImportedServer
from kibitz.core.tools.server_secrets import (
    delete_unlisted_values,
    delete_values,
    env_entry,
    header_entry,
    store_server_secrets,
)

log = logging.getLogger(__name__)

# What a keyring that cannot be used leaves the user, as the providers page words it for keys.
SESSION_HINT = (
    "Keep the values in memory for this run only (they are forgotten when Kibitz quits), or "
    "start or unlock the system keyring and try again; Kibitz never writes them to a file."
)


def unusable_text(error: SecretsError) -> str:
    """The keyring failed: what happened and the two ways on."""
    first = error.headline if not error.detail else f"{error.headline}: {error.detail}"
    return f"{first.rstrip('.')}. {SESSION_HINT}"


@dataclass(frozen=True, slots=True)
class ServerValues:
    """An edited server's values: those typed now (a name left empty keeps its stored value)."""

    old: McpServer | None  # the record before the edit; None for a new server
    new: McpServer
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)


def save_values(secrets: SessionSecretStore, values: ServerValues, *, remember: bool) -> bool:
    """Store the typed values; carry the untouched ones over a rename; delete what the record
    no longer names. Whether anything in the store changed. Raises SecretsError."""
    old, new = values.old, values.new
    env, headers = dict(values.env), dict(values.headers)
    if old is not None and old.name != new.name:
        # Entries are keyed by the server's name, so the values kept follow it.
        env.update(_carried(secrets, old.name, env_entry, old.env_names, new.env_names, env))
        headers.update(
            _carried(secrets, old.name, header_entry, old.header_names, new.header_names, headers)
        )
    _store(secrets, new.name, env, headers, remember=remember)
    deleted = 0
    if old is not None:
        renamed = old.name != new.name
        stale_env = [n for n in old.env_names if renamed or n not in new.env_names]
        stale_headers = [n for n in old.header_names if renamed or n not in new.header_names]
        if stale_env or stale_headers:
            deleted = delete_values(secrets, old.name, stale_env, stale_headers)
    return bool(env or headers or deleted)


def _carried(
    secrets: SessionSecretStore,
    old_server: str,
    entry: Callable[[str, str], str],
    old_names: Sequence[str],
    new_names: Sequence[str],
    typed: Mapping[str, str],
) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in new_names:
        if name in old_names and name not in typed:
            value = secrets.get_key(entry(old_server, name))
            if value is not None:
                found[name] = value
    return found


def _store(
    secrets: SessionSecretStore,
    server: str,
    env: Mapping[str, str],
    headers: Mapping[str, str],
    *,
    remember: bool,
) -> None:
    if not (env or headers):
        return
    if remember:
        store_server_secrets(secrets, server, env=env, headers=headers)
        return
    for name, value in env.items():
        secrets.set_key(env_entry(server, name), value, remember=False)
    for name, value in headers.items():
        secrets.set_key(header_entry(server, name), value, remember=False)
    log.info("kept %d values of MCP server %r for this session", len(env) + len(headers), server)


def stored_previews(
    secrets: SessionSecretStore, server: str, env_names: Iterable[str], header_names: Iterable[str]
) -> dict[tuple[str, str], str | None]:
    """Each named value as Settings shows it ("ghp…a1b2"), or None when it is not stored, keyed
    by ("env" | "header", name). Raises SecretsError."""
    found: dict[tuple[str, str], str | None] = {}
    for name in env_names:
        value = secrets.get_key(env_entry(server, name))
        found[("env", name)] = display_key(value) if value is not None else None
    for name in header_names:
        value = secrets.get_key(header_entry(server, name))
        found[("header", name)] = display_key(value) if value is not None else None
    return found


@dataclass(frozen=True, slots=True)
class TakenValues:
    """A removed server's values, held for Undo while its notice shows: entry -> (value,
    whether it was kept in memory only), so Undo puts each back where it was."""

    server: str
    values: Mapping[str, tuple[str, bool]] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.values)


def take_values(secrets: SessionSecretStore, server: McpServer) -> TakenValues:
    """Delete every value the server names, returning them for Undo. Raises SecretsError."""
    entries = [env_entry(server.name, n) for n in server.env_names]
    entries += [header_entry(server.name, n) for n in server.header_names]
    values: dict[str, tuple[str, bool]] = {}
    for entry in entries:
        value = secrets.get_key(entry)
        if value is not None:
            values[entry] = (value, secrets.memory.get_key(entry) is not None)
    delete_values(secrets, server.name, server.env_names, server.header_names)
    return TakenValues(server.name, values)


def restore_values(secrets: SessionSecretStore, taken: TakenValues) -> None:
    """Undo of `take_values`. Raises SecretsError."""
    for entry, (value, in_memory) in taken.values.items():
        secrets.set_key(entry, value, remember=not in_memory)


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    settings: Settings
    added: tuple[str, ...]
    replaced: tuple[str, ...]


def import_servers(
    secrets: SessionSecretStore,
    settings: Settings,
    entries: Sequence[ImportedServer],
    *,
    remember: bool,
) -> ImportOutcome:
    """`settings` with these servers added, or replacing those of the same name, their values
    stored and those a replaced server no longer lists deleted (as `kibitz mcp import` does).
    Raises SecretsError at the first value the keyring refuses."""
    added: list[str] = []
    replaced: list[str] = []
    for entry in entries:
        server = entry.server
        old = settings.tools.server(server.name)
        _store(secrets, server.name, entry.env, entry.headers, remember=remember)
        if old is not None:
            delete_unlisted_values(secrets, old, entry.env, entry.headers)
            replaced.append(server.name)
        else:
            added.append(server.name)
        settings = settings.with_server(server)
    return ImportOutcome(settings, tuple(added), tuple(replaced))
