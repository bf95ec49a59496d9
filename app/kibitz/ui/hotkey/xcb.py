"""The few libxcb calls the X11 hotkey makes, through ctypes.

libxcb is the library Qt's own X11 platform talks through, so it is loaded already. A
connection of ours costs ~1 ms; python-xlib took ~40 ms to import and connect (it parses the
server's whole set-up in Python), the largest part of the start after the first frame.
Checked requests (`grab_key`) report their error to the caller: no process-wide error handler,
as libX11 would need.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from functools import cache
from typing import Any

KEY_PRESS = 2  # the event type; the top bit of response_type marks events sent by a client
BAD_ACCESS = 10  # the error code: another client holds the grab
GRAB_MODE_ASYNC = 1
MOD_MASKS = {"shift": 1, "lock": 2, "ctrl": 4, "alt": 8, "numlock": 16, "super": 64}


class XcbError(Exception):
    """The connection failed or closed, or a request failed; `code` is X's error code."""

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


class _Setup(ctypes.Structure):  # xcb_setup_t, up to the keycode range
    _fields_ = [
        ("status", ctypes.c_uint8),
        ("pad0", ctypes.c_uint8),
        ("protocol_major_version", ctypes.c_uint16),
        ("protocol_minor_version", ctypes.c_uint16),
        ("length", ctypes.c_uint16),
        ("release_number", ctypes.c_uint32),
        ("resource_id_base", ctypes.c_uint32),
        ("resource_id_mask", ctypes.c_uint32),
        ("motion_buffer_size", ctypes.c_uint32),
        ("vendor_len", ctypes.c_uint16),
        ("maximum_request_length", ctypes.c_uint16),
        ("roots_len", ctypes.c_uint8),
        ("pixmap_formats_len", ctypes.c_uint8),
        ("image_byte_order", ctypes.c_uint8),
        ("bitmap_format_bit_order", ctypes.c_uint8),
        ("bitmap_format_scanline_unit", ctypes.c_uint8),
        ("bitmap_format_scanline_pad", ctypes.c_uint8),
        ("min_keycode", ctypes.c_uint8),
        ("max_keycode", ctypes.c_uint8),
    ]


class _ScreenIterator(ctypes.Structure):  # xcb_screen_iterator_t; a screen starts with its root
    _fields_ = [
        ("data", ctypes.POINTER(ctypes.c_uint32)),
        ("rem", ctypes.c_int),
        ("index", ctypes.c_int),
    ]


class _Cookie(ctypes.Structure):  # xcb_void_cookie_t and the reply cookies: a sequence number
    _fields_ = [("sequence", ctypes.c_uint)]


class _MappingReply(ctypes.Structure):  # xcb_get_keyboard_mapping_reply_t
    _fields_ = [
        ("response_type", ctypes.c_uint8),
        ("keysyms_per_keycode", ctypes.c_uint8),
        ("sequence", ctypes.c_uint16),
        ("length", ctypes.c_uint32),
    ]


class _GenericError(ctypes.Structure):  # xcb_generic_error_t, up to its code
    _fields_ = [("response_type", ctypes.c_uint8), ("error_code", ctypes.c_uint8)]


class _GenericEvent(ctypes.Structure):  # xcb_generic_event_t, up to the key press's keycode
    _fields_ = [("response_type", ctypes.c_uint8), ("detail", ctypes.c_uint8)]


@cache
def _libraries() -> tuple[Any, Any, Any]:
    """libxcb, libX11 (for keysym names) and libc (to free what xcb hands over), by soname."""
    xcb = ctypes.CDLL("libxcb.so.1")
    x11 = ctypes.CDLL("libX11.so.6")
    libc = ctypes.CDLL(None)
    conn, cookie = ctypes.c_void_p, _Cookie
    for name, restype, argtypes in (
        ("xcb_connect", conn, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]),
        ("xcb_connection_has_error", ctypes.c_int, [conn]),
        ("xcb_disconnect", None, [conn]),
        ("xcb_flush", ctypes.c_int, [conn]),
        ("xcb_get_file_descriptor", ctypes.c_int, [conn]),
        ("xcb_get_setup", ctypes.POINTER(_Setup), [conn]),
        ("xcb_setup_roots_iterator", _ScreenIterator, [ctypes.POINTER(_Setup)]),
        ("xcb_screen_next", None, [ctypes.POINTER(_ScreenIterator)]),
        ("xcb_get_keyboard_mapping", cookie, [conn, ctypes.c_uint8, ctypes.c_uint8]),
        ("xcb_get_keyboard_mapping_reply", ctypes.POINTER(_MappingReply),
         [conn, cookie, ctypes.c_void_p]),
        ("xcb_get_keyboard_mapping_keysyms", ctypes.POINTER(ctypes.c_uint32),
         [ctypes.POINTER(_MappingReply)]),
        ("xcb_get_keyboard_mapping_keysyms_length", ctypes.c_int,
         [ctypes.POINTER(_MappingReply)]),
        ("xcb_grab_key_checked", cookie,
         [conn, ctypes.c_uint8, ctypes.c_uint32, ctypes.c_uint16, ctypes.c_uint8,
          ctypes.c_uint8, ctypes.c_uint8]),
        ("xcb_ungrab_key", cookie, [conn, ctypes.c_uint8, ctypes.c_uint32, ctypes.c_uint16]),
        ("xcb_request_check", ctypes.POINTER(_GenericError), [conn, cookie]),
        ("xcb_poll_for_event", ctypes.POINTER(_GenericEvent), [conn]),
    ):  # fmt: skip
        function = getattr(xcb, name)
        function.restype, function.argtypes = restype, argtypes
    x11.XStringToKeysym.restype = ctypes.c_ulong
    x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
    libc.free.restype = None
    libc.free.argtypes = [ctypes.c_void_p]
    return xcb, x11, libc


