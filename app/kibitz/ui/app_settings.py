"""The settings in force while the app runs: one holder, saved on change, announced by signal."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from kibitz.core.errors import SettingsFileError
from kibitz.core.settings import Settings, save_settings

log = logging.getLogger(__name__)


class SettingsHolder(QObject):
    changed = Signal(object)  # the new Settings

    def __init__(self, settings: Settings, path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._path = path

    def __call__(self) -> Settings:
        return self._settings

    @property
    def current(self) -> Settings:
        return self._settings

    def update(self, settings: Settings) -> SettingsFileError | None:
        """Apply at once; write the file. A failed write is returned for the user to see."""
        self._settings = settings
        self.changed.emit(settings)
        try:
            save_settings(self._path, settings)
        except SettingsFileError as exc:
            log.warning("could not save settings: %s", exc)
            return exc
        return None


def warm_up(settings: SettingsHolder) -> None:
    """The first request's imports and token table (~0.5 s), then what rendering its reply
    needs (~0.3 s), loaded while the user types it; blocking: run it on a worker thread."""
    from kibitz.core.conversation.engine import warm_up as load
    from kibitz.core.render import warm_up as load_rendering

    load(settings().defaults.model)
    load_rendering()
