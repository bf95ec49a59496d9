"""Quick ask on Xvfb: the global hotkey (a real key press through XTEST) shows the panel, a
question asked there streams from the fake server and is stored as an ordinary conversation,
Esc hides it, Ctrl+Enter continues in the main window; a hotkey another client holds is a
status in the log, not a failure, and `kibitz --quick-ask` still works then.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.end2end.app_driver import (
    RunningApp,
    display_env,
    live_conversations,
    messages,
    running_app,
    visible,
    wait_for,
    xdotool,
)
from tests.integration.cli_support import KIBITZ
from tests.support.fake_openai import FakeOpenAI

pytestmark = pytest.mark.display

QUICK_TITLE = "Kibitz Quick Ask"
HOTKEY = "ctrl+alt+space"


def app_log(basedir: Path) -> str:
    path = basedir / "logs" / "kibitz.log"
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def wait_for_log(basedir: Path, text: str) -> str:
    return wait_for(lambda: text in app_log(basedir) and app_log(basedir), f"log line {text!r}")


def focused_window(env: dict[str, str]) -> int:
    return int(xdotool(env, "getwindowfocus", "-f").strip())


def quick_ask_window(app: RunningApp) -> int:
    (window,) = wait_for(lambda: visible(app.env, app.proc.pid, QUICK_TITLE), "the quick ask")
    return window


def hidden(app: RunningApp, title: str) -> bool:
    return not visible(app.env, app.proc.pid, title)


def test_hotkey_summons_quick_ask_which_asks_and_stores(
    basedir: Path, app: RunningApp, fake_openai: FakeOpenAI
) -> None:
    wait_for_log(basedir, "hotkey Ctrl+Alt+Space: active through X11")
    assert hidden(app, QUICK_TITLE)  # pre-created, not shown
    app.key(HOTKEY)
    window = quick_ask_window(app)
    assert focused_window(app.env) == window  # the input takes the keys at once
    # The name a task bar or window switcher shows (_NET_WM_NAME), with nothing appended.
    assert xdotool(app.env, "getwindowname", str(window)).strip() == QUICK_TITLE

    app.send("What is a quick question?")

    def reply() -> dict[str, Any] | None:
        rows = messages(basedir)
        done = [m for m in rows if m["role"] == "assistant" and m["status"] == "complete"]
        return dict(done[0]) if done else None

    answer = reply_row = wait_for(reply, "the quick-ask reply stored complete")
    (conversation,) = live_conversations(basedir)
    assert answer["conversation_id"] == conversation["id"]
    asked = [m for m in messages(basedir) if m["role"] == "user"]
    assert [m["content"] for m in asked] == ["What is a quick question?"]
    assert reply_row["parent_id"] == asked[0]["id"]
    assert (
        fake_openai.chat_requests[0].body["messages"][-1]["content"] == "What is a quick question?"
    )
    # The panel grew to show the answer; photographed for review.
    app.window, main_window = window, app.window
    time.sleep(0.3)  # the last repaint (at most 50 ms after the text) reaches the screen
    app.screenshot("quick-ask-answer")
    app.window = main_window

    # Esc hides it; the hotkey brings it back (a finished exchange gives way to a new one).
    app.key("Escape")
    wait_for(lambda: hidden(app, QUICK_TITLE), "the quick ask to hide on Esc")
    app.key(HOTKEY)
    quick_ask_window(app)
    app.type("A follow-up to keep")
    # Ctrl+Enter: the typed text moves to the main window's composer, the panel hides.
    app.key("ctrl+Return")
    wait_for(lambda: hidden(app, QUICK_TITLE), "the quick ask to hide on Ctrl+Enter")
    assert focused_window(app.env) == app.window
    app.key("Return")  # the main window sends the carried-over text
    wait_for(
        lambda: [m for m in messages(basedir) if m["content"] == "A follow-up to keep"],
        "the follow-up sent from the main window",
    )
    assert app.running, app.output


def test_quick_ask_answer_opens_in_the_main_window(
    basedir: Path, app: RunningApp, fake_openai: FakeOpenAI
) -> None:
    wait_for_log(basedir, "hotkey Ctrl+Alt+Space: active")
    app.key(HOTKEY)
    quick_ask_window(app)
    app.send("Tell me more")
    wait_for(
        lambda: [m for m in messages(basedir) if m["status"] == "complete" and m["role"] != "user"],
        "the reply",
    )
    app.key("ctrl+Return")
    wait_for(lambda: hidden(app, QUICK_TITLE), "the quick ask to hide")
    wait_for_log(basedir, "continuing conversation")
    # The same conversation goes on in the main window: a follow-up lands under the answer.
    app.send("And then?")
    rows = wait_for(
        lambda: [m for m in messages(basedir) if m["content"] == "And then?"], "the follow-up"
    )
    (conversation,) = live_conversations(basedir)
    assert rows[0]["conversation_id"] == conversation["id"]
    first_reply = next(m for m in messages(basedir) if m["role"] == "assistant")
    assert rows[0]["parent_id"] == first_reply["id"]
    app.screenshot("quick-ask-continued-in-main-window")


def test_hotkey_held_by_another_client_is_a_status_not_a_failure(
    basedir: Path, tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    env = display_env(base_url=fake_openai.url)
    from Xlib import XK, X
    from Xlib import display as xdisplay

    other = xdisplay.Display(env["DISPLAY"])
    root = other.screen().root
    keycode = other.keysym_to_keycode(XK.string_to_keysym("space"))
    mask = X.ControlMask | X.Mod1Mask
    root.grab_key(keycode, mask, True, X.GrabModeAsync, X.GrabModeAsync)
    other.sync()
    try:
        with running_app(basedir, env, tmp_path / "logs") as app:
            log = wait_for_log(basedir, "hotkey Ctrl+Alt+Space unavailable")
            assert "another application already uses Ctrl+Alt+Space" in log
            app.key(HOTKEY)  # goes to the other client, not to Kibitz
            time.sleep(0.5)
            assert hidden(app, QUICK_TITLE)
            assert app.running, app.output
            # The command that any desktop can bind still shows the panel.
            started = time.monotonic()
            done = subprocess.run(
                [*KIBITZ, "--basedir", str(basedir), "--quick-ask"],
                env=env,
                capture_output=True,
                timeout=30,
            )
            took = time.monotonic() - started
            assert done.returncode == 0, done.stderr
            quick_ask_window(app)
            print(f"kibitz --quick-ask forwarded in {took * 1000:.0f} ms")
            assert "Traceback" not in app.output
    finally:
        root.ungrab_key(keycode, mask)
        other.close()
