"""X11 back end: XGrabKey on a display connection of our own, read by a QSocketNotifier.

No polling thread: the connection's socket wakes the Qt main loop when the X server sends the
KeyPress. python-xlib is imported here only, once the service picks this back end.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier

from kibitz.ui.hotkey.protocol import (
    Combination,
    HotkeyUnavailableError,
    OnActivated,
    OnFailed,
)

log = logging.getLogger(__name__)


class X11HotkeyBackend(QObject):
    name = "X11"
    asynchronous = False

    def __init__(
        self,
        on_activated: OnActivated,
        on_failed: OnFailed,
        display_name: str | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._on_activated = on_activated
        self._on_failed = on_failed
        self._display_name = display_name
        self._dpy: Any = None
        self._grabs: list[tuple[int, int]] = []  # (keycode, modifier mask) pairs held
        self._keycode = 0
        self._notifier: QSocketNotifier | None = None

    def grab(self, combination: Combination) -> None:
        from Xlib import XK, X
        from Xlib import display as xdisplay
        from Xlib.error import BadAccess, CatchError, ConnectionClosedError, DisplayError

        self.release()
        try:
            dpy = xdisplay.Display(self._display_name)
        except (DisplayError, ConnectionClosedError, OSError) as exc:
            raise HotkeyUnavailableError(f"the X display cannot be opened ({exc})") from exc
        # Errors we do not trap per request (a late BadWindow...) are logged, not printed.
        dpy.set_error_handler(lambda error, _request: log.debug("X error: %s", error))
        keysym = XK.string_to_keysym(combination.codes.x11)
        keycode = dpy.keysym_to_keycode(keysym)
        if not keycode:
            dpy.close()
            raise HotkeyUnavailableError(f"this keyboard has no {combination.label} key")
        mask = 0
        for modifier in combination.modifiers:
            mask |= _modifier_masks(X)[modifier]
        root = dpy.screen().root
        trap = CatchError(BadAccess)
        # Grabbed again with NumLock (Mod2) and CapsLock (Lock) on: X matches modifier masks
        # exactly, so without these the hotkey dies whenever one of those locks is on.
        masks = [mask | extra for extra in (0, X.LockMask, X.Mod2Mask, X.LockMask | X.Mod2Mask)]
        for each in masks:
            root.grab_key(keycode, each, True, X.GrabModeAsync, X.GrabModeAsync, onerror=trap)
        # BadAccess comes back asynchronously: wait until the server has answered every grab.
        dpy.sync()
        if trap.get_error() is not None:
            for each in masks:
                root.ungrab_key(keycode, each)
            dpy.close()
            raise HotkeyUnavailableError(f"another application already uses {combination.label}")
        self._dpy = dpy
        self._grabs = [(keycode, each) for each in masks]
        self._keycode = keycode
        self._notifier = QSocketNotifier(dpy.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_notifier_activated)
        self._drain()  # events that arrived while we set up

    def release(self) -> None:
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None
        if self._dpy is None:
            return
        from Xlib.error import ConnectionClosedError

        try:
            root = self._dpy.screen().root
            for keycode, mask in self._grabs:
                root.ungrab_key(keycode, mask)
            self._dpy.close()  # flushes the ungrabs
        except (ConnectionClosedError, OSError) as exc:
            log.debug("X connection already gone: %s", exc)
        self._dpy = None
        self._grabs = []

    def _on_notifier_activated(self) -> None:
        self._drain()

    def _drain(self) -> None:
        from Xlib import X
        from Xlib.error import ConnectionClosedError

        dpy = self._dpy
        pressed = False
        try:
            # pending_events() reads what the socket has without blocking; drain it all, or
            # the notifier would not fire again for events already read into the queue.
            while dpy is not None and dpy.pending_events():
                event = dpy.next_event()
                if event.type == X.KeyPress and event.detail == self._keycode:
                    pressed = True
        except (ConnectionClosedError, OSError) as exc:
            log.warning("the X connection for the hotkey closed: %s", exc)
            self._dpy = None
            self.release()
            self._on_failed("the connection to the X server closed")
            return
        if pressed:  # a burst (key repeat) counts once
            self._on_activated()


def _modifier_masks(x: Any) -> dict[str, int]:
    return {"ctrl": x.ControlMask, "alt": x.Mod1Mask, "shift": x.ShiftMask, "super": x.Mod4Mask}
