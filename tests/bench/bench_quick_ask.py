"""Hotkey to quick-ask window visible, with the app resident, against a bare pre-created window.

Run: bash tests/run.sh --bench quick_ask   (or, with DISPLAY set, .venv/bin/python
tests/bench/bench_quick_ask.py [--presses N]).

Kibitz starts once (data in a temporary folder); once its hotkey is active, Ctrl+Alt+Space is
pressed N times through XTEST. Each press is timed from just before the fake key events are
sent to the X server reporting the quick-ask window mapped (MapNotify, seen through
SubstructureNotify on the root window) and first drawn into after that (a DAMAGE object on
the window); Escape hides it again. The baseline is a bare PySide6 process holding a hidden,
pre-created QWidget with a line edit, grabbing the same keys with the same X11 back end, and
showing the widget on the key: the difference is what the quick-ask window itself costs.
Events are read with select() on our own connection, so both cases are timed alike.
"""

from __future__ import annotations

import argparse
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from Xlib import XK, X
from Xlib import display as xdisplay
from Xlib.ext import damage, xtest

TARGET_MS = 50.0
QUICK_TITLE = "Kibitz Quick Ask"
BASE_TITLE = "Baseline Quick Ask"
READY_TIMEOUT_S = 60.0
EVENT_TIMEOUT_S = 5.0
PAINT_WAIT_S = 1.0

# The baseline: what showing a plain pre-created window on the same hotkey costs.
BASELINE = r"""
import sys
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget
from PySide6.QtCore import Qt
from kibitz.ui.hotkey.protocol import parse_combination
from kibitz.ui.hotkey.x11 import X11HotkeyBackend

app = QApplication(sys.argv[:1])
panel = QWidget()
panel.setWindowTitle(sys.argv[1])
panel.setWindowFlags(Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint)
QVBoxLayout(panel).addWidget(QLineEdit())
panel.resize(720, 123)
panel.winId()
def key(event):
    if event.key() == Qt.Key.Key_Escape:
        panel.hide()
panel.keyPressEvent = key
def summon():
    panel.show()
    panel.activateWindow()
backend = X11HotkeyBackend(summon, print)
backend.grab(parse_combination("ctrl+alt+space"))
print("ready", flush=True)
sys.exit(app.exec())
"""


@dataclass
class Case:
    name: str
    title: str
    mapped: list[float] = field(default_factory=list)
    painted: list[float] = field(default_factory=list)


class Watcher:
    """Our own X connection: sends keys through XTEST, reports maps, unmaps and drawing."""

    def __init__(self) -> None:
        self.dpy = xdisplay.Display()
        self.root = self.dpy.screen().root
        self.root.change_attributes(event_mask=X.SubstructureNotifyMask)
        if not self.dpy.has_extension("XTEST"):
            raise RuntimeError("the X server has no XTEST")
        self.has_damage = self.dpy.has_extension("DAMAGE")
        if self.has_damage:
            self.dpy.damage_query_version()
        self.codes = {
            name: self.dpy.keysym_to_keycode(XK.string_to_keysym(name))
            for name in ("Control_L", "Alt_L", "space", "Escape")
        }
        self.damage: dict[int, int] = {}  # window -> its DAMAGE object
        self.dpy.sync()

    def drain(self) -> None:
        """Forget what happened so far: events, and drawing already reported or not."""
        for damage_id in self.damage.values():
            # DamageReportNonEmpty reports only when the region turns non-empty: empty it.
            self.dpy.damage_subtract(damage_id)
        self.dpy.sync()
        while self.dpy.pending_events():
            self.dpy.next_event()

    def press(self, *names: str) -> float:
        """Press the keys together and release them; the time just before sending."""
        started = time.perf_counter()
        for name in names:
            xtest.fake_input(self.dpy, X.KeyPress, self.codes[name])
        for name in reversed(names):
            xtest.fake_input(self.dpy, X.KeyRelease, self.codes[name])
        self.dpy.flush()
        return started

    def name_of(self, window: Any) -> str:
        from Xlib.error import BadWindow

        try:
            name = window.get_wm_name()
        except BadWindow:  # a window gone meanwhile: not ours
            return ""
        return name if isinstance(name, str) else ""

    def _next(self, deadline: float) -> tuple[Any, float] | None:
        while not self.dpy.pending_events():
            left = deadline - time.perf_counter()
            if left <= 0:
                return None
            select.select([self.dpy.fileno()], [], [], min(left, 0.05))
        event = self.dpy.next_event()
        return event, time.perf_counter()

    def wait_mapped(self, title: str) -> tuple[int, float, float | None]:
        """Block until a window titled `title` maps, then until it is drawn into."""
        deadline = time.perf_counter() + EVENT_TIMEOUT_S
        window: Any = None
        mapped = 0.0
        while window is None:
            got = self._next(deadline)
            if got is None:
                raise TimeoutError(f"{title!r} did not map")
            event, stamp = got
            if event.type == X.MapNotify and self.name_of(event.window) == title:
                window, mapped = event.window, stamp
        if not self.has_damage:
            return window.id, mapped, None
        if window.id not in self.damage:
            # Made on the first map: the window existed (hidden) before we were watching.
            self.damage[window.id] = window.damage_create(damage.DamageReportNonEmpty)
            self.dpy.sync()
        deadline = mapped + PAINT_WAIT_S
        while True:
            got = self._next(deadline)
            if got is None:
                return window.id, mapped, None
            event, stamp = got
            drawable = getattr(event, "drawable", None)
            if (
                event.type == self.dpy.extension_event.DamageNotify
                and getattr(drawable, "id", drawable) == window.id
            ):
                return window.id, mapped, stamp

    def wait_unmapped(self, window: int) -> None:
        deadline = time.perf_counter() + EVENT_TIMEOUT_S
        while True:
            got = self._next(deadline)
            if got is None:
                raise TimeoutError("the window did not hide on Escape")
            event, _stamp = got
            if event.type == X.UnmapNotify and event.window.id == window:
                return


