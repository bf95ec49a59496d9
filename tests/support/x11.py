"""libX11 through ctypes for tests and benchmarks: the event layouts we use, and closing a
window the way a window manager does (Xvfb runs none)."""

from __future__ import annotations

import ctypes
import ctypes.util

CLIENT_MESSAGE = 33


class XAnyWindowEvent(ctypes.Structure):
    # CreateNotify (parent, window), MapNotify (event, window) and DamageNotify (drawable,
    # damage) share this prefix; `first` and `second` are those two XIDs.
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("first", ctypes.c_ulong),
        ("second", ctypes.c_ulong),
    ]


class XClientMessageEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class XEvent(ctypes.Union):
    _fields_ = [
        ("type", ctypes.c_int),
        ("any", XAnyWindowEvent),
        ("xclient", XClientMessageEvent),
        ("pad", ctypes.c_long * 24),
    ]


def load_xlib() -> ctypes.CDLL | None:
    """libX11 with the signatures both users need declared, or None when it is missing."""
    name = ctypes.util.find_library("X11")
    if name is None:
        return None
    x = ctypes.cdll.LoadLibrary(name)
    x.XOpenDisplay.restype = ctypes.c_void_p
    x.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x.XInternAtom.restype = ctypes.c_ulong
    x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x.XSendEvent.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_int,
        ctypes.c_long,
        ctypes.POINTER(XEvent),
    ]
    x.XFlush.argtypes = [ctypes.c_void_p]
    x.XCloseDisplay.argtypes = [ctypes.c_void_p]
    return x


def send_delete_window(x: ctypes.CDLL, display: int, window: int) -> bool:
    """WM_DELETE_WINDOW, as a window manager sends when the user clicks the close button."""
    event = XEvent()
    event.xclient.type = CLIENT_MESSAGE
    event.xclient.window = window
    event.xclient.message_type = x.XInternAtom(display, b"WM_PROTOCOLS", 0)
    event.xclient.format = 32
    event.xclient.data[0] = x.XInternAtom(display, b"WM_DELETE_WINDOW", 0)
    sent = bool(x.XSendEvent(display, window, 0, 0, ctypes.byref(event)))
    x.XFlush(display)
    return sent


def stacking_order() -> list[int]:
    """The top-level windows on $DISPLAY from the bottom of the stack to the top (XQueryTree
    lists the root's children in that order); empty without libX11 or a display."""
    x = load_xlib()
    if x is None:
        return []
    display = x.XOpenDisplay(None)
    if not display:
        return []
    x.XDefaultRootWindow.restype = ctypes.c_ulong
    x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    window = ctypes.c_ulong
    x.XQueryTree.argtypes = [
        ctypes.c_void_p,
        window,
        ctypes.POINTER(window),
        ctypes.POINTER(window),
        ctypes.POINTER(ctypes.POINTER(window)),
        ctypes.POINTER(ctypes.c_uint),
    ]
    x.XFree.argtypes = [ctypes.c_void_p]
    root, parent = window(), window()
    children = ctypes.POINTER(window)()
    count = ctypes.c_uint()
    try:
        root_window = x.XDefaultRootWindow(display)
        if not x.XQueryTree(
            display, root_window, ctypes.byref(root), ctypes.byref(parent),
            ctypes.byref(children), ctypes.byref(count),
        ):  # fmt: skip
            return []
        order = [int(children[i]) for i in range(count.value)]
        if children:
            x.XFree(children)
        return order
    finally:
        x.XCloseDisplay(display)
