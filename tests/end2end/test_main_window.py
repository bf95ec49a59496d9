"""The main window driven like a user does, on Xvfb: send, stop, errors, new chat, search, delete.

Each test starts `kibitz --basedir TMP` against a fake OpenAI server in this process, types with
real key presses (xdotool), and checks what the app stored (read-only SQLite while it runs, the
Store once it has closed) and what it showed (screenshots in $KIBITZ_TEST_SCREENSHOTS).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kibitz.core.secrets import KeyringSecretStore
from kibitz.core.types import MessageStatus, Role
from tests.end2end.app_driver import (
    RunningApp,
    display_env,
    live_conversations,
    messages,
    query,
    replies,
    running_app,
    wait_for,
)
from tests.integration.cli_support import stored, write_settings
from tests.support.fake_openai import FakeOpenAI, Reply

pytestmark = pytest.mark.display

# The fake server's words=N reply: N words from a fixed list, "." at the end.
SLOW_REPLY = "[[reply:words=600,chars_per_sec=300]]"
# A reply with what a real one holds: headings, lists, code, a table, a link.
LONG_MARKDOWN = """## Reading a file safely

Use a **context manager**, so the file is closed even when an exception is raised:

```python
from pathlib import Path

def read_words(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as f:
        return [w for line in f for w in line.split()]
```

Things to keep in mind:

1. Pass an `encoding`; the default depends on the platform.
2. For large files, iterate line by line instead of `read()`.
3. Catch `FileNotFoundError` where you can do something useful.

| Mode | Meaning | Creates |
| --- | --- | --- |
| `r` | read | no |
| `w` | write, truncate | yes |
| `a` | append | yes |

The same in a shell:

```bash
wc -w notes.txt && grep -c TODO notes.txt
```

