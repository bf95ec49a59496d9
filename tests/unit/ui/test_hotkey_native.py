"""The Windows and macOS back ends, unit-tested here through their dispatch: the native message
parsing, our id against others, and the modifier and key translation. (They cannot run here.)"""

from __future__ import annotations

import ctypes

from PySide6.QtCore import QByteArray

from kibitz.ui.hotkey import macos, windows
from kibitz.ui.hotkey.protocol import parse_combination


def native_msg(message: int, wparam: int) -> windows.MSG:
    return windows.MSG(hwnd=None, message=message, wParam=wparam, lParam=0, time=0)


def test_windows_modifiers_and_keys() -> None:
    combo = parse_combination("ctrl+alt+space")
    assert windows.windows_modifiers(combo) == 0x0002 | 0x0001 | 0x4000  # + MOD_NOREPEAT
    assert combo.codes.windows == 0x20
    assert windows.windows_modifiers(parse_combination("shift+super+k")) == 0x4 | 0x8 | 0x4000


def test_windows_filter_fires_only_for_our_hotkey() -> None:
    fired: list[int] = []
    event_filter = windows.HotkeyEventFilter(lambda: fired.append(1))
    ours = native_msg(windows.WM_HOTKEY, windows.HOTKEY_ID)
    other_id = native_msg(windows.WM_HOTKEY, windows.HOTKEY_ID + 1)
    key_down = native_msg(0x0100, windows.HOTKEY_ID)  # WM_KEYDOWN
    generic = QByteArray(b"windows_generic_MSG")
    assert event_filter.nativeEventFilter(generic, ctypes.addressof(ours)) == (True, 0)
    assert fired == [1]
    assert event_filter.nativeEventFilter(b"windows_dispatcher_MSG", ctypes.addressof(ours))
    assert fired == [1, 1]
    for msg in (other_id, key_down):
        assert event_filter.nativeEventFilter(generic, ctypes.addressof(msg)) == (False, 0)
    # Another platform's event, or no message at all, is not read as a MSG.
    assert event_filter.nativeEventFilter(b"xcb_generic_event_t", ctypes.addressof(ours)) == (
        False,
        0,
    )
    assert not windows.is_our_hotkey(b"windows_generic_MSG", 0)
    assert fired == [1, 1]


def test_macos_modifiers_keys_and_ids() -> None:
    combo = parse_combination("ctrl+alt+space")
    assert macos.mac_modifiers(combo) == 0x1000 | 0x0800  # controlKey | optionKey
    assert macos.mac_modifiers(parse_combination("shift+super+k")) == 0x0200 | 0x0100
    assert combo.codes.macos == 0x31  # kVK_Space
    assert macos.fourcc("keyb") == 0x6B657962  # kEventClassKeyboard
    assert macos.fourcc("hkid") == 0x686B6964  # typeEventHotKeyID
    assert macos.is_our_hotkey(macos.EventHotKeyID(macos.SIGNATURE, macos.HOTKEY_ID))
    assert not macos.is_our_hotkey(macos.EventHotKeyID(macos.fourcc("ABCD"), macos.HOTKEY_ID))
    assert not macos.is_our_hotkey(macos.EventHotKeyID(macos.SIGNATURE, 2))
    assert ctypes.sizeof(macos.EventHotKeyID) == 8  # OSType + UInt32, as Carbon lays it out
