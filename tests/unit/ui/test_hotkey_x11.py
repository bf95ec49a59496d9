"""The X11 hotkey for real, on the X server of tests/run.sh: XGrabKey on our own connection,
keys sent through XTEST (xdotool), the conflict with another client, NumLock, and the service's
status as settings change. Qt itself stays offscreen: the back end needs only $DISPLAY."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from kibitz.core.settings import Settings
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.hotkey.protocol import (
    HotkeyState,
    OnActivated,
    OnConfirmed,
    OnFailed,
    parse_combination,
)
from kibitz.ui.hotkey.service import HotkeyService
from kibitz.ui.hotkey.x11 import X11HotkeyBackend

pytestmark = [
    pytest.mark.display,
    pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X display (tests/run.sh)"),
]


@pytest.fixture
def other_client() -> Iterator[Any]:
    """A second X client. Holding it open also keeps Xvfb from resetting between our
    connections (it resets when its last client leaves, and Qt here is offscreen)."""
    from Xlib import display as xdisplay

    client = xdisplay.Display()
    yield client
    client.close()


def grab_as(client: Any, combo: str) -> Any:
    """Grab `combo` from `client`; the error it got (None when the grab worked)."""
    from Xlib import XK, X
    from Xlib.error import BadAccess, CatchError

    parsed = parse_combination(combo)
    keycode = client.keysym_to_keycode(XK.string_to_keysym(parsed.codes.x11))
    mask = {"ctrl": X.ControlMask, "alt": X.Mod1Mask, "shift": X.ShiftMask}
    bits = 0
    for modifier in parsed.modifiers:
        bits |= mask[modifier]
    trap = CatchError(BadAccess)
    client.screen().root.grab_key(
        keycode, bits, True, X.GrabModeAsync, X.GrabModeAsync, onerror=trap
    )
    client.sync()
    return trap.get_error()


def ungrab_all(client: Any) -> None:
    from Xlib import X

    client.screen().root.ungrab_key(X.AnyKey, X.AnyModifier)
    client.sync()


def press(*keys: str) -> None:
    subprocess.run(["xdotool", "key", *keys], check=True, timeout=10)


def x11_only(
    on_activated: OnActivated, on_failed: OnFailed, _confirmed: OnConfirmed, parent: Any
) -> X11HotkeyBackend:
    return X11HotkeyBackend(on_activated, on_failed, parent=parent)


def test_grab_fires_on_the_key_and_survives_numlock(qtbot: QtBot, other_client: Any) -> None:
    pressed: list[int] = []
    backend = X11HotkeyBackend(lambda: pressed.append(1), lambda reason: None)
    backend.grab(parse_combination("ctrl+alt+space"))
    try:
        press("ctrl+alt+space")
        qtbot.waitUntil(lambda: pressed == [1], timeout=10_000)
        # The keys went to us, not to whoever has the focus: another client cannot take them.
        assert grab_as(other_client, "ctrl+alt+space") is not None
        # With NumLock on the modifier mask has Mod2 too: grabbed as well, so it still fires.
        press("Num_Lock")
        try:
            press("ctrl+alt+space")
            qtbot.waitUntil(lambda: pressed == [1, 1], timeout=10_000)
        finally:
            press("Num_Lock")
        press("ctrl+alt+b")  # not ours
        qtbot.wait(200)
        assert pressed == [1, 1]
    finally:
        backend.release()
    # Released: the keys are free for another client again.
    assert grab_as(other_client, "ctrl+alt+space") is None
    ungrab_all(other_client)


def test_combination_held_by_another_client_is_refused_with_a_reason(other_client: Any) -> None:
    from kibitz.ui.hotkey.protocol import HotkeyUnavailableError

    assert grab_as(other_client, "ctrl+alt+space") is None
    try:
        backend = X11HotkeyBackend(lambda: None, lambda reason: None)
        with pytest.raises(HotkeyUnavailableError, match="another application already uses"):
            backend.grab(parse_combination("ctrl+alt+space"))
        backend.release()  # nothing held: a no-op
    finally:
        ungrab_all(other_client)


def test_a_grab_refused_for_one_lock_state_holds_none_of_the_others(other_client: Any) -> None:
    """All four grabs (plain, CapsLock, NumLock, both) or none: a half-working hotkey that dies
    when NumLock is on would be worse than a clear refusal."""
    from Xlib import XK, X
    from Xlib.error import BadAccess, CatchError

    from kibitz.ui.hotkey.protocol import HotkeyUnavailableError

    root = other_client.screen().root
    keycode = other_client.keysym_to_keycode(XK.string_to_keysym("space"))
    numlock_only = X.ControlMask | X.Mod1Mask | X.Mod2Mask
    root.grab_key(keycode, numlock_only, True, X.GrabModeAsync, X.GrabModeAsync)
    other_client.sync()
    try:
        backend = X11HotkeyBackend(lambda: None, lambda reason: None)
        with pytest.raises(HotkeyUnavailableError, match="another application already uses"):
            backend.grab(parse_combination("ctrl+alt+space"))
        root.ungrab_key(keycode, numlock_only)
        other_client.sync()
        # What the refused grab had taken (the plain and CapsLock states) was let go.
        for extra in (0, X.LockMask):
            trap = CatchError(BadAccess)
            root.grab_key(
                keycode, X.ControlMask | X.Mod1Mask | extra, True, X.GrabModeAsync,
                X.GrabModeAsync, onerror=trap,
            )  # fmt: skip
            other_client.sync()
            assert trap.get_error() is None, f"still held with mask extra {extra}"
    finally:
        ungrab_all(other_client)


def test_a_display_that_cannot_be_opened_is_said_plainly() -> None:
    from kibitz.ui.hotkey.protocol import HotkeyUnavailableError

    backend = X11HotkeyBackend(lambda: None, lambda reason: None, display_name=":4095")
    with pytest.raises(HotkeyUnavailableError, match="the X display cannot be opened"):
        backend.grab(parse_combination("ctrl+alt+space"))


def test_keys_are_found_as_python_xlib_finds_them(other_client: Any) -> None:
    """Our libxcb lookup (ctypes) against python-xlib's own, on the same server; a name X does
    not know has no key, and neither has NoSymbol, which fills the map's empty places."""
    from Xlib import XK

    from kibitz.ui.hotkey.protocol import KEYS
    from kibitz.ui.hotkey.xcb import Connection, keysym

    conn = Connection()
    try:
        for codes in KEYS.values():
            expected = other_client.keysym_to_keycode(XK.string_to_keysym(codes.x11))
            assert conn.keycode(keysym(codes.x11)) == expected, codes.x11
        assert keysym("NoSuchKeyName") == 0
        assert conn.keycode(0) == 0
    finally:
        conn.close()