See [the pathlib docs](https://docs.python.org/3/library/pathlib.html) for more.
"""
# Typed on first run; distinct from the environment's test key (no environment key then).
FIRST_RUN_KEY = "sk-firstrun-5e4d3c2b1a0f9e8d7c6b"


def close_cleanly(app: RunningApp) -> None:
    code = app.close()
    output = app.output
    assert code == 0, output
    assert "Traceback" not in output, output


def complete_reply_to(basedir: Path, question: str) -> dict[str, object]:
    """Wait for `question` to be stored with a complete reply under it; that reply's row."""

    def probe() -> dict[str, object] | None:
        rows = messages(basedir)
        asked = [m["id"] for m in rows if m["role"] == "user" and m["content"] == question]
        for m in rows:
            if m["parent_id"] in asked and m["status"] == "complete":
                return dict(m)
        return None

    return wait_for(probe, f"a complete reply to {question!r}")


def test_send_stores_question_and_reply_and_shows_code(
    basedir: Path, app: RunningApp, fake_openai: FakeOpenAI
) -> None:
    # The composer has the focus at start: typing right away lands in it.
    app.send("Show me some code for a greeting")
    reply = complete_reply_to(basedir, "Show me some code for a greeting")
    assert "```python" in str(reply["content"])
    # The conversation appears (with a title) in the list.
    # After the first exchange the app asks the model for a title: that request comes next.
    wait_for(lambda: len(fake_openai.chat_requests) >= 2, "the title request")
    first_title = "Show me some code for a greeting"
    wait_for(
        lambda: [c for c in live_conversations(basedir) if c["title"] not in ("", first_title)],
        "the suggested title",
    )
    app.screenshot("reply-with-code")

    # The next request gets a long Markdown answer (headings, code, a table), streamed.
    fake_openai.script(Reply(text=LONG_MARKDOWN, chars_per_sec=4000))
    app.send("How do I read a file?")
    long_reply = complete_reply_to(basedir, "How do I read a file?")
    assert long_reply["content"] == LONG_MARKDOWN
    app.screenshot("long-reply-with-code")
    close_cleanly(app)

    (chat,) = stored(basedir)
    assert chat.user_texts == ["Show me some code for a greeting", "How do I read a file?"]
    assert [r.status for r in chat.replies] == [MessageStatus.COMPLETE] * 2
    assert chat.replies[0].content.startswith("Here is a small example:")
    assert chat.conversation.title


def test_dark_theme_paints_dark(basedir: Path, tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    write_settings(basedir, '[ui]\ntheme = "dark"\n')
    env = display_env(base_url=fake_openai.url)
    with running_app(basedir, env, tmp_path / "logs") as app:
        app.send("Show me some code in the dark")
        complete_reply_to(basedir, "Show me some code in the dark")
        shot = app.screenshot("dark-reply-with-code")
        close_cleanly(app)
    assert shot.lightness < 100, f"a dark theme paints mostly dark: {shot}"


def test_escape_stops_a_streaming_reply_and_the_composer_still_sends(
    basedir: Path, app: RunningApp
) -> None:
    app.send(f"Tell me a long story {SLOW_REPLY}")
    # Partial text is committed while it streams: wait for some of it, then photograph.
    wait_for(
        lambda: [
            r for r in replies(basedir) if r["status"] == "streaming" and len(r["content"]) > 300
        ],
        "a reply streaming",
    )
    app.screenshot("streaming")
    app.key("Escape")
    stopped = wait_for(
        lambda: [r for r in replies(basedir) if r["status"] == "interrupted"],
        "the reply marked interrupted",
    )[0]
    partial = str(stopped["content"])
    assert partial.startswith("the quick brown fox")
    assert not partial.endswith("."), "the whole reply arrived: Escape stopped nothing"

    app.send("And a short one")
    complete_reply_to(basedir, "And a short one")
    app.screenshot("stopped-then-sent")
    close_cleanly(app)

    (chat,) = stored(basedir)
    assert chat.user_texts == [f"Tell me a long story {SLOW_REPLY}", "And a short one"]
    first, second = chat.replies
    assert first.status is MessageStatus.INTERRUPTED
    assert first.content == partial
    assert second.status is MessageStatus.COMPLETE
    assert second.content == "You said: And a short one"
    # The second question follows the stopped reply on one branch.
    assert [m.role for m in chat.branch] == [Role.USER, Role.ASSISTANT] * 2


def test_errors_show_inline_and_a_rate_limit_retries_to_success(
    basedir: Path, app: RunningApp
) -> None:
    app.send("Who am I [[fault:auth]]")
    failed = wait_for(
        lambda: [r for r in replies(basedir) if r["status"] == "error"], "the failed reply"
    )[0]
    assert str(failed["error"]).startswith("auth: ")
    app.screenshot("error")

    app.key("ctrl+n")
    question = "Patience please [[fault:rate_limit,retry_after=2,times=1]]"
    app.send(question)
    # The retry waits 2 s; photograph the countdown while it does.
    wait_for(lambda: len(live_conversations(basedir)) == 2, "the second chat")
    app.screenshot("retry-countdown")
    reply = complete_reply_to(basedir, question)
    assert reply["content"] == "You said: Patience please"
    close_cleanly(app)

    first, second = stored(basedir)
    (auth,) = first.replies
    assert auth.status is MessageStatus.ERROR
    assert auth.error is not None
    assert auth.error.startswith("auth: ")
    assert auth.content == ""
    assert [r.status for r in second.replies] == [MessageStatus.COMPLETE]


def test_new_chat_and_search_open_the_right_conversation(basedir: Path, app: RunningApp) -> None:
    app.send("Tell me about zebras")
    complete_reply_to(basedir, "Tell me about zebras")
    app.key("ctrl+n")
    app.screenshot("empty")
    app.send("Something about quokkas")
    complete_reply_to(basedir, "Something about quokkas")
    zebras, quokkas = (c["id"] for c in live_conversations(basedir))

    # Ctrl+K focuses the search; Down enters the results; Enter opens the hit.
    app.key("ctrl+k")
    app.type("zebras")
    app.key("Down")
    app.screenshot("search")
    app.key("Return")
    # The composer has the focus again: a follow-up lands in the conversation found.
    app.send("More on those stripes")
    complete_reply_to(basedir, "More on those stripes")
    close_cleanly(app)

    by_id = {chat.conversation.id: chat for chat in stored(basedir)}
    assert by_id[zebras].user_texts == ["Tell me about zebras", "More on those stripes"]
    assert by_id[quokkas].user_texts == ["Something about quokkas"]


def test_delete_key_deletes_the_conversation_and_ctrl_z_brings_it_back(
    basedir: Path, app: RunningApp
) -> None:
    app.send("Keep this one")
    complete_reply_to(basedir, "Keep this one")
    app.key("ctrl+n")
    app.send("Throw this one away")
    complete_reply_to(basedir, "Throw this one away")
    keep, throw = (c["id"] for c in live_conversations(basedir))

    def deleted_at() -> object:
        ((when,),) = query(basedir, "SELECT deleted_at FROM conversations WHERE id = ?", (throw,))
        return when

    # From the empty search field Down goes to the list, where the open chat is current.
    app.key("ctrl+k", "Down", "Delete")
    wait_for(lambda: [c["id"] for c in live_conversations(basedir)] == [keep], "the delete")
    assert deleted_at() is not None
    app.screenshot("deleted-with-undo")

    # The notice's Undo answers Ctrl+Z; the chat comes back and opens again.
    app.key("ctrl+z")
    wait_for(lambda: len(live_conversations(basedir)) == 2, "the undo")
    assert deleted_at() is None
    # The focus stayed in the list; Enter on the open chat goes on to the composer.
    app.key("Return")
    app.send("Glad it is back")
    complete_reply_to(basedir, "Glad it is back")
    close_cleanly(app)

    by_id = {chat.conversation.id: chat for chat in stored(basedir)}
    assert by_id[keep].user_texts == ["Keep this one"]
    assert by_id[throw].user_texts == ["Throw this one away", "Glad it is back"]
    assert by_id[throw].conversation.deleted_at is None


@pytest.mark.keyring
def test_first_run_asks_for_a_key_and_keeps_it_only_in_the_keyring(
    basedir: Path, tmp_path: Path, fake_openai: FakeOpenAI, clean_keyring: KeyringSecretStore
) -> None:
    fake_openai.require_key(FIRST_RUN_KEY)
    env = display_env(base_url=fake_openai.url, key=None)
    log = basedir / "logs" / "kibitz.log"
    with running_app(basedir, env, tmp_path / "logs") as app:
        # The start-up check found no key and put the cursor in the key field.
        wait_for(
            lambda: log.exists() and "welcome pane asks for one" in log.read_text("utf-8"),
            "the set-up check",
        )
        app.screenshot("first-run")
        app.type(FIRST_RUN_KEY)
        app.key("Return")
        wait_for(lambda: clean_keyring.get_key("default"), "the key in the keyring")
        assert clean_keyring.get_key("default") == FIRST_RUN_KEY
        # Saved: the composer has the focus again and the key works.
        app.send("Hello with my new key")
        complete_reply_to(basedir, "Hello with my new key")
        app.screenshot("first-run-connected")
        close_cleanly(app)
        output = app.output

    assert [r.api_key for r in fake_openai.chat_requests][:1] == [FIRST_RUN_KEY]
    needle = FIRST_RUN_KEY.encode()
    holding = [p for p in basedir.rglob("*") if p.is_file() and needle in p.read_bytes()]
    assert holding == [], "the key leaked into files"
    assert FIRST_RUN_KEY not in output


def test_regenerate_and_switch_versions_from_the_keyboard(
    basedir: Path, app: RunningApp, fake_openai: FakeOpenAI
) -> None:
    app.send("Pick a colour")
    first = complete_reply_to(basedir, "Pick a colour")
    wait_for(lambda: len(fake_openai.chat_requests) >= 2, "the title request")
    fake_openai.script(Reply(text="Blue, on second thought."))
    app.key("ctrl+r")
    second = wait_for(
        lambda: next(
            (dict(r) for r in replies(basedir)
             if r["content"] == "Blue, on second thought." and r["status"] == "complete"),
            None,
        ),
        "the regenerated reply",
    )  # fmt: skip
    assert second["parent_id"] == first["parent_id"]  # a second version of the same reply
    app.screenshot("regenerated")

    def leaf() -> int:
        (conversation,) = live_conversations(basedir)
        return int(conversation["current_leaf_id"])

    wait_for(lambda: leaf() == second["id"] or None, "the new version shown")
    app.key("alt+Left")
    wait_for(lambda: leaf() == first["id"] or None, "the first version back")
    app.key("alt+Right")
    wait_for(lambda: leaf() == second["id"] or None, "the second version again")
    close_cleanly(app)