def keysym(name: str) -> int:
    """The keysym of an X key name ("space", "k", "F12"); 0 for a name X does not know."""
    _, x11, _ = _libraries()
    return int(x11.XStringToKeysym(name.encode()))


class Connection:
    """A connection of our own to the X server (`display`: None for $DISPLAY)."""

    def __init__(self, display: str | None = None) -> None:
        try:
            self._xcb, _, self._libc = _libraries()
        except OSError as exc:
            raise XcbError(f"libxcb cannot be loaded ({exc})") from exc
        screen = ctypes.c_int(0)
        self._conn = self._xcb.xcb_connect(display.encode() if display else None, screen)
        if self._xcb.xcb_connection_has_error(self._conn):
            self._xcb.xcb_disconnect(self._conn)  # xcb_connect never returns NULL: free it
            self._conn = None
            raise XcbError(f"cannot connect to the X display {display or '$DISPLAY'}")
        self.root = self._root_of(screen.value)

    def _root_of(self, number: int) -> int:
        roots = self._xcb.xcb_setup_roots_iterator(self._xcb.xcb_get_setup(self._conn))
        for _ in range(number):
            self._xcb.xcb_screen_next(ctypes.byref(roots))
        return int(roots.data[0])

    def fileno(self) -> int:
        return int(self._xcb.xcb_get_file_descriptor(self._conn))

    def keycode(self, sym: int) -> int:
        """The key that types `sym`, preferring one that types it unshifted; 0 for none."""
        if not sym:  # NoSymbol fills the mapping's empty places: no key "types" it
            return 0
        setup = self._xcb.xcb_get_setup(self._conn).contents
        first, count = setup.min_keycode, setup.max_keycode - setup.min_keycode + 1
        reply = self._xcb.xcb_get_keyboard_mapping_reply(
            self._conn, self._xcb.xcb_get_keyboard_mapping(self._conn, first, count), None
        )
        if not reply:
            raise XcbError("the X server sent no keyboard mapping")
        try:
            per_key = reply.contents.keysyms_per_keycode
            syms = self._xcb.xcb_get_keyboard_mapping_keysyms(reply)
            length = self._xcb.xcb_get_keyboard_mapping_keysyms_length(reply)
            found = [(i % per_key, first + i // per_key) for i in range(length) if syms[i] == sym]
        finally:
            self._libc.free(reply)
        return min(found)[1] if found else 0

    def grab_keys(self, keycode: int, masks: list[int]) -> None:
        """Grab the key with each modifier mask on the root window, all or none: XcbError (code
        BAD_ACCESS when another client holds one) and nothing grabbed if one fails."""
        cookies = [
            self._xcb.xcb_grab_key_checked(
                self._conn, 1, self.root, mask, keycode, GRAB_MODE_ASYNC, GRAB_MODE_ASYNC
            )
            for mask in masks
        ]
        codes = []
        for cookie in cookies:  # the first check waits for the server; it has answered all
            error = self._xcb.xcb_request_check(self._conn, cookie)
            if error:
                codes.append(error.contents.error_code)
                self._libc.free(error)
        if codes:
            for mask in masks:
                self.ungrab_key(keycode, mask)
            self._xcb.xcb_flush(self._conn)
            raise XcbError(f"the grab failed (X error {codes[0]})", codes[0])

    def ungrab_key(self, keycode: int, modifiers: int) -> None:
        self._xcb.xcb_ungrab_key(self._conn, keycode, self.root, modifiers)

    def key_presses(self) -> Iterator[int]:
        """The keycodes of the key presses that have arrived, without waiting for more;
        XcbError once the connection is closed."""
        while True:
            event = self._xcb.xcb_poll_for_event(self._conn)
            if not event:
                if self._xcb.xcb_connection_has_error(self._conn):
                    raise XcbError("the connection to the X server closed")
                return
            kind, detail = event.contents.response_type & 0x7F, event.contents.detail
            self._libc.free(event)
            if kind == KEY_PRESS:
                yield detail

    def close(self) -> None:
        """Flush what is queued (ungrabs) and disconnect; once."""
        if self._conn is not None:
            self._xcb.xcb_flush(self._conn)
            self._xcb.xcb_disconnect(self._conn)
            self._conn = None
