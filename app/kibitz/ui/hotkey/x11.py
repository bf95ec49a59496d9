"""X11 back end: XGrabKey on a display connection of our own, read by a QSocketNotifier.

No polling thread: the connection's socket wakes the Qt main loop when the X server sends the
KeyPress. The connection is libxcb's, through ctypes (kibitz.ui.hotkey.xcb), loaded only once
the service picks this back end.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSocketNotifier

from kibitz.ui.hotkey.protocol import (
    Combination,
    HotkeyUnavailableError,
    OnActivated,
    OnFailed,
)

if TYPE_CHECKING:
    from kibitz.ui.hotkey.xcb import Connection

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
        self._conn: Connection | None = None
        self._grabs: list[tuple[int, int]] = []  # (keycode, modifier mask) pairs held
        self._keycode = 0
        self._notifier: QSocketNotifier | None = None

    def grab(self, combination: Combination) -> None:
        from kibitz.ui.hotkey.xcb import BAD_ACCESS, MOD_MASKS, Connection, XcbError, keysym

        self.release()
        try:
            conn = Connection(self._display_name)
        except XcbError as exc:
            raise HotkeyUnavailableError(f"the X display cannot be opened ({exc})") from exc
        try:
            keycode = conn.keycode(keysym(combination.codes.x11))
            if not keycode:
                raise HotkeyUnavailableError(f"this keyboard has no {combination.label} key")
            mask = 0
            for modifier in combination.modifiers:
                mask |= MOD_MASKS[modifier]
            # Grabbed again with NumLock (Mod2) and CapsLock (Lock) on: X matches modifier masks
            # exactly, so without these the hotkey dies whenever one of those locks is on.
            lock, numlock = MOD_MASKS["lock"], MOD_MASKS["numlock"]
            masks = [mask | extra for extra in (0, lock, numlock, lock | numlock)]
            try:
                conn.grab_keys(keycode, masks)
            except XcbError as exc:
                if exc.code == BAD_ACCESS:
                    raise HotkeyUnavailableError(
                        f"another application already uses {combination.label}"
                    ) from exc
                raise HotkeyUnavailableError(
                    f"{combination.label} cannot be grabbed ({exc})"
                ) from exc
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        self._grabs = [(keycode, each) for each in masks]
        self._keycode = keycode
        self._notifier = QSocketNotifier(conn.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_notifier_activated)
        self._drain()  # events that arrived while we set up

    def release(self) -> None:
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None
        if self._conn is None:
            return
        for keycode, mask in self._grabs:
            self._conn.ungrab_key(keycode, mask)
        self._conn.close()  # flushes the ungrabs
        self._conn = None
        self._grabs = []

    def _on_notifier_activated(self) -> None:
        self._drain()

    def _drain(self) -> None:
        from kibitz.ui.hotkey.xcb import XcbError

        conn = self._conn
        if conn is None:
            return
        try:
            # Read all that has arrived: the notifier fires again only for new bytes.
            pressed = any(keycode == self._keycode for keycode in list(conn.key_presses()))
        except XcbError as exc:
            log.warning("the X connection for the hotkey closed: %s", exc)
            self._grabs = []
            self.release()
            self._on_failed("the connection to the X server closed")
            return
        if pressed:  # a burst (key repeat) counts once
            self._on_activated()
