"""Drives the real app on X (Xvfb) for the end-to-end tests: start, type, click, photograph, close.

The app runs as a subprocess on the display tests/run.sh provides. Its window is found with
xdotool and given the X input focus (Xvfb runs no window manager), keys are typed through
XTEST with `xdotool type`/`xdotool key`, screenshots come from a second Qt process reading the X
root window (no ImageMagick needed), and the window is closed the way a window manager does
when the user clicks the close button: a WM_DELETE_WINDOW client message.

What the app stored is read while it runs through a read-only SQLite connection: opening the
Store would mark a streaming reply as interrupted, which is the app's job, not the test's.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.integration.chat_support import TEST_KEY
from tests.integration.cli_support import KIBITZ, cli_env, database
from tests.support.fake_openai import FakeOpenAI
from tests.support.x11 import load_xlib, send_delete_window

T = TypeVar("T")

WINDOW_TIMEOUT_S = 20.0
POLL_TIMEOUT_S = 20.0
TYPE_DELAY_MS = 8

# Grabs the root window, crops it to the window, saves it, and prints how many distinct colours
# a sample of its pixels has (a window that painted nothing has one or two) and their mean
# lightness (0 black to 255 white: tells a dark theme from a light one).
GRAB_SCRIPT = r"""
import sys, time
from PySide6.QtGui import QColor, QGuiApplication
app = QGuiApplication(sys.argv[:1])
x, y, w, h = map(int, sys.argv[2:6])
colours = 0
for _ in range(30):
    image = app.primaryScreen().grabWindow(0).copy(x, y, w, h).toImage()
    sample = [image.pixel(i, j) for i in range(0, w, 3) for j in range(0, h, 3)]
    colours = len(set(sample))
    if colours >= 20:
        break
    time.sleep(0.1)
image.save(sys.argv[1], "PNG")
print(colours, sum(QColor(p).lightness() for p in sample) // len(sample))
"""


# -- the environment -----------------------------------------------------------------------------


def display_env(*, base_url: str | None = None, key: str | None = TEST_KEY) -> dict[str, str]:
    """A child environment on our X display (skips the test without one); see cli_env."""
    if not os.environ.get("DISPLAY"):
        pytest.skip("needs an X display: run bash tests/run.sh, which starts Xvfb")
    env = cli_env(base_url=base_url, key=key)
    env["QT_QPA_PLATFORM"] = "xcb"
    return env


def screenshot_dir(fallback: Path) -> Path:
    """$KIBITZ_TEST_SCREENSHOTS (tests/run.sh sets it), else a folder under `fallback`."""
    shots = os.environ.get("KIBITZ_TEST_SCREENSHOTS")
    target = Path(shots) if shots else fallback / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    return target


def wait_for(
    probe: Callable[[], T | None], what: str, timeout: float = POLL_TIMEOUT_S, every: float = 0.05
) -> T:
    """Poll `probe` until it returns something true (a row, a non-empty list); that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


@contextmanager
def fake_server() -> Iterator[FakeOpenAI]:
    """A fake OpenAI server in this process for one test; it must not have failed itself."""
    server = FakeOpenAI().start()
    try:
        yield server
    finally:
        server.stop()
    assert server.errors == [], "the fake server itself failed:\n" + "\n".join(server.errors)


# -- what the app stored, read while it runs -------------------------------------------------------


def query(basedir: Path, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    """Rows from the app's database, read-only (empty before the app created it)."""
    path = database(basedir)
    if not path.exists():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):  # created, not yet migrated
            return []
        raise
    finally:
        conn.close()


def messages(basedir: Path) -> list[sqlite3.Row]:
    """Every stored message, oldest first, with `content`: the text of its text parts (the
    store's message_text view, what Message.content holds)."""
    return query(
        basedir,
        "SELECT m.*, t.content AS content FROM messages m JOIN message_text t ON t.id = m.id"
        " ORDER BY m.id",
    )


def replies(basedir: Path) -> list[sqlite3.Row]:
    return [m for m in messages(basedir) if m["role"] == "assistant"]


def live_conversations(basedir: Path) -> list[sqlite3.Row]:
    """Conversations not deleted, oldest first."""
    return query(basedir, "SELECT * FROM conversations WHERE deleted_at IS NULL ORDER BY id")


# -- X helpers -----------------------------------------------------------------------------------


def close_like_a_window_manager(window: int) -> None:
    """Send WM_DELETE_WINDOW, as a window manager does for the title bar's close button.

    Xvfb runs no window manager, and this xdotool has no `windowquit`; `windowclose` destroys
    the window behind Qt's back, which is not what a user does.
    """
    xlib = load_xlib()
    if xlib is None:
        pytest.skip("libX11 is not installed (xdotool needs it too)")
    display = xlib.XOpenDisplay(None)
    assert display, "cannot open the X display"
    try:
        assert send_delete_window(xlib, display, window)
    finally:
        xlib.XCloseDisplay(display)


def xdotool(env: dict[str, str], *args: str, timeout: float = 10) -> str:
    return subprocess.run(
        ["xdotool", *args], env=env, capture_output=True, text=True, timeout=timeout, check=True
    ).stdout


def window_geometry(window: int, env: dict[str, str]) -> tuple[int, int, int, int]:
    out = xdotool(env, "getwindowgeometry", "--shell", str(window))
    values = dict(line.split("=", 1) for line in out.split())
    return int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])


