"""`kibitz mcp add|list|remove|import`: the MCP tool servers of the settings.

Env values and header values go to the OS keyring (kibitz.core.tools.server_secrets), never to
the settings file; a missing keyring gives the same error as `kibitz key set`. `list` connects
to every enabled server to show its tools; a server that fails is listed with its error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kibitz.cli.commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliContext, report, say
from kibitz.core import errors
from kibitz.core.secrets import KeyringSecretStore, SecretStore
from kibitz.core.settings import Settings, save_settings
from kibitz.core.settings.fields import InvalidSettingError
from kibitz.core.settings.schema import McpServer
from kibitz.core.tools import ServerState, ServerStatus

if TYPE_CHECKING:
    from kibitz.core.tools.import_config import ImportedServer

_ADD_USAGE = (
    "Usage: kibitz mcp add NAME [--env KEY=VALUE]... -- COMMAND [ARG...]",
    "   or: kibitz mcp add NAME --url URL [--header 'Name: value']... [--sse]",
)


def run(context: CliContext, args: argparse.Namespace) -> int:
    handlers = {"add": _add, "list": _list, "remove": _remove, "import": _import}
    return handlers[args.mcp_command](context, args)


# -- add -----------------------------------------------------------------------------------------


def _add(context: CliContext, args: argparse.Namespace) -> int:
    command = list(args.server_command)
    problem = _add_problem(args, command)
    if problem:
        say(problem, *_ADD_USAGE)
        return EXIT_USAGE
    try:
        env = _pairs(args.env, "=", "--env", "KEY=VALUE")
        headers = _pairs(args.header, ":", "--header", "'Name: value'")
        server = McpServer(
            name=args.name,
            transport=("sse" if args.sse else "http") if args.url else "stdio",
            command=command[0] if command else None,
            args=tuple(command[1:]),
            env_names=tuple(env),
            url=args.url,
            header_names=tuple(headers),
        )
    except (ValueError, InvalidSettingError) as exc:
        say(exc.detail if isinstance(exc, InvalidSettingError) else str(exc), *_ADD_USAGE)
        return EXIT_USAGE
    if context.settings.tools.server(server.name) is not None:
        say(
            f"There is already an MCP server named {server.name!r}.",
            f"Remove it first (kibitz mcp remove {server.name}), or choose another name.",
        )
        return EXIT_FAILED
    if env or headers:
        from kibitz.core.tools.server_secrets import store_server_secrets

        secrets = KeyringSecretStore()
        store_server_secrets(secrets, server.name, env=env, headers=headers)
    _save(context, context.settings.with_server(server))
    kept = ""
    if env or headers:
        kept = f"; {_count(len(env) + len(headers), 'value')} kept in the system keyring"
    say(f"Added the MCP server {server.name!r} ({_where(server)}){kept}.")
    say("See its tools with: kibitz mcp list")
    return EXIT_OK


def _add_problem(args: argparse.Namespace, command: Sequence[str]) -> str | None:
    if args.url and command:
        return "Give either a command (after --) or --url, not both."
    if not args.url and not command:
        return "Give the server's command after --, or its --url."
    if args.url and args.env:
        return "--env is for servers Kibitz starts (a command); an HTTP server takes --header."
    if not args.url and (args.header or args.sse):
        return "--header and --sse go with --url."
    return None


def _pairs(items: Sequence[str], separator: str, option: str, shape: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition(separator)
        if not sep or not name.strip() or not value.strip():
            raise ValueError(f"{option} {item!r} is not {shape}")
        found[name.strip()] = value.strip() if separator == ":" else value
    return found


# -- list ----------------------------------------------------------------------------------------


def _list(context: CliContext, args: argparse.Namespace) -> int:
    servers = context.settings.tools.servers
    statuses = asyncio.run(_check_all(context)) if servers else []
    if args.json:
        rows = [_row(s, status) for s, status in zip(servers, statuses, strict=True)]
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    if not servers:
        say("No MCP servers yet. Add one with: kibitz mcp add NAME -- COMMAND [ARG...]")
        return EXIT_OK
    for i, (server, status) in enumerate(zip(servers, statuses, strict=True)):
        if i:
            print()
        _print_server(server, status)
    return EXIT_OK


async def _check_all(context: CliContext) -> list[ServerStatus]:
    from kibitz.core.tools.mcp import ToolHub

    async with ToolHub(context.settings.tools, KeyringSecretStore()) as hub:
        return list(
            await asyncio.gather(*(hub.check(s.name) for s in context.settings.tools.servers))
        )


def _print_server(server: McpServer, status: ServerStatus) -> None:
    policy = f", policy {server.policy}" if server.policy != "ask" else ""
    print(f"{server.name}  {status.state.value}  {_where(server)}{policy}")
    if status.error:
        for line in status.error.splitlines():
            print(f"  {line}")
    if status.state is ServerState.READY and not status.tools:
        print("  (no tools)")
    width = max((len(t.function) for t in status.tools), default=0)
    for tool in status.tools:
        marks = [
            m for m, on in (("read-only", tool.read_only), ("destructive", tool.destructive)) if on
        ]
        own = server.tool_policies.get(tool.name)
        if own:
            marks.append(f"policy {own}")
        about = (tool.description or tool.title or "").strip().splitlines()
        text = about[0] if about else ""
        if len(text) > 70:
            text = text[:69] + "…"
        tail = f"  [{', '.join(marks)}]" if marks else ""
        print(f"  {tool.function:<{width}}  {text}{tail}".rstrip())


def _row(server: McpServer, status: ServerStatus) -> dict[str, Any]:
    return {
        "name": server.name,
        "transport": server.transport,
        "enabled": server.enabled,
        "command": server.command,
        "args": list(server.args),
        "url": server.url,
        "env_names": list(server.env_names),
        "header_names": list(server.header_names),
        "policy": server.policy,
        "tool_policies": dict(server.tool_policies),
        "state": status.state.value,
        "error": status.error,
        "stderr_tail": status.stderr_tail if status.state is ServerState.FAILED else "",
        "tools": [
            {
                "name": t.name,
                "function": t.function,
                "title": t.title,
                "description": t.description,
                "read_only": t.read_only,
                "destructive": t.destructive,
                "input_schema": dict(t.input_schema),
            }
            for t in status.tools
        ],
    }


# -- remove --------------------------------------------------------------------------------------


def _remove(context: CliContext, args: argparse.Namespace) -> int:
    server = context.settings.tools.server(args.name)
    if server is None:
        say(f"There is no MCP server named {args.name!r}.", "See them with: kibitz mcp list")
        return EXIT_FAILED
    _save(context, context.settings.without_server(server.name))
    if not (server.env_names or server.header_names):
        say(f"Removed the MCP server {server.name!r}.")
        return EXIT_OK
    from kibitz.core.tools.server_secrets import delete_server_secrets

    secrets = KeyringSecretStore()
    try:
        deleted = delete_server_secrets(secrets, server)
    except errors.SecretsError as exc:
        say(f"Removed the MCP server {server.name!r}, but not its values in the keyring:")
        report(exc)
        return EXIT_FAILED
    say(f"Removed the MCP server {server.name!r} and {_count(deleted, 'value')} of it "
        f"from {secrets.description}.")  # fmt: skip
    return EXIT_OK


# -- import --------------------------------------------------------------------------------------


def _import(context: CliContext, args: argparse.Namespace) -> int:
    from kibitz.core.tools.import_config import parse_mcp_config

    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8-sig")
    result = parse_mcp_config(text)
    for problem in result.problems:
        say(problem)
    settings = context.settings
    secrets: SecretStore = KeyringSecretStore()
    keyring_error: errors.SecretsError | None = None
    imported = 0
    for entry in result.servers:
        server = entry.server
        try:
            _replace_secrets(secrets, settings.tools.server(server.name), entry)
        except errors.SecretsError as exc:
            say(f"{entry.source_name!r} was skipped: its values need the system keyring")
            keyring_error = exc
            continue
        replaced = settings.tools.server(server.name) is not None
        settings = settings.with_server(server)
        imported += 1
        verb = "Replaced" if replaced else "Imported"
        say(f"{verb} the MCP server {server.name!r} ({_where(server)})", *entry.notes)
    if imported:
        _save(context, settings)
        say("See their tools with: kibitz mcp list")
    if keyring_error is not None:
        report(keyring_error)
    if not result.servers and not result.problems:
        say("The file lists no MCP servers.")
    # Anything left out (a bad entry, no keyring for its values) makes the import a failure.
    return EXIT_FAILED if result.problems or keyring_error is not None else EXIT_OK


def _replace_secrets(secrets: SecretStore, old: McpServer | None, entry: ImportedServer) -> None:
    from kibitz.core.tools.server_secrets import delete_unlisted_values, store_server_secrets

    if entry.env or entry.headers:
        store_server_secrets(secrets, entry.server.name, env=entry.env, headers=entry.headers)
    if old is not None:
        delete_unlisted_values(secrets, old, entry.env, entry.headers)


# -- shared --------------------------------------------------------------------------------------


def _save(context: CliContext, settings: Settings) -> None:
    save_settings(context.paths.settings_file, settings)
    context.settings = settings


def _where(server: McpServer) -> str:
    if server.transport == "stdio":
        shown = " ".join([server.command or "", *server.args])
        if len(shown) > 80:
            shown = shown[:79] + "…"
        return f"stdio: {shown}"
    return f"{server.transport}: {server.url}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
