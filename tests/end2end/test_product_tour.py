"""A tour of the running app in each of its states, light and dark, photographed for review.

The real app on Xvfb against the fake server, driven with real keys and pointer moves. Each
state is saved as tour-<state>-<scheme>.png in $KIBITZ_TEST_SCREENSHOTS, and the test checks
what can be checked without comparing pixels: the state was reached (what the store holds,
which window is up) and the picture is of the right scheme (its mean lightness).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kibitz.core.secrets import KeyringSecretStore
from tests.end2end.app_driver import (
    RunningApp,
    Screenshot,
    display_env,
    find_window,
    grab,
    messages,
    query,
    running_app,
    visible,
    wait_for,
    window_geometry,
    xdotool,
)
from tests.integration.cli_support import write_settings
from tests.support.fake_openai import FakeOpenAI, Fault, Reply
from tests.support.x11 import stacking_order

pytestmark = pytest.mark.display

REASONING = (
    "The user asks how long light takes from the Sun. Distance is about 1 AU, "
    "149.6 million km; the speed of light is 299,792 km/s. 149.6e6 / 299792 ≈ 499 s."
)
ANSWER = (
    "About **8 minutes 20 seconds**:\n\n"
    "| quantity | value |\n| --- | --- |\n| distance | 149.6 million km |\n"
    "| speed of light | 299,792 km/s |\n| time | ≈ 499 s |\n\n"
    "1. Divide the distance by the speed.\n2. Convert seconds to minutes.\n"
)
CJK_REPLY = (
    "こんにちは！日本語で説明します。東京は日本の首都です 🗼🍣\n\n"
    "中文：北京是中国的首都。我们一起学习吧 🐼🎉\n\n"
    "한국어: 서울은 한국의 수도입니다 🇰🇷 — emoji: 😀 👍 🚀 ❤️"
)
# Quick ask's answer: a short derivation, its formulas drawn in the panel as in the window.
MATH_ANSWER = (
    "Light covers the distance $d$ at speed $c$, so\n\n"
    "$$t = \\frac{d}{c} = \\frac{1.496 \\times 10^{11}\\,\\text{m}}"
    "{2.998 \\times 10^{8}\\,\\text{m/s}} \\approx 499\\,\\text{s}$$\n\n"
    "which is about $8\\tfrac{1}{3}$ minutes."
)
SLOW = 60  # characters per second: slow enough to photograph mid-stream


def _lightness_matches(shot: Screenshot, scheme: str) -> None:
    if scheme == "dark":
        assert shot.lightness < 110, f"{shot.path.name} is not dark: {shot}"
    else:
        assert shot.lightness > 150, f"{shot.path.name} is not light: {shot}"


@pytest.fixture(params=["light", "dark"])
def scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def tour(
    basedir: Path, tmp_path: Path, fake_openai: FakeOpenAI, scheme: str
) -> Iterator[RunningApp]:
    write_settings(basedir, f'[ui]\ntheme = "{scheme}"\n')
    env = display_env(base_url=fake_openai.url)
    with running_app(basedir, env, tmp_path / "logs") as run:
        yield run


def _shot(app: RunningApp, state: str, scheme: str) -> Screenshot:
    shot = app.screenshot(f"tour-{state}-{scheme}")
    _lightness_matches(shot, scheme)
    return shot


def _reply_count(basedir: Path, status: str | None = None) -> int:
    rows = [m for m in messages(basedir) if m["role"] == "assistant"]
    return len([m for m in rows if status is None or m["status"] == status])


def test_tour_of_the_states(
    tour: RunningApp, basedir: Path, fake_openai: FakeOpenAI, scheme: str
) -> None:
    app = tour
    _shot(app, "empty", scheme)
    _x, _y, width, height = app.geometry

    # The model picker, opened from the keyboard before the first message.
    windows = len(visible(app.env, app.proc.pid, ".*"))
    app.key("ctrl+shift+m")
    wait_for(
        lambda: len(visible(app.env, app.proc.pid, ".*")) > windows,
        "the model menu (a popup window)",
    )
    _shot(app, "model-picker", scheme)
    app.key("Escape")
    wait_for(
        lambda: len(visible(app.env, app.proc.pid, ".*")) == windows, "the model menu to close"
    )

    # Reasoning, then its answer with a table and a list; the title request comes next.
    fake_openai.script(
        Reply(reasoning=REASONING, text=ANSWER, chars_per_sec=600),
        Reply(text="Light from the Sun"),
    )
    app.send("How long does light take from the Sun?")
    wait_for(lambda: _reply_count(basedir, "complete") >= 1, "the reasoning reply")
    wait_for(lambda: len(fake_openai.chat_requests) >= 2, "the title request")
    _shot(app, "reasoning", scheme)

    # The pointer over the reply: its actions show.
    _move(app, width // 2, 190)
    _shot(app, "hover-actions", scheme)

    # An error with the server's own words (Details) and Retry.
    fake_openai.script(Fault.quota())
    app.send("And from Mars?")
    wait_for(lambda: _reply_count(basedir, "error") >= 1, "the failed reply")
    _shot(app, "error", scheme)

    # Japanese, Chinese, Korean and emoji drawn with the installed fonts.
    fake_openai.script(Reply(text=CJK_REPLY, chars_per_sec=4000), Reply(text="Hello in Asia"))
    app.key("ctrl+n")
    app.send("Say hello in Japanese, Chinese and Korean")
    wait_for(lambda: _reply_count(basedir, "complete") >= 2, "the CJK reply")
    _shot(app, "cjk-emoji", scheme)

    # Help: the shortcuts, a window of its own.
    app.key("F1")
    help_window = find_window(app.env, app.proc.pid, "^Keyboard shortcuts$")
    shot = grab(
        app.shots / f"tour-help-{scheme}.png", window_geometry(help_window, app.env), app.env
    )
    _lightness_matches(shot, scheme)
    app.key("Escape")
    wait_for(
        lambda: not visible(app.env, app.proc.pid, "Keyboard shortcuts"), "the shortcuts to close"
    )
    xdotool(app.env, "windowfocus", "--sync", str(app.window))

    # The Trash, with the CJK conversation moved there.
    app.click(100, 114)  # the first row of the list: the newest conversation
    app.key("Delete")
    wait_for(
        lambda: any(c["deleted_at"] for c in query(basedir, "SELECT * FROM conversations")),
        "the delete",
    )
    app.click(40, height - 22)  # the Trash entry at the foot of the sidebar
    _shot(app, "trash", scheme)
    app.key("Escape")

    # Streaming: photographed while the words arrive, then stopped.
    fake_openai.script(Reply(words=120, chars_per_sec=SLOW))
    app.key("ctrl+n")
    app.send("Tell me a story about a lighthouse")
    wait_for(lambda: _reply_count(basedir, "streaming") == 1, "the reply to start")
    wait_for(
        lambda: any(
            len(m["content"] or "") > 40 for m in messages(basedir) if m["status"] == "streaming"
        ),
        "some of the reply",
    )
    _shot(app, "streaming", scheme)
    app.key("Escape")
    wait_for(lambda: _reply_count(basedir, "streaming") == 0, "the stop")

    assert app.close() == 0, app.output
    assert "Traceback" not in app.output, app.output


def _move(app: RunningApp, x: int, y: int) -> None:
    xdotool(app.env, "mousemove", "--window", str(app.window), str(x), str(y))


@pytest.mark.keyring
def test_welcome_without_a_key(
    basedir: Path, tmp_path: Path, scheme: str, clean_keyring: KeyringSecretStore
) -> None:
    write_settings(basedir, f'[ui]\ntheme = "{scheme}"\n')
    log = basedir / "logs" / "kibitz.log"
    with running_app(basedir, display_env(key=None), tmp_path / "logs") as app:
        wait_for(
            lambda: log.exists() and "welcome pane asks for one" in log.read_text("utf-8"),
            "the set-up check",
        )
        _shot(app, "welcome", scheme)
        assert app.close() == 0, app.output


# A window of another application, for quick ask to open over.
OTHER_WINDOW = r"""
import sys
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication(sys.argv[:1])
label = QLabel("<h1>Another application</h1>" + "<p>Some text behind the panel.</p>" * 30)
label.setWindowTitle("Another application")
label.setMargin(30)
label.resize(1100, 700)
label.move(60, 40)
label.show()
app.exec()
"""


def test_quick_ask_over_another_window(
    tour: RunningApp, basedir: Path, fake_openai: FakeOpenAI, scheme: str
) -> None:
    other = subprocess.Popen([sys.executable, "-c", OTHER_WINDOW], env=tour.env)
    try:
        behind = find_window(tour.env, other.pid, "^Another application$")
        subprocess.run(
            [sys.executable, "-m", "kibitz", "--basedir", str(basedir), "--quick-ask"],
            env=tour.env,
            check=True,
            timeout=30,
        )
        panel = find_window(tour.env, tour.proc.pid, "^Kibitz Quick Ask$")
        # Over the other window, though its own was made first (at start-up): raised, not
        # only mapped, as no window manager here raises it.
        order = stacking_order()
        assert order.index(panel) > order.index(behind)
        xdotool(tour.env, "windowfocus", "--sync", str(panel))
        fake_openai.script(Reply(text=MATH_ANSWER, chars_per_sec=4000))
        tour.send("How long does light take from the Sun?")
        wait_for(lambda: _reply_count(basedir, "complete") >= 1, "the quick answer")
        shot = grab(tour.shots / f"tour-quick-ask-{scheme}.png", (0, 0, 1280, 800), tour.env)
        assert shot.colours >= 20
    finally:
        other.terminate()
        other.wait(10)
    assert tour.close() == 0, tour.output
