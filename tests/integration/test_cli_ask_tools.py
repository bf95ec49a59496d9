"""`kibitz ask --tools`: the fake server calls a tool of our MCP test server (a real stdio
process named in settings.toml); each call is shown on stderr, --approve runs it, no approval
and no terminal declines it, stdout is the final reply only."""

from __future__ import annotations

import json
from pathlib import Path

from kibitz.core.tools import DECLINED_TEXT
from kibitz.core.types import ToolCallPart, ToolResultPart, ToolStatus
from tests.integration.cli_support import CliResult, cli_env, run_cli, stored, write_settings
from tests.support.fake_openai import FakeOpenAI, Reply, ToolCall
from tests.support.mcp_server import STDIO_COMMAND

TIMEOUT = 180.0  # the MCP server's first start imports the SDK on a busy machine


def with_notes_server(basedir: Path, extra: str = "") -> None:
    command, *args = STDIO_COMMAND
    write_settings(
        basedir,
        "[[tools.servers]]\n"
        'name = "notes"\n'
        f"command = {json.dumps(command)}\n"
        f"args = {json.dumps(args)}\n" + extra,
    )


def ask(basedir: Path, fake: FakeOpenAI, *args: str) -> CliResult:
    return run_cli(
        ["--basedir", str(basedir), "ask", *args],
        env=cli_env(base_url=fake.url),
        timeout=TIMEOUT,
    )


def test_an_approved_call_runs_and_stdout_is_the_final_reply(
    basedir: Path, fake_openai: FakeOpenAI
) -> None:
    with_notes_server(basedir)
    fake_openai.script(
        Reply(text="Let me look.", tool_calls=[ToolCall("lookup", {"key": "tea"})]),
        Reply(text="Tea is the value."),
    )
    result = ask(basedir, fake_openai, "--tools", "--approve", "lookup", "What is tea?")
    assert result.returncode == 0, result.describe()
    assert result.stdout == "Tea is the value.\n"
    assert 'tool: notes/lookup {"key": "tea"}' in result.stderr
    assert "tool: notes/lookup done" in result.stderr
    assert "value of tea" in result.stderr
    assert "Let me look." in result.stderr  # said before its calls: not the answer
    (conversation,) = stored(basedir)
    reply = conversation.replies[0]
    call = next(p for p in reply.parts if isinstance(p, ToolCallPart))
    outcome = next(p for p in reply.parts if isinstance(p, ToolResultPart))
    assert (call.server, call.tool) == ("notes", "lookup")
    assert (outcome.status, outcome.content) == (ToolStatus.OK, "value of tea")
    assert fake_openai.chat_requests[1].messages[-1]["content"] == "value of tea"


def test_without_approval_or_terminal_the_call_is_declined(
    basedir: Path, fake_openai: FakeOpenAI
) -> None:
    with_notes_server(basedir)
    fake_openai.script(
        Reply(tool_calls=[ToolCall("delete_note", {"note_id": "9"})], text=None),
        Reply(text="I could not delete it."),
    )
    result = ask(basedir, fake_openai, "--tools", "Delete note 9")
    assert result.returncode == 0, result.describe()
    assert result.stdout == "I could not delete it.\n"
    assert "not running notes/delete_note: no approval" in result.stderr
    assert "--approve" in result.stderr
    assert fake_openai.chat_requests[1].messages[-1]["content"] == DECLINED_TEXT
    (conversation,) = stored(basedir)
    outcome = next(p for p in conversation.replies[0].parts if isinstance(p, ToolResultPart))
    assert outcome.status is ToolStatus.DENIED


def test_approve_star_runs_every_call_and_never_policy_still_declines(
    basedir: Path, fake_openai: FakeOpenAI
) -> None:
    with_notes_server(basedir, '[tools.servers.tool_policies]\ndelete_note = "never"\n')
    fake_openai.script(
        Reply(
            tool_calls=[
                ToolCall("lookup", {"key": "x"}),
                ToolCall("delete_note", {"note_id": "1"}),
            ],
            text=None,
        ),
        Reply(text="Half done."),
    )
    result = ask(basedir, fake_openai, "--tools", "--approve", "*", "Both please")
    assert result.returncode == 0, result.describe()
    outcomes = [m["content"] for m in fake_openai.chat_requests[1].messages if m["role"] == "tool"]
    assert outcomes == ["value of x", DECLINED_TEXT]


def test_tools_without_an_enabled_server_is_refused_before_anything_is_stored(
    basedir: Path, fake_openai: FakeOpenAI
) -> None:
    result = ask(basedir, fake_openai, "--tools", "Hello")
    assert result.returncode == 2, result.describe()
    assert "no MCP server is enabled" in result.stderr
    assert "kibitz mcp add" in result.stderr
    assert stored(basedir) == []
    assert fake_openai.chat_requests == []


def test_a_server_that_cannot_start_is_named_and_the_question_goes_without_it(
    basedir: Path, fake_openai: FakeOpenAI
) -> None:
    write_settings(
        basedir,
        '[[tools.servers]]\nname = "ghost"\ncommand = "kibitz-no-such-mcp-server"\n',
    )
    fake_openai.script(Reply(text="Answered without tools."))
    result = ask(basedir, fake_openai, "--tools", "Hello")
    assert result.returncode == 0, result.describe()
    assert result.stdout == "Answered without tools.\n"
    assert "tool server ghost is not available" in result.stderr
    assert "kibitz-no-such-mcp-server" in result.stderr
    assert fake_openai.chat_requests[0].tools is None


def test_approve_needs_tools(basedir: Path, fake_openai: FakeOpenAI) -> None:
    result = ask(basedir, fake_openai, "--approve", "lookup", "Hello")
    assert result.returncode == 2
    assert "--approve needs --tools" in result.stderr