def measure(watcher: Watcher, case: Case, presses: int) -> None:
    for _ in range(presses):
        watcher.drain()
        started = watcher.press("Control_L", "Alt_L", "space")
        window, mapped, painted = watcher.wait_mapped(case.title)
        case.mapped.append(mapped - started)
        if painted is not None:
            case.painted.append(painted - started)
        time.sleep(0.15)  # the window settles (focus, a late repaint) as a user would see it
        watcher.press("Escape")
        watcher.wait_unmapped(window)
        time.sleep(0.1)


def child_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "KIBITZ_"))}
    env.update(
        QT_QPA_PLATFORM="xcb",
        QT_API="pyside6",
        OPENAI_API_KEY="sk-bench-not-a-key",
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",  # nothing is asked; a closed port
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        XDG_CONFIG_HOME=str(home / "xdg-config"),
    )
    return env


def wait_until(probe: Any, what: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def run_kibitz(watcher: Watcher, case: Case, presses: int, home: Path) -> None:
    basedir = home / f"data-{time.monotonic_ns()}"
    log = basedir / "logs" / "kibitz.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kibitz", "--basedir", str(basedir)],
        env=child_env(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(
            lambda: log.exists() and "Ctrl+Alt+Space: active" in log.read_text(),
            "Kibitz's hotkey to be active",
        )
        time.sleep(0.5)  # the rest of start-up (setup check, discovery) out of the way
        measure(watcher, case, presses)
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=20)
    if "Traceback" in err:
        raise RuntimeError(f"Kibitz failed:\n{err}")


def run_baseline(watcher: Watcher, case: Case, presses: int, home: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", BASELINE, case.title],
        env=child_env(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError(
                f"the baseline did not start:\n{proc.stderr.read() if proc.stderr else ''}"
            )
        time.sleep(0.3)
        measure(watcher, case, presses)
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


def ms(values: list[float]) -> str:
    if not values:
        return f"{'-':>8} {'-':>7} {'-':>7}"
    return (
        f"{statistics.median(values) * 1000:8.1f} {min(values) * 1000:7.1f} "
        f"{max(values) * 1000:7.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=15, help="presses per round (15)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds, cases alternating (2)")
    args = parser.parse_args(argv)
    if not os.environ.get("DISPLAY"):
        print("needs an X display: run bash tests/run.sh --bench quick_ask", file=sys.stderr)
        return 2
    watcher = Watcher()
    app = Case("Kibitz quick ask", QUICK_TITLE)
    base = Case("baseline QWidget", BASE_TITLE)
    first: list[float] = []
    with tempfile.TemporaryDirectory(prefix="kibitz-bench-") as tmp:
        home = Path(tmp)
        for i in range(args.rounds):
            # Each case owns the hotkey in turn (only one client can grab it).
            for case in (app, base) if i % 2 == 0 else (base, app):
                before = len(case.mapped)
                if case is app:
                    run_kibitz(watcher, case, args.presses, home)
                    first.append(case.mapped[before])
                else:
                    run_baseline(watcher, case, args.presses, home)
                watcher.damage.clear()  # their windows went with the process
    print(
        f"{sys.executable} (Python {sys.version.split()[0]}), {args.rounds} rounds x "
        f"{args.presses} presses per case; DISPLAY={os.environ['DISPLAY']}; "
        f"paint seen through DAMAGE: {watcher.has_damage}"
    )
    print(f"\n{'ms from the key press':<22} {'mapped med':>10} {'min':>7} {'max':>7}"
          f" {'painted med':>12} {'min':>7} {'max':>7}")  # fmt: skip
    for case in (base, app):
        print(f"{case.name:<22} {ms(case.mapped):>26} {ms(case.painted):>28}")
    print(f"first press after start (Kibitz): {', '.join(f'{t * 1000:.1f}' for t in first)} ms")
    shown = app.painted or app.mapped
    median = statistics.median(shown) * 1000
    extra = median - statistics.median(base.painted or base.mapped) * 1000
    verdict = "PASS" if median <= TARGET_MS else "MISS"
    print(
        f"hotkey to visible ({'painted' if app.painted else 'mapped'}): median {median:.1f} ms, "
        f"{extra:+.1f} ms over the baseline  target <= {TARGET_MS:.0f} ms: {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
