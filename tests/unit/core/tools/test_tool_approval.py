"""Which calls run without asking: per-tool over per-server policy, never, and the tool's hints."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from kibitz.core import errors
from kibitz.core.settings.schema import McpServer, Settings, ToolsSettings
from kibitz.core.tools import Policy, ToolSpec
from kibitz.core.tools.approval import (
    can_always_allow,
    decide,
    remember_always_allow,
    with_tool_policy,
)

PLAIN = ToolSpec("files", "write_file", "write_file")
READ_ONLY = ToolSpec("files", "read_file", "read_file", read_only=True)
DESTRUCTIVE = ToolSpec("files", "delete_file", "delete_file", destructive=True)


def server(policy: str = "ask", **tools: str) -> McpServer:
    return McpServer(
        name="files",
        command="npx",
        policy=policy,  # type: ignore[arg-type]
        tool_policies=MappingProxyType(tools),
    )


def settings(allow_read_only: bool = False) -> ToolsSettings:
    return ToolsSettings(allow_read_only=allow_read_only)


def test_by_default_every_call_asks() -> None:
    for spec in (PLAIN, READ_ONLY, DESTRUCTIVE):
        assert decide(spec, server(), settings()) is Policy.ASK


def test_read_only_tools_run_without_asking_when_the_user_allowed_them() -> None:
    assert decide(READ_ONLY, server(), settings(allow_read_only=True)) is Policy.ALLOW
    assert decide(PLAIN, server(), settings(allow_read_only=True)) is Policy.ASK


def test_a_trusted_server_runs_its_tools_except_destructive_ones() -> None:
    trusted = server("allow")
    assert decide(PLAIN, trusted, settings()) is Policy.ALLOW
    assert decide(READ_ONLY, trusted, settings()) is Policy.ALLOW
    assert decide(DESTRUCTIVE, trusted, settings()) is Policy.ASK


def test_a_destructive_tool_asks_even_when_allowed_by_name() -> None:
    assert decide(DESTRUCTIVE, server(delete_file="allow"), settings()) is Policy.ASK
    assert not can_always_allow(DESTRUCTIVE)
    assert can_always_allow(PLAIN)


def test_never_wins_over_everything() -> None:
    assert decide(DESTRUCTIVE, server("never"), settings()) is Policy.NEVER
    assert decide(READ_ONLY, server("never"), settings(allow_read_only=True)) is Policy.NEVER
    assert decide(PLAIN, server("allow", write_file="never"), settings()) is Policy.NEVER


def test_a_tools_own_policy_overrides_its_servers() -> None:
    assert decide(PLAIN, server("never", write_file="allow"), settings()) is Policy.ALLOW
    assert decide(PLAIN, server("allow", write_file="ask"), settings()) is Policy.ASK
    # The user said "ask" for this one tool: read-only or not, it asks.
    assert decide(READ_ONLY, server(read_file="ask"), settings(True)) is Policy.ASK


def test_always_allow_is_remembered_for_that_tool_only() -> None:
    before = Settings().with_server(server(read_file="never"))
    after = remember_always_allow(before, PLAIN)
    stored = after.tools.server("files")
    assert stored is not None
    assert dict(stored.tool_policies) == {"read_file": "never", "write_file": "allow"}
    assert decide(PLAIN, stored, after.tools) is Policy.ALLOW
    assert before.tools.server("files") == server(read_file="never")  # settings are values


def test_a_tool_policy_can_be_cleared_back_to_the_servers() -> None:
    start = Settings().with_server(server(write_file="allow"))
    cleared = with_tool_policy(start, PLAIN, None)
    stored = cleared.tools.server("files")
    assert stored is not None
    assert dict(stored.tool_policies) == {}


def test_remembering_for_a_server_that_is_gone_says_so() -> None:
    with pytest.raises(errors.InvalidValueError, match="no tool server named 'files'"):
        remember_always_allow(Settings(), PLAIN)
