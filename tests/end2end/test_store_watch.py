"""The running app picks up what `kibitz ask` writes to its data folder, without a restart.

The app runs on Xvfb against the fake server; the CLI runs as another process on the same
`--basedir`. The new conversation must reach the app's list: the test waits for the app to say
so in its log, then goes to the top of the list with real key presses and asks a follow-up,
which the app stores in the terminal's conversation (it would land in the app's own if the list
had not been brought up to date).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.end2end.app_driver import RunningApp, live_conversations, messages, wait_for
from tests.end2end.test_main_window import close_cleanly, complete_reply_to
from tests.integration.cli_support import cli_env, run_cli, stored
from tests.support.fake_openai import FakeOpenAI

pytestmark = pytest.mark.display

IN_THE_APP = "A question typed in the app"
IN_THE_TERMINAL = "A question asked in a terminal"
FOLLOW_UP = "And a follow-up from the app"
NOTICED = "conversations new since the last look:"


def app_log(basedir: Path) -> str:
    path = basedir / "logs" / "kibitz.log"
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def noticed(basedir: Path) -> set[int]:
    """The conversations the app's log says another program made."""
    found: set[int] = set()
    for line in app_log(basedir).splitlines():
        _, marker, ids = line.partition(NOTICED)
        if marker:
            found.update(int(i) for i in ids.strip(" ()").split(",") if i.strip())
    return found


def test_a_conversation_asked_with_kibitz_ask_appears_in_the_running_app(
    basedir: Path, app: RunningApp, fake_openai: FakeOpenAI
) -> None:
    app.send(IN_THE_APP)
    complete_reply_to(basedir, IN_THE_APP)
    (ours,) = (c["id"] for c in live_conversations(basedir))

    asked = run_cli(
        ["--basedir", str(basedir), "ask", IN_THE_TERMINAL], env=cli_env(base_url=fake_openai.url)
    )
    assert asked.returncode == 0, asked.describe()
    theirs = next(c["id"] for c in live_conversations(basedir) if c["id"] != ours)

    # Polled, never timed: the app says when the other program's conversation reached it.
    wait_for(
        lambda: theirs in noticed(basedir), "the app to notice the conversation kibitz ask made"
    )
    app.screenshot("store-watch-terminal-question-in-the-list")

    # The list, from the search field; Home is its top row: the terminal's conversation,
    # the most recent. Return goes on to the composer.
    app.key("ctrl+k", "Down", "Home", "Return")
    app.send(FOLLOW_UP)
    complete_reply_to(basedir, FOLLOW_UP)
    follow_up = next(m for m in messages(basedir) if m["content"] == FOLLOW_UP)
    assert follow_up["conversation_id"] == theirs
    app.screenshot("store-watch-terminal-conversation-continued")
    close_cleanly(app)

    by_id = {chat.conversation.id: chat for chat in stored(basedir)}
    assert by_id[theirs].user_texts == [IN_THE_TERMINAL, FOLLOW_UP]
    assert by_id[ours].user_texts == [IN_THE_APP]
