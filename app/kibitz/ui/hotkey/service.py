"""HotkeyService: the global quick-ask hotkey as the app sees it — grab, re-grab, status.

It picks the back end for the session (X11, the Wayland portal, Windows, macOS), grabs the
combination from settings, re-grabs when the setting changes, and reports what happened in
plain words for the settings page (`status()`, `status_changed`). A refusal (another app holds
the keys, no portal) is a status, never an exception: `kibitz --quick-ask` always works.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from kibitz.core.settings import Settings
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.hotkey.protocol import (
    HotkeyBackend,
    HotkeyState,
    HotkeyStatus,
    HotkeyUnavailableError,
    InvalidHotkeyError,
    OnActivated,
    OnConfirmed,
    OnFailed,
    parse_combination,
)

log = logging.getLogger(__name__)

BackendFactory = Callable[[OnActivated, OnFailed, OnConfirmed, QObject], HotkeyBackend]
NO_PORTAL = "Wayland session without the GlobalShortcuts portal"


def session_backend(
    on_activated: OnActivated, on_failed: OnFailed, on_confirmed: OnConfirmed, parent: QObject
) -> HotkeyBackend:
    """The back end for this session; HotkeyUnavailableError when there is none."""
    if sys.platform == "win32":
        from kibitz.ui.hotkey.windows import WindowsHotkeyBackend

        return WindowsHotkeyBackend(on_activated, parent)
    if sys.platform == "darwin":
        from kibitz.ui.hotkey.macos import MacHotkeyBackend

        return MacHotkeyBackend(on_activated)
    if os.environ.get("WAYLAND_DISPLAY") or os.environ.get("XDG_SESSION_TYPE") == "wayland":
        # XGrabKey under XWayland only sees keys while an X client has the focus: not global.
        from kibitz.ui.hotkey.portal import PortalHotkeyBackend

        return PortalHotkeyBackend(on_activated, on_failed, on_confirmed, parent)
    if os.environ.get("DISPLAY"):
        from kibitz.ui.hotkey.x11 import X11HotkeyBackend

        return X11HotkeyBackend(on_activated, on_failed, parent=parent)
    raise HotkeyUnavailableError("no X11 or Wayland display to take a hotkey from")


class HotkeyService(QObject):
    activated = Signal()
    status_changed = Signal(object)  # HotkeyStatus

    def __init__(
        self,
        settings: SettingsHolder,
        backend_factory: BackendFactory = session_backend,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._factory = backend_factory
        self._backend: HotkeyBackend | None = None
        self._applied: str | None = None
        self._status = HotkeyStatus(HotkeyState.OFF)
        settings.changed.connect(self._on_settings_changed)

    def start(self) -> None:
        """Grab the combination in settings (call once the window is up)."""
        self._apply(self._settings().ui.hotkey)

    def status(self) -> HotkeyStatus:
        return self._status

    def status_text(self) -> str:
        return self._status.describe()

    def stop(self) -> None:
        """Release the grab (on quit, so the keys go back to the desktop at once)."""
        self._release()
        self._applied = None
        self._set_status(HotkeyStatus(HotkeyState.OFF))

    # -- internals ------------------------------------------------------------------------------

    def _on_settings_changed(self, settings: Settings) -> None:
        if self._applied is not None and settings.ui.hotkey != self._applied:
            self._apply(settings.ui.hotkey)

    def _apply(self, text: str) -> None:
        self._release()
        self._applied = text
        if not text.strip():
            self._set_status(HotkeyStatus(HotkeyState.OFF))
            return
        try:
            combination = parse_combination(text)
        except InvalidHotkeyError as exc:
            self._set_status(HotkeyStatus(HotkeyState.UNAVAILABLE, text, str(exc)))
            return
        label = combination.label
        try:
            backend = self._factory(
                self._on_backend_activated,
                lambda reason: self._on_backend_failed(backend, label, reason),
                lambda: self._on_backend_confirmed(backend, label),
                self,
            )
            self._backend = backend
            backend.grab(combination)
        except HotkeyUnavailableError as exc:
            self._backend = None
            log.info("hotkey %s unavailable: %s", label, exc)
            self._set_status(HotkeyStatus(HotkeyState.UNAVAILABLE, label, str(exc)))
            return
        state = HotkeyState.PENDING if backend.asynchronous else HotkeyState.ACTIVE
        log.info("hotkey %s: %s through %s", label, state.value, backend.name)
        self._set_status(HotkeyStatus(state, label))

    def _release(self) -> None:
        backend, self._backend = self._backend, None
        if backend is not None:
            backend.release()

    def _on_backend_activated(self) -> None:
        self.activated.emit()

    def _on_backend_confirmed(self, backend: HotkeyBackend, label: str) -> None:
        if backend is self._backend:
            self._set_status(HotkeyStatus(HotkeyState.ACTIVE, label))

    def _on_backend_failed(self, backend: HotkeyBackend, label: str, reason: str) -> None:
        if backend is self._backend:
            self._set_status(HotkeyStatus(HotkeyState.UNAVAILABLE, label, reason))

    def _set_status(self, status: HotkeyStatus) -> None:
        if status != self._status:
            self._status = status
            self.status_changed.emit(status)