def test_service_reports_and_follows_the_setting(
    qtbot: QtBot, other_client: Any, tmp_path: Path
) -> None:
    holder = SettingsHolder(Settings(), tmp_path / "settings.toml")
    service = HotkeyService(holder, x11_only)
    seen: list[str] = []
    service.status_changed.connect(lambda status: seen.append(status.describe()))
    service.start()
    try:
        assert service.status().state is HotkeyState.ACTIVE
        assert service.status_text() == "Active: Ctrl+Alt+Space"
        with qtbot.waitSignal(service.activated, timeout=10_000):
            press("ctrl+alt+space")

        # Changed in settings: the old keys are let go, the new ones grabbed at once.
        holder.update(holder().with_value("ui.hotkey", "ctrl+shift+k"))
        assert service.status_text() == "Active: Ctrl+Shift+K"
        assert grab_as(other_client, "ctrl+alt+space") is None
        with qtbot.waitSignal(service.activated, timeout=10_000):
            press("ctrl+shift+k")

        # Another client has the new choice: a status that says so, and nothing crashes.
        ungrab_all(other_client)
        assert grab_as(other_client, "ctrl+alt+j") is None
        holder.update(holder().with_value("ui.hotkey", "ctrl+alt+j"))
        status = service.status()
        assert status.state is HotkeyState.UNAVAILABLE
        assert status.reason == "another application already uses Ctrl+Alt+J"

        holder.update(holder().with_value("ui.hotkey", "j"))
        assert service.status().state is HotkeyState.UNAVAILABLE
        assert "add Ctrl, Alt or Super" in service.status().reason

        holder.update(holder().with_value("ui.hotkey", ""))
        assert service.status().state is HotkeyState.OFF
        assert seen == [
            "Active: Ctrl+Alt+Space",
            "Active: Ctrl+Shift+K",
            "Unavailable: another application already uses Ctrl+Alt+J",
            "Unavailable: J would take that key from every application: add Ctrl, Alt or Super",
            "Off: no global hotkey is set",
        ]
    finally:
        service.stop()
        ungrab_all(other_client)
    assert grab_as(other_client, "ctrl+shift+k") is None
    ungrab_all(other_client)
