"""`kibitz mcp add|list|remove|import` as a real process, against our own test MCP server.

Tests marked `keyring` use the private Secret Service of tests/run.sh (skipped elsewhere): env
and header values go there, never into a file under the data folder.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from kibitz.core.secrets import KeyringSecretStore
from kibitz.core.settings import load_settings
from kibitz.core.tools.mcp import ToolHub
from kibitz.core.tools.server_secrets import env_entry, header_entry
from tests.integration.cli_support import CliResult, cli_env, run_cli
from tests.support.mcp_server import STDIO_COMMAND

NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
SECRET = "tok-9f8e7d6c5b4a3921"


def kibitz(basedir: Path, *args: str, input: str | None = None, **env: str) -> CliResult:
    return run_cli(["--basedir", str(basedir), *args], env=cli_env(extra=env), input=input)


def settings_file(basedir: Path) -> Path:
    return basedir / "config" / "settings.toml"


def stored_servers(basedir: Path) -> list[dict[str, object]]:
    path = settings_file(basedir)
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    servers: list[dict[str, object]] = data.get("tools", {}).get("servers", [])
    return servers


def files_holding(root: Path, secret: str) -> list[Path]:
    needle = secret.encode()
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_add_list_and_remove_a_stdio_server(basedir: Path) -> None:
    assert kibitz(basedir, "mcp", "list").messages == [
        "kibitz: No MCP servers yet. Add one with: kibitz mcp add NAME -- COMMAND [ARG...]"
    ]

    added = kibitz(basedir, "mcp", "add", "notes", "--", *STDIO_COMMAND)
    assert added.returncode == 0, added.describe()
    shown = " ".join(STDIO_COMMAND)
    assert added.messages == [
        f"kibitz: Added the MCP server 'notes' (stdio: {shown}).",
        "kibitz: See its tools with: kibitz mcp list",
    ]
    (server,) = stored_servers(basedir)
    assert server["command"] == sys.executable
    assert server["args"] == list(STDIO_COMMAND[1:])

    listed = kibitz(basedir, "mcp", "list")
    assert listed.returncode == 0, listed.describe()
    lines = listed.stdout.splitlines()
    assert lines[0] == f"notes  ready  stdio: {shown}"
    assert any(
        line.split() == ["lookup", "Look", "a", "key", "up", "(changes", "nothing).", "[read-only]"]
        for line in lines
    )
    assert any(line.strip().endswith("[destructive]") and "delete_note" in line for line in lines)

    as_json = kibitz(basedir, "mcp", "list", "--json")
    assert as_json.returncode == 0, as_json.describe()
    (row,) = json.loads(as_json.stdout)
    assert (row["name"], row["state"], row["error"]) == ("notes", "ready", None)
    tools = {t["name"]: t for t in row["tools"]}
    assert tools["lookup"]["read_only"] is True
    assert tools["delete_note"]["destructive"] is True
    assert tools["lookup"]["input_schema"]["required"] == ["key"]

    removed = kibitz(basedir, "mcp", "remove", "notes")
    assert removed.returncode == 0, removed.describe()
    assert removed.messages == ["kibitz: Removed the MCP server 'notes'."]
    assert stored_servers(basedir) == []


def test_list_shows_each_failing_server_with_its_error_and_exits_0(basedir: Path) -> None:
    for args in (
        ("ok", "--", *STDIO_COMMAND),
        ("files", "--", "npx-not-installed-here", "-y", "@scope/files"),
        ("remote", "--url", "http://127.0.0.1:9/mcp"),
    ):
        assert kibitz(basedir, "mcp", "add", *args).returncode == 0

    listed = kibitz(basedir, "mcp", "list")
    assert listed.returncode == 0, listed.describe()
    blocks = listed.stdout.split("\n\n")
    assert blocks[0].startswith("ok  ready  stdio: ")
    assert blocks[1].splitlines() == [
        "files  failed  stdio: npx-not-installed-here -y @scope/files",
        "  The tool server 'files' could not be started: `npx-not-installed-here` was not "
        "found on PATH",
        "  Install it, or give its full path in Settings → Tools.",
    ]
    remote = blocks[2].splitlines()
    assert remote[0] == "remote  failed  http: http://127.0.0.1:9/mcp"
    assert remote[1].startswith(
        "  The tool server 'remote' could not be reached: the connection to "
        "http://127.0.0.1:9/mcp was refused"
    )

    rows = json.loads(kibitz(basedir, "mcp", "list", "--json").stdout)
    assert [(r["name"], r["state"]) for r in rows] == [
        ("ok", "ready"),
        ("files", "failed"),
        ("remote", "failed"),
    ]
    assert rows[1]["tools"] == []
    assert "was not found on PATH" in rows[1]["error"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("s",), "kibitz: Give the server's command after --, or its --url."),
        (
            ("s", "--url", "http://127.0.0.1:9/mcp", "--", "npx"),
            "kibitz: Give either a command (after --) or --url, not both.",
        ),
        (
            ("s", "--url", "http://127.0.0.1:9/mcp", "--env", "A=b"),
            "kibitz: --env is for servers Kibitz starts (a command); an HTTP server takes "
            "--header.",
        ),
        (("s", "--sse", "--", "npx"), "kibitz: --header and --sse go with --url."),
        (("s", "--env", "NOEQUALS", "--", "npx"), "kibitz: --env 'NOEQUALS' is not KEY=VALUE"),
        (
            ("s", "--url", "http://a.example", "--header", "Authorization"),
            "kibitz: --header 'Authorization' is not 'Name: value'",
        ),
        (
            ("my server", "--", "npx"),
            "kibitz: 'my server': letters, digits, '_', '.' and '-' only (at most 64, starting "
            "with a letter or digit); the model sees it in tool names",
        ),
        (("s", "--url", "ftp://a.example"), "kibitz: 'ftp://a.example' is not an http(s) URL"),
        (("s", "--env", "1A=b", "--", "npx"), "kibitz: '1A' is not an environment variable name"),
    ],
)
def test_bad_usage_is_explained_with_exit_2(
    basedir: Path, args: tuple[str, ...], message: str
) -> None:
    result = kibitz(basedir, "mcp", "add", *args)
    assert result.returncode == 2, result.describe()
    assert result.messages[0] == message
    assert stored_servers(basedir) == []


def test_a_name_taken_or_unknown_is_refused(basedir: Path) -> None:
    assert kibitz(basedir, "mcp", "add", "s", "--", "npx").returncode == 0
    again = kibitz(basedir, "mcp", "add", "s", "--", "uvx")
    assert again.returncode == 1
    assert again.messages == [
        "kibitz: There is already an MCP server named 's'.",
        "  Remove it first (kibitz mcp remove s), or choose another name.",
    ]
    unknown = kibitz(basedir, "mcp", "remove", "nope")
    assert unknown.returncode == 1
    assert unknown.messages == [
        "kibitz: There is no MCP server named 'nope'.",
        "  See them with: kibitz mcp list",
    ]


def test_secrets_without_a_keyring_give_the_same_error_as_key_set(basedir: Path) -> None:
    key_set = kibitz(basedir, "key", "set", input="sk-0123456789abcdef0123\n", **NO_KEYRING)
    added = kibitz(
        basedir, "mcp", "add", "gh", "--env", f"TOKEN={SECRET}", "--", "npx", **NO_KEYRING
    )
    assert added.returncode == key_set.returncode == 1
    assert added.messages == key_set.messages
    assert added.messages[0].startswith("kibitz: No system keyring is available")
    assert stored_servers(basedir) == []
    assert files_holding(basedir, SECRET) == []


def test_import_a_claude_desktop_file_and_stdin(basedir: Path, tmp_path: Path) -> None:
    config = {
        "mcpServers": {
            "notes": {"command": STDIO_COMMAND[0], "args": list(STDIO_COMMAND[1:])},
            "remote api": {"url": "http://127.0.0.1:9/mcp"},
            "broken": {"args": ["x"]},
        }
    }
    path = tmp_path / "claude_desktop_config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    result = kibitz(basedir, "mcp", "import", str(path))
    assert result.returncode == 1, result.describe()  # one entry was left out
    assert result.messages == [
        "kibitz: 'broken' was skipped: it has neither a command nor a url",
        f"kibitz: Imported the MCP server 'notes' (stdio: {' '.join(STDIO_COMMAND)})",
        "kibitz: Imported the MCP server 'remote-api' (http: http://127.0.0.1:9/mcp)",
        "  imported as 'remote-api' (names are letters, digits, '_', '.' and '-')",
        "kibitz: See their tools with: kibitz mcp list",
    ]
    assert [s["name"] for s in stored_servers(basedir)] == ["notes", "remote-api"]

    only_good = {"mcpServers": {"notes": config["mcpServers"]["notes"]}}
    piped = kibitz(basedir, "mcp", "import", "-", input=json.dumps(only_good))
    assert piped.returncode == 0, piped.describe()
    assert piped.messages[0] == (
        f"kibitz: Replaced the MCP server 'notes' (stdio: {' '.join(STDIO_COMMAND)})"
    )
    assert [s["name"] for s in stored_servers(basedir)] == ["notes", "remote-api"]

    not_json = kibitz(basedir, "mcp", "import", "-", input="mcpServers: yes")
    assert not_json.returncode == 1
    assert not_json.messages[0].startswith(
        "kibitz: The MCP configuration cannot be read: it is not JSON"
    )
    missing = kibitz(basedir, "mcp", "import", str(tmp_path / "nope.json"))
    assert missing.returncode == 1
    assert missing.messages[0] == f"kibitz: No such file or directory: {tmp_path / 'nope.json'}"


# -- with the real Secret Service ----------------------------------------------------------------


@pytest.fixture
def keyring_store() -> Iterator[KeyringSecretStore]:
    """The test session's throwaway keyring, left without our entries whatever happens."""
    store = KeyringSecretStore()
    yield store
    for entry in (
        env_entry("notes", "API_TOKEN"),
        env_entry("notes", "OLD_TOKEN"),
        header_entry("remote", "Authorization"),
    ):
        store.delete_key(entry)


