"""Reading other apps' MCP configurations: Claude Desktop, Cursor, LM Studio, VS Code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kibitz.core import errors
from kibitz.core.tools.import_config import (
    parse_mcp_config,
    read_mcp_config,
    sanitize_server_name,
)

# As Claude Desktop's claude_desktop_config.json holds it (Cursor's and LM Studio's mcp.json
# have the same shape).
CLAUDE_DESKTOP = {
    "mcpServers": {
        "filesystem": {
            "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/me/Documents"],
        },
        "github": {
            "command": "docker",
            "args": ["run", "-i", "--rm", "-e", "GITHUB_PERSONAL_ACCESS_TOKEN", "ghcr.io/github/x"],
            "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_abcdef123456"},
        },
        "remote": {
            "url": "https://mcp.example.com/mcp",
            "headers": {"Authorization": "Bearer s3cret"},
        },
    }
}


def test_claude_desktops_servers_with_their_secrets_apart() -> None:
    result = parse_mcp_config(json.dumps(CLAUDE_DESKTOP))
    assert result.problems == ()
    files, github, remote = result.servers
    assert files.server.name == "filesystem"
    assert files.server.transport == "stdio"
    assert files.server.command == "npx"
    assert files.server.args == (
        "-y",
        "@modelcontextprotocol/server-filesystem",
        "/home/me/Documents",
    )
    assert github.server.env_names == ("GITHUB_PERSONAL_ACCESS_TOKEN",)
    assert github.env == {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_abcdef123456"}
    assert remote.server.transport == "http"
    assert remote.server.url == "https://mcp.example.com/mcp"
    assert remote.server.header_names == ("Authorization",)
    assert remote.headers == {"Authorization": "Bearer s3cret"}
    # The records that go to the settings file carry names only.
    assert "ghp_abcdef123456" not in repr(github)
    assert "s3cret" not in repr(result)


def test_the_inner_mapping_alone_is_accepted_too() -> None:
    result = parse_mcp_config(json.dumps(CLAUDE_DESKTOP["mcpServers"]))
    assert [s.server.name for s in result.servers] == ["filesystem", "github", "remote"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"type": "stdio", "command": "uvx", "args": ["mcp-server-time"]}, "stdio"),
        ({"type": "http", "url": "https://a.example/mcp"}, "http"),
        ({"type": "streamable-http", "url": "https://a.example/mcp"}, "http"),
        ({"transport": "streamableHttp", "url": "https://a.example/mcp"}, "http"),
        ({"type": "sse", "url": "https://a.example/events"}, "sse"),
        ({"url": "https://a.example/sse"}, "sse"),
        ({"serverUrl": "https://a.example/mcp"}, "http"),
    ],
)
def test_transports_by_type_or_by_shape(given: dict[str, object], expected: str) -> None:
    (imported,) = parse_mcp_config(json.dumps({"mcpServers": {"s": given}})).servers
    assert imported.server.transport == expected


def test_vs_codes_servers_in_json_with_comments() -> None:
    text = """{
      // VS Code's .vscode/mcp.json
      "inputs": [{"type": "promptString", "id": "token", "password": true}],
      "servers": {
        "fetch": {"type": "stdio", "command": "uvx", "args": ["mcp-server-fetch"],},
        "api": {"type": "http", "url": "https://api.example/mcp",
                "headers": {"Authorization": "Bearer ${input:token}"}}, /* trailing comma */
      },
    }"""
    result = parse_mcp_config(text)
    assert [s.server.name for s in result.servers] == ["fetch", "api"]
    api = result.servers[1]
    assert api.notes == ("${input:token} is kept as written (Kibitz does not fill it in)",)


def test_one_bad_entry_is_skipped_and_named_the_others_imported() -> None:
    config = {
        "mcpServers": {
            "good": {"command": "npx", "args": ["x"]},
            "no-way-in": {"args": ["x"]},
            "odd-type": {"type": "websocket", "url": "wss://a.example"},
            "bad-env": {"command": "npx", "env": {"1ST": "x"}},
            "bad-url": {"url": "ftp://files.example"},
            "not-an-object": ["npx"],
        }
    }
    result = parse_mcp_config(json.dumps(config))
    assert [s.server.name for s in result.servers] == ["good"]
    assert result.problems == (
        "'no-way-in' was skipped: it has neither a command nor a url",
        "'odd-type' was skipped: its type 'websocket' is not stdio, http, streamable-http or sse",
        "'bad-env' was skipped: '1ST' is not an environment variable name",
        "'bad-url' was skipped: 'ftp://files.example' is not an http(s) URL",
        "'not-an-object' was skipped: it is not an object with a command or a url",
    )


def test_names_are_made_valid_and_kept_apart() -> None:
    config = {"mcpServers": {"My Files!": {"command": "a"}, "My Files?": {"command": "b"}}}
    first, second = parse_mcp_config(json.dumps(config)).servers
    assert (first.server.name, second.server.name) == ("My-Files", "My-Files-2")
    assert first.source_name == "My Files!"
    assert first.notes[0].startswith("imported as 'My-Files'")
    assert sanitize_server_name("  __weird//name.. ") == "weird-name.."
    assert sanitize_server_name("!!!") == "server"
    assert len(sanitize_server_name("x" * 100)) == 64


def test_disabled_servers_stay_disabled_and_empty_values_are_left_out() -> None:
    config = {"mcpServers": {"s": {"command": "a", "disabled": True, "env": {"A": "", "B": 2}}}}
    (imported,) = parse_mcp_config(json.dumps(config)).servers
    assert not imported.server.enabled
    assert imported.env == {"B": "2"}
    assert imported.notes == ("env A is empty and was left out",)


def test_a_command_given_as_one_string_is_split() -> None:
    config = {"mcpServers": {"s": {"command": "npx -y @scope/server"}}}
    (imported,) = parse_mcp_config(json.dumps(config)).servers
    assert (imported.server.command, imported.server.args) == ("npx", ("-y", "@scope/server"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "it is not JSON"),
        ('{"theme": "dark"}', "no mcpServers object was found"),
        ("[1, 2]", "no mcpServers object was found"),
    ],
)
def test_text_that_holds_no_servers_is_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(errors.InvalidValueError, match=message) as caught:
        parse_mcp_config(text)
    assert caught.value.headline == "The MCP configuration cannot be read"


def test_a_file_is_read_as_utf8_with_or_without_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "claude_desktop_config.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(CLAUDE_DESKTOP).encode())
    assert len(read_mcp_config(path).servers) == 3
