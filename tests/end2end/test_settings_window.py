"""Settings and conversation settings on Xvfb: opened from the keyboard, shown, closed, applied."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from kibitz.core.settings import load_settings
from tests.end2end.app_driver import (
    RunningApp,
    find_window,
    grab,
    messages,
    wait_for,
    window_geometry,
    xdotool,
)
from tests.support.fake_openai import FakeOpenAI

pytestmark = pytest.mark.display


def visible(app: RunningApp, title: str) -> bool:
    done = subprocess.run(
        [
            "xdotool",
            "search",
            "--onlyvisible",
            "--all",
            "--pid",
            str(app.proc.pid),
            "--name",
            title,
        ],
        env=app.env,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return bool(done.stdout.split())


def shoot(app: RunningApp, window: int, name: str) -> None:
    time.sleep(0.3)  # let it paint
    shot = grab(app.shots / f"{name}.png", window_geometry(window, app.env), app.env)
    assert shot.colours >= 20, f"{name}: the window painted (almost) nothing: {shot}"


def test_settings_open_from_the_keyboard_and_apply(
    basedir: Path, app: RunningApp, fake_openai: FakeOpenAI
) -> None:
    app.send("Hello settings")
    wait_for(
        lambda: any(m["role"] == "assistant" and m["status"] == "complete"
                    for m in messages(basedir)) or None,
        "a complete reply",
    )  # fmt: skip
    app.key("ctrl+comma")
    settings = find_window(app.env, app.proc.pid, "^Kibitz Settings$")
    shoot(app, settings, "settings-providers")
    # The page list has the focus: Down shows the next page, Tab enters it.
    app.key("Down")
    shoot(app, settings, "settings-parameters")
    app.key("Down", "Down", "Down", "Down")  # past System prompts, Tools and Schemas
    shoot(app, settings, "settings-appearance")
    # Theme is the page's first field: pick "Dark" from the keyboard; it applies at once.
    app.key("Tab", "End")
    config = basedir / "config" / "settings.toml"
    wait_for(lambda: load_settings(config).settings.ui.theme == "dark" or None, "theme saved")
    shoot(app, settings, "settings-appearance-dark")
    app.key("Escape")
    wait_for(lambda: not visible(app, "^Kibitz Settings$") or None, "the dialog closed")
    # No window manager hands the focus back when the dialog goes: do it as one would.
    xdotool(app.env, "windowfocus", "--sync", str(app.window))
    app.screenshot("main-dark")
    app.key("ctrl+shift+comma")
    conversation = find_window(app.env, app.proc.pid, "^Conversation settings")
    shoot(app, conversation, "conversation-settings")
    app.key("Escape")
    wait_for(lambda: not visible(app, "^Conversation settings") or None, "the dialog closed")
    assert app.close() == 0, app.output
    assert "Traceback" not in app.output, app.output
