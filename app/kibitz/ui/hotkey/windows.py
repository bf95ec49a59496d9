"""Windows back end: user32 RegisterHotKey through ctypes, WM_HOTKEY read by a native event
filter on Qt's event dispatcher. Nothing Windows-only is touched at import time."""

from __future__ import annotations

import ctypes
import logging
from typing import Any

from PySide6.QtCore import QAbstractNativeEventFilter, QByteArray, QCoreApplication, QObject

from kibitz.ui.hotkey.protocol import Combination, HotkeyUnavailableError, OnActivated

log = logging.getLogger(__name__)

WM_HOTKEY = 0x0312
MOD_ALT, MOD_CONTROL, MOD_SHIFT, MOD_WIN = 0x0001, 0x0002, 0x0004, 0x0008
MOD_NOREPEAT = 0x4000  # holding the keys does not fire again and again
ERROR_HOTKEY_ALREADY_REGISTERED = 1409
HOTKEY_ID = 0x4B42  # ours; applications use ids 0x0000-0xBFFF
_MODIFIERS = {"ctrl": MOD_CONTROL, "alt": MOD_ALT, "shift": MOD_SHIFT, "super": MOD_WIN}
# Thread messages (RegisterHotKey with no window) come through the dispatcher's filter call;
# window messages through the generic one. WM_HOTKEY is ours whichever way it arrives.
_EVENT_TYPES = (b"windows_generic_MSG", b"windows_dispatcher_MSG")


class MSG(ctypes.Structure):
    """winuser.h MSG, with explicit widths so it reads the same bytes on any platform."""

    _fields_ = [
        ("hwnd", ctypes.c_void_p),
        ("message", ctypes.c_uint32),
        ("wParam", ctypes.c_size_t),  # WPARAM: UINT_PTR
        ("lParam", ctypes.c_ssize_t),  # LPARAM: LONG_PTR
        ("time", ctypes.c_uint32),
        ("pt_x", ctypes.c_int32),
        ("pt_y", ctypes.c_int32),
    ]


def windows_modifiers(combination: Combination) -> int:
    mask = MOD_NOREPEAT
    for modifier in combination.modifiers:
        mask |= _MODIFIERS[modifier]
    return mask


def is_our_hotkey(event_type: bytes, message_address: int) -> bool:
    """Whether the native message at `message_address` is WM_HOTKEY for HOTKEY_ID."""
    if event_type not in _EVENT_TYPES or not message_address:
        return False
    msg = MSG.from_address(message_address)
    return bool(msg.message == WM_HOTKEY and msg.wParam == HOTKEY_ID)


class HotkeyEventFilter(QAbstractNativeEventFilter):
    def __init__(self, on_activated: OnActivated) -> None:
        super().__init__()
        self._on_activated = on_activated

    def nativeEventFilter(
        self, eventType: QByteArray | bytes | bytearray | memoryview, message: int
    ) -> object:
        kind = bytes(eventType.data() if isinstance(eventType, QByteArray) else eventType)
        if is_our_hotkey(kind, int(message)):
            self._on_activated()
            return True, 0
        return False, 0


class WindowsHotkeyBackend(QObject):
    name = "Windows RegisterHotKey"
    asynchronous = False

    def __init__(self, on_activated: OnActivated, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._filter = HotkeyEventFilter(on_activated)
        self._registered = False
        self._user32: Any = None

    def grab(self, combination: Combination) -> None:
        self.release()
        user32 = self._user32 = ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined]
        mods, key = windows_modifiers(combination), combination.codes.windows
        if not user32.RegisterHotKey(None, HOTKEY_ID, mods, key):
            error = ctypes.get_last_error()  # type: ignore[attr-defined]
            if error == ERROR_HOTKEY_ALREADY_REGISTERED:
                raise HotkeyUnavailableError(
                    f"another application already uses {combination.label}"
                )
            raise HotkeyUnavailableError(f"Windows refused {combination.label} (error {error})")
        self._registered = True
        app = QCoreApplication.instance()
        if app is not None:
            app.installNativeEventFilter(self._filter)

    def release(self) -> None:
        if not self._registered:
            return
        app = QCoreApplication.instance()
        if app is not None:
            app.removeNativeEventFilter(self._filter)
        self._user32.UnregisterHotKey(None, HOTKEY_ID)
        self._registered = False
