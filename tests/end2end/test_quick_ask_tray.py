"""The tray on Xvfb: a stand-in system tray (an X client owning _NET_SYSTEM_TRAY_S0, as a
panel does) makes the tray available; then closing the window hides it to the tray, a second
start brings it back, File > Quit still quits, and `--tray` starts without the window."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.end2end.app_driver import (
    close_like_a_window_manager,
    display_env,
    fake_server,
    find_window,
    running_app,
    wait_for,
)
from tests.end2end.test_quick_ask import app_log, visible, wait_for_log
from tests.integration.cli_support import KIBITZ, write_settings

pytestmark = pytest.mark.display


@pytest.fixture
def system_tray() -> Iterator[Any]:
    """Own the tray selection like a panel's notification area (it never embeds icons)."""
    import os

    if not os.environ.get("DISPLAY"):
        pytest.skip("needs an X display: run bash tests/run.sh")
    from Xlib import X
    from Xlib import display as xdisplay

    dpy = xdisplay.Display()
    screen = dpy.screen()
    owner = screen.root.create_window(0, 0, 1, 1, 0, screen.root_depth)
    selection = dpy.intern_atom(f"_NET_SYSTEM_TRAY_S{dpy.get_default_screen()}")
    owner.set_selection_owner(selection, X.CurrentTime)
    dpy.sync()
    assert dpy.get_selection_owner(selection) == owner
    yield dpy
    owner.destroy()
    dpy.close()


def test_close_to_tray_and_back(basedir: Path, tmp_path: Path, system_tray: Any) -> None:
    write_settings(basedir, "[ui]\nclose_to_tray = true\n")
    with fake_server() as server:
        env = display_env(base_url=server.url)
        with running_app(basedir, env, tmp_path / "logs") as app:
            wait_for_log(basedir, "tray icon shown")
            # The close button (the window manager's WM_DELETE_WINDOW): hidden, still running.
            close_like_a_window_manager(app.window)
            wait_for(lambda: not visible(env, app.proc.pid, "Kibitz"), "the window to hide")
            time.sleep(0.5)
            assert app.running, app.output
            wait_for_log(basedir, "window closed to the tray")
            # Starting Kibitz again brings the same window back.
            again = subprocess.run(
                [*KIBITZ, "--basedir", str(basedir)], env=env, capture_output=True, timeout=60
            )
            assert again.returncode == 0, again.stderr
            wait_for(lambda: visible(env, app.proc.pid, "Kibitz"), "the window to come back")
            # File > Quit is not a close to the tray: the app ends.
            app.find_window()
            app.key("ctrl+q")
            assert app.proc.wait(15) == 0, app.output
            assert "Traceback" not in app.output


def test_start_in_the_tray(basedir: Path, tmp_path: Path, system_tray: Any) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    with fake_server() as server:
        env = display_env(base_url=server.url)
        with (logs / "tray-start.log").open("wb") as out:
            proc = subprocess.Popen(
                [*KIBITZ, "--basedir", str(basedir), "--tray"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for_log(basedir, "tray icon shown")
            time.sleep(0.5)
            assert not visible(env, proc.pid, "Kibitz")  # no window at login
            assert proc.poll() is None
            shown = subprocess.run(
                [*KIBITZ, "--basedir", str(basedir)], env=env, capture_output=True, timeout=60
            )
            assert shown.returncode == 0, shown.stderr
            find_window(env, proc.pid)
        finally:
            proc.terminate()
            proc.wait(15)


def test_a_long_reply_ending_while_hidden_is_announced(
    basedir: Path, tmp_path: Path, system_tray: Any
) -> None:
    write_settings(basedir, "[ui]\nclose_to_tray = true\n")
    with fake_server() as server:
        env = display_env(base_url=server.url)
        with running_app(basedir, env, tmp_path / "logs") as app:
            wait_for_log(basedir, "tray icon shown")
            # About 12 s of streaming: longer than the 10 s that make a reply worth a notice.
            app.send("[[reply:words=140,chars_per_sec=70]] Tell me a long story.")
            close_like_a_window_manager(app.window)
            wait_for(lambda: not visible(env, app.proc.pid, "Kibitz"), "the window to hide")
            wait_for(
                lambda: "tray notification: reply" in app_log(basedir) or None,
                "the tray notification",
                timeout=40,
            )
            assert app.running, app.output
