"""Quick ask on a real X server: when the answer grows the panel, it stays where it opened and
grows downward, inside the screen. With Openbox installed the test runs under it, as the
report that found the panel jumping to the screen's top-left corner did (Openbox reparents
even a frameless window, and Qt then took the window to be at (0, 0)); without Openbox it
runs on the bare Xvfb display.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.end2end.app_driver import RunningApp, messages, wait_for, window_geometry, xdotool
from tests.end2end.test_quick_ask import HOTKEY, quick_ask_window, wait_for_log
from tests.support.fake_openai import FakeOpenAI, Reply

pytestmark = pytest.mark.display


@contextmanager
def window_manager(env: dict[str, str], logs: Path) -> Iterator[str]:
    """Openbox on the test's display for the block, when it is installed; its name, or ""."""
    if shutil.which("openbox") is None:
        yield ""
        return
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / "openbox.log").open("wb") as out:
        wm = subprocess.Popen(["openbox"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        # Openbox owns the WM selection once it manages the screen.
        wait_for(lambda: _managed(env), "Openbox to manage the screen")
        yield "openbox"
    finally:
        wm.terminate()
        wm.wait(10)


def _managed(env: dict[str, str]) -> bool:
    found = subprocess.run(
        ["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], env=env, capture_output=True, text=True
    )
    return "window id" in found.stdout


def display_size(env: dict[str, str]) -> tuple[int, int]:
    width, height = xdotool(env, "getdisplaygeometry").split()
    return int(width), int(height)


def test_the_answer_grows_the_panel_downward_where_it_opened(
    basedir: Path, app: RunningApp, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    if shutil.which("xprop") is None and shutil.which("openbox") is not None:
        pytest.skip("xprop is needed to see when Openbox runs")
    wait_for_log(basedir, "hotkey Ctrl+Alt+Space: active")
    with window_manager(app.env, tmp_path / "wm") as wm:
        app.key(HOTKEY)
        window = quick_ask_window(app)
        opened = window_geometry(window, app.env)
        fake_openai.script(Reply(words=700, chars_per_sec=6_000))
        xdotool(app.env, "windowfocus", "--sync", str(window))
        app.send("Tell me everything")
        seen = [opened]

        def done() -> bool:
            seen.append(window_geometry(window, app.env))
            return any(m["status"] == "complete" for m in messages(basedir))

        wait_for(done, "the long answer")
        seen.append(window_geometry(window, app.env))
    width, height = display_size(app.env)
    x, y, _, h = seen[-1]
    assert h > opened[3], f"the panel grew for the answer ({wm or 'no window manager'})"
    for gx, gy, gw, gh in seen:
        assert (gx, gy) == opened[:2], f"moved from {opened} to {(gx, gy, gw, gh)} ({wm})"
        assert 0 <= gx <= width - gw, (gx, gw)
        assert 0 <= gy <= height - gh, (gy, gh)
    assert (x, y) != (0, 0)
