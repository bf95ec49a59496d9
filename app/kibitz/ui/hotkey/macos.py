"""macOS back end: Carbon RegisterEventHotKey through ctypes, which needs no Accessibility
permission (unlike event taps). Carbon is loaded on `grab`, never at import time."""

from __future__ import annotations

import ctypes
import logging
from typing import Any

from kibitz.ui.hotkey.protocol import Combination, HotkeyUnavailableError, OnActivated

log = logging.getLogger(__name__)

CARBON = "/System/Library/Frameworks/Carbon.framework/Carbon"
# Carbon Events.h modifier bits.
CMD_KEY, SHIFT_KEY, OPTION_KEY, CONTROL_KEY = 0x0100, 0x0200, 0x0800, 0x1000
_MODIFIERS = {"ctrl": CONTROL_KEY, "alt": OPTION_KEY, "shift": SHIFT_KEY, "super": CMD_KEY}
NO_ERR = 0
EVENT_NOT_HANDLED_ERR = -9874
EVENT_HOTKEY_EXISTS_ERR = -9878
K_EVENT_HOTKEY_PRESSED = 5


def fourcc(code: str) -> int:
    """A Carbon OSType: four ASCII characters read as a big-endian number."""
    return int.from_bytes(code.encode("ascii"), "big")


K_EVENT_CLASS_KEYBOARD = fourcc("keyb")
K_EVENT_PARAM_DIRECT_OBJECT = fourcc("----")
TYPE_EVENT_HOTKEY_ID = fourcc("hkid")
SIGNATURE = fourcc("KBTZ")  # marks our hotkey among any others of the process
HOTKEY_ID = 1


class EventHotKeyID(ctypes.Structure):
    _fields_ = [("signature", ctypes.c_uint32), ("id", ctypes.c_uint32)]


class EventTypeSpec(ctypes.Structure):
    _fields_ = [("eventClass", ctypes.c_uint32), ("eventKind", ctypes.c_uint32)]


EventHandler = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)


def mac_modifiers(combination: Combination) -> int:
    mask = 0
    for modifier in combination.modifiers:
        mask |= _MODIFIERS[modifier]
    return mask


def is_our_hotkey(hotkey: EventHotKeyID) -> bool:
    return bool(hotkey.signature == SIGNATURE and hotkey.id == HOTKEY_ID)


class MacHotkeyBackend:
    name = "macOS Carbon hotkey"
    asynchronous = False

    def __init__(self, on_activated: OnActivated) -> None:
        self._on_activated = on_activated
        self._carbon: Any = None
        self._hotkey_ref = ctypes.c_void_p()
        self._handler_ref = ctypes.c_void_p()
        # Kept referenced: Carbon holds only the C pointer to this callback.
        self._handler = EventHandler(self._on_event)

    def grab(self, combination: Combination) -> None:
        self.release()
        carbon = self._carbon = self._carbon or ctypes.CDLL(CARBON)
        carbon.GetApplicationEventTarget.restype = ctypes.c_void_p
        target = carbon.GetApplicationEventTarget()
        spec = EventTypeSpec(K_EVENT_CLASS_KEYBOARD, K_EVENT_HOTKEY_PRESSED)
        status = carbon.InstallEventHandler(
            ctypes.c_void_p(target),
            self._handler,
            1,
            ctypes.byref(spec),
            None,
            ctypes.byref(self._handler_ref),
        )
        if status != NO_ERR:
            raise HotkeyUnavailableError(f"macOS refused the hotkey handler (error {status})")
        status = carbon.RegisterEventHotKey(
            ctypes.c_uint32(combination.codes.macos),
            ctypes.c_uint32(mac_modifiers(combination)),
            EventHotKeyID(SIGNATURE, HOTKEY_ID),
            ctypes.c_void_p(target),
            ctypes.c_uint32(0),
            ctypes.byref(self._hotkey_ref),
        )
        if status != NO_ERR:
            self._remove_handler()
            if status == EVENT_HOTKEY_EXISTS_ERR:
                raise HotkeyUnavailableError(
                    f"another application already uses {combination.label}"
                )
            raise HotkeyUnavailableError(f"macOS refused {combination.label} (error {status})")

    def release(self) -> None:
        if self._hotkey_ref.value:
            self._carbon.UnregisterEventHotKey(self._hotkey_ref)
            self._hotkey_ref = ctypes.c_void_p()
        self._remove_handler()

    def _remove_handler(self) -> None:
        if self._handler_ref.value:
            self._carbon.RemoveEventHandler(self._handler_ref)
            self._handler_ref = ctypes.c_void_p()

    def _on_event(self, _call_ref: int | None, event: int | None, _user: int | None) -> int:
        hotkey = EventHotKeyID()
        status = self._carbon.GetEventParameter(
            ctypes.c_void_p(event),
            ctypes.c_uint32(K_EVENT_PARAM_DIRECT_OBJECT),
            ctypes.c_uint32(TYPE_EVENT_HOTKEY_ID),
            None,
            ctypes.c_size_t(ctypes.sizeof(hotkey)),
            None,
            ctypes.byref(hotkey),
        )
        if status != NO_ERR or not is_our_hotkey(hotkey):
            return EVENT_NOT_HANDLED_ERR
        self._on_activated()
        return NO_ERR