@pytest.mark.keyring
def test_env_values_go_to_the_keyring_and_reach_the_server(
    basedir: Path, keyring_store: KeyringSecretStore
) -> None:
    added = kibitz(
        basedir, "mcp", "add", "notes", "--env", f"API_TOKEN={SECRET}", "--", *STDIO_COMMAND
    )
    assert added.returncode == 0, added.describe()
    assert added.messages[0].endswith("; 1 value kept in the system keyring.")
    assert keyring_store.get_key("mcp:notes:env:API_TOKEN") == SECRET
    (server,) = stored_servers(basedir)
    assert server["env_names"] == ["API_TOKEN"]
    assert kibitz(basedir, "mcp", "list").stdout.startswith("notes  ready")

    # The value reaches the server process through the hub, as the app and `ask` run it.
    settings = load_settings(settings_file(basedir)).settings

    async def env_value() -> str:
        async with ToolHub(settings.tools, keyring_store) as hub:
            tools = {t.name: t for t in await hub.tools()}
            return (await hub.call(tools["env_value"], {"name": "API_TOKEN"})).text

    assert asyncio.run(asyncio.wait_for(env_value(), 60)) == SECRET
    assert files_holding(basedir, SECRET) == []

    removed = kibitz(basedir, "mcp", "remove", "notes")
    assert removed.returncode == 0, removed.describe()
    assert removed.messages == [
        "kibitz: Removed the MCP server 'notes' and 1 value of it from the system keyring."
    ]
    assert keyring_store.get_key("mcp:notes:env:API_TOKEN") is None


