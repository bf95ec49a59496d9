"""Env and header values of MCP servers, through the SecretStore (here the memory store)."""

from __future__ import annotations

import pytest

from kibitz.core import errors
from kibitz.core.secrets import MemorySecretStore
from kibitz.core.settings.schema import McpServer
from kibitz.core.tools.server_secrets import (
    delete_server_secrets,
    env_entry,
    header_entry,
    read_env,
    read_headers,
    store_server_secrets,
)

GITHUB = McpServer(name="github", command="npx", env_names=("GITHUB_TOKEN", "LOG_LEVEL"))
REMOTE = McpServer(
    name="remote",
    transport="http",
    url="https://mcp.example.com/mcp",
    header_names=("Authorization",),
)


def test_values_are_kept_under_one_entry_each() -> None:
    store = MemorySecretStore()
    store_server_secrets(store, "github", env={"GITHUB_TOKEN": "ghp_1234", "LOG_LEVEL": "debug"})
    store_server_secrets(store, "remote", headers={"Authorization": "Bearer abc"})
    assert store.get_key("mcp:github:env:GITHUB_TOKEN") == "ghp_1234"
    assert env_entry("github", "LOG_LEVEL") == "mcp:github:env:LOG_LEVEL"
    assert store.get_key(header_entry("remote", "Authorization")) == "Bearer abc"
    assert read_env(store, GITHUB) == {"GITHUB_TOKEN": "ghp_1234", "LOG_LEVEL": "debug"}
    assert read_headers(store, REMOTE) == {"Authorization": "Bearer abc"}
    assert read_headers(store, GITHUB) == {}


def test_a_missing_value_names_the_variable_and_the_server() -> None:
    store = MemorySecretStore()
    store_server_secrets(store, "github", env={"GITHUB_TOKEN": "ghp_1234"})
    with pytest.raises(errors.ToolServerError) as caught:
        read_env(store, GITHUB)
    assert caught.value.server == "github"
    assert "LOG_LEVEL is not in memory only" in caught.value.lines()[0]


def test_removing_a_server_removes_all_its_values_and_no_others() -> None:
    store = MemorySecretStore()
    store_server_secrets(store, "github", env={"GITHUB_TOKEN": "ghp_1234", "LOG_LEVEL": "debug"})
    store_server_secrets(store, "remote", headers={"Authorization": "Bearer abc"})
    assert delete_server_secrets(store, GITHUB) == 2
    assert store.get_key(env_entry("github", "GITHUB_TOKEN")) is None
    assert read_headers(store, REMOTE) == {"Authorization": "Bearer abc"}
    assert delete_server_secrets(store, GITHUB) == 0


def test_values_never_show_in_the_stores_repr() -> None:
    store = MemorySecretStore()
    store_server_secrets(store, "github", env={"GITHUB_TOKEN": "ghp_secret_value"})
    assert "ghp_secret_value" not in repr(store)
