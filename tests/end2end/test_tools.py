"""Tools in the running app on Xvfb: a settings file names our stdio MCP test server; a typed
question leads to a tool call whose approval card is answered with a real Return (the result
goes back to the fake server and the final reply is stored), and a second call answered with
a real Escape is declined (the model is told so).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kibitz.core.settings import Settings, save_settings
from kibitz.core.tools import DECLINED_TEXT
from kibitz.core.types import MessageStatus, TextPart, ToolCallPart, ToolResultPart, ToolStatus
from kibitz.ui.views.tool_approval import ARMING_S
from tests.end2end.app_driver import RunningApp, query, running_app, wait_for
from tests.end2end.app_driver import display_env as environment
from tests.integration.cli_support import stored
from tests.support.fake_openai import FakeOpenAI, Reply, ToolCall
from tests.support.mcp_server import stdio_server

pytestmark = pytest.mark.display

# The server's first start imports the SDK in a fresh process on a busy machine.
CALL_TIMEOUT_S = 90.0


def calls_stored(basedir: Path) -> int:
    rows = query(basedir, "SELECT count(*) AS n FROM message_parts WHERE type = 'tool_call'")
    return int(rows[0]["n"]) if rows else 0


def replies_done(basedir: Path) -> int:
    rows = query(
        basedir,
        "SELECT count(*) AS n FROM messages WHERE role = 'assistant' AND status != 'streaming'",
    )
    return int(rows[0]["n"]) if rows else 0


def answer_the_card(app: RunningApp, basedir: Path, calls: int, key: str) -> None:
    """Wait until the reply's call number `calls` is stored (its card shows at once), let the
    card take keys, and press `key`."""
    wait_for(lambda: calls_stored(basedir) >= calls, f"tool call {calls}", CALL_TIMEOUT_S)
    time.sleep(ARMING_S + 0.5)
    app.key(key)


def test_a_call_approved_with_return_and_one_declined_with_escape(
    basedir: Path, tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    # No title request: it would take the next scripted reply.
    settings = Settings().with_value("chat.auto_title", False).with_server(stdio_server("notes"))
    save_settings(basedir / "config" / "settings.toml", settings)
    fake_openai.script(
        Reply(text="Let me check.", tool_calls=[ToolCall("lookup", {"key": "release"})]),
        Reply(text="The release is value of release."),
        Reply(tool_calls=[ToolCall("delete_note", {"note_id": "n-1"})]),
        Reply(text="I left note n-1 alone."),
    )
    env = environment(base_url=fake_openai.url)
    with running_app(basedir, env, tmp_path / "logs") as app:
        app.send("When is the release?")
        answer_the_card(app, basedir, 1, "Return")
        wait_for(lambda: replies_done(basedir) >= 1, "the first answer", CALL_TIMEOUT_S)
        app.screenshot("tools-answered")

        app.send("Delete note n-1")  # the keyboard went back to the composer
        answer_the_card(app, basedir, 2, "Escape")
        wait_for(lambda: replies_done(basedir) >= 2, "the second answer", CALL_TIMEOUT_S)
        assert app.close() == 0, app.output
    assert "Traceback" not in app.output, app.output

    (chat,) = stored(basedir)
    first, second = chat.branch[1], chat.branch[3]
    assert first.status is MessageStatus.COMPLETE
    text, call, result, answer = first.parts
    assert text == TextPart("Let me check.")
    assert isinstance(call, ToolCallPart)
    assert (call.name, call.server, json.loads(call.arguments)) == (
        "lookup",
        "notes",
        {"key": "release"},
    )
    assert isinstance(result, ToolResultPart)
    assert (result.content, result.status) == ("value of release", ToolStatus.OK)
    assert answer == TextPart("The release is value of release.")
    went_back = [m for m in fake_openai.chat_requests[1].messages if m["role"] == "tool"]
    assert [m["content"] for m in went_back] == ["value of release"]

    assert second.status is MessageStatus.COMPLETE
    declined = [p for p in second.parts if isinstance(p, ToolResultPart)]
    assert [(r.content, r.status) for r in declined] == [(DECLINED_TEXT, ToolStatus.DENIED)]
    told = [m for m in fake_openai.chat_requests[3].messages if m["role"] == "tool"]
    assert told[-1]["content"] == DECLINED_TEXT
    assert second.content == "I left note n-1 alone."