def find_window(env: dict[str, str], pid: int, title: str = "^Kibitz$") -> int:
    """The visible window titled `title` of process `pid` (another app may be on the display)."""
    out = xdotool(
        env,
        "search",
        "--sync",
        "--onlyvisible",
        "--all",
        "--pid",
        str(pid),
        "--name",
        title,
        timeout=WINDOW_TIMEOUT_S,
    )
    (window,) = (int(w) for w in out.split())
    return window


def visible(env: dict[str, str], pid: int, title: str) -> list[int]:
    """Windows of `pid` titled exactly `title` that are mapped (viewable) right now."""
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--all", "--pid", str(pid), "--name", f"^{title}$"],
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
    )
    return [int(w) for w in found.stdout.split()]


@dataclass(frozen=True)
class Screenshot:
    path: Path
    colours: int  # distinct colours in a sample of the pixels
    lightness: int  # their mean lightness, 0 (black) to 255 (white)


def grab(path: Path, geometry: tuple[int, int, int, int], env: dict[str, str]) -> Screenshot:
    """Save the screen area `geometry` as a PNG."""
    done = subprocess.run(
        [sys.executable, "-c", GRAB_SCRIPT, str(path), *map(str, geometry)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    colours, lightness = map(int, done.stdout.split())
    return Screenshot(path, colours, lightness)


# -- the running app -----------------------------------------------------------------------------


@dataclass
class RunningApp:
    proc: subprocess.Popen[bytes]
    env: dict[str, str]
    basedir: Path
    shots: Path
    log: Path  # the app's stdout and stderr
    started_at: float
    window: int = 0
    mapped_after: float = 0.0

    def find_window(self) -> None:
        self.window = find_window(self.env, self.proc.pid)
        self.mapped_after = time.monotonic() - self.started_at
        assert self.proc.poll() is None, self.output
        # No window manager gives it the focus: do what one does when the window appears.
        xdotool(self.env, "windowfocus", "--sync", str(self.window))

    @property
    def geometry(self) -> tuple[int, int, int, int]:
        return window_geometry(self.window, self.env)

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def type(self, text: str) -> None:
        assert self.running, self.output
        xdotool(self.env, "type", "--delay", str(TYPE_DELAY_MS), "--", text, timeout=30)

    def key(self, *keys: str) -> None:
        """Press keys in X keysym names: "Return", "Escape", "ctrl+n", "Down"."""
        assert self.running, self.output
        xdotool(self.env, "key", "--delay", str(TYPE_DELAY_MS), *keys)

    def send(self, text: str) -> None:
        """Type a question into whatever has focus (the composer) and press Enter."""
        self.type(text)
        self.key("Return")

    def click(self, x: int, y: int) -> None:
        """Click at window coordinates."""
        xdotool(self.env, "mousemove", "--window", str(self.window), str(x), str(y), "click", "1")

    def screenshot(self, name: str) -> Screenshot:
        """Photograph the window as `name`.png; asserts it painted more than a flat area."""
        shot = grab(self.shots / f"{name}.png", self.geometry, self.env)
        assert shot.path.stat().st_size > 0
        assert shot.colours >= 20, f"{name}: the window painted (almost) nothing: {shot}"
        return shot

    def close(self, timeout: float = 15) -> int:
        """Close the window as a user would; the exit code."""
        close_like_a_window_manager(self.window)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@contextmanager
def running_app(basedir: Path, env: dict[str, str], logs: Path) -> Iterator[RunningApp]:
    """Start `kibitz --basedir basedir`, wait for its window and focus it; always stop it.

    `logs` is a folder outside the base dir (tests grep the base dir for secrets).
    """
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"app-{time.monotonic_ns()}.log"
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*KIBITZ, "--basedir", str(basedir)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    app = RunningApp(proc, env, basedir, screenshot_dir(logs.parent), log, started)
    try:
        app.find_window()
        yield app
    finally:
        app.kill()