@pytest.mark.keyring
def test_import_keeps_values_in_the_keyring_and_drops_stale_ones(
    basedir: Path, tmp_path: Path, keyring_store: KeyringSecretStore
) -> None:
    first = {
        "mcpServers": {
            "notes": {"command": "npx", "env": {"API_TOKEN": SECRET, "OLD_TOKEN": "old-123"}},
            "remote": {
                "type": "http",
                "url": "https://mcp.example.com/mcp",
                "headers": {"Authorization": f"Bearer {SECRET}"},
            },
        }
    }
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps(first), encoding="utf-8")
    result = kibitz(basedir, "mcp", "import", str(path))
    assert result.returncode == 0, result.describe()
    assert keyring_store.get_key(env_entry("notes", "OLD_TOKEN")) == "old-123"
    assert keyring_store.get_key(header_entry("remote", "Authorization")) == f"Bearer {SECRET}"
    assert files_holding(basedir, SECRET) == []

    second = {"mcpServers": {"notes": {"command": "npx", "env": {"API_TOKEN": SECRET}}}}
    path.write_text(json.dumps(second), encoding="utf-8")
    assert kibitz(basedir, "mcp", "import", str(path)).returncode == 0
    assert keyring_store.get_key(env_entry("notes", "API_TOKEN")) == SECRET
    assert keyring_store.get_key(env_entry("notes", "OLD_TOKEN")) is None
