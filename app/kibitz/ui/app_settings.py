"""The settings in force while the app runs: one holder, saved on change, announced by signal."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from kibitz.core.errors import SettingsFileError
    from kibitz.core.settings import LoadResult, Settings, UiSettings

log = logging.getLogger(__name__)


class SettingsHolder(QObject):
    """Holds the Settings, saves them when they change and says so (`changed`).

    Made with `settings` None, it reads only the file's [ui] section at once and the rest on
    `load()` (or when first asked for them): the app's first frame needs no more, and the whole
    schema costs ~12 ms of imports (see kibitz.core.settings.early_ui).
    """

    changed = Signal(object)  # the new Settings

    def __init__(
        self, settings: Settings | None, path: Path, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._early_ui: UiSettings | None = None
        if settings is None:
            from kibitz.core.settings.early_ui import read_ui

            self._early_ui = read_ui(path)
        self._path = path

    def load(self) -> LoadResult | None:
        """Read the whole file, if that was left for later: what it found (problems included,
        for the user to see); None if it was read before. A [ui] section that differs from
        the one read early is announced as a change."""
        if self._settings is not None:
            return None
        from kibitz.core.settings import load_settings

        loaded = load_settings(self._path)
        self._settings = loaded.settings
        if loaded.settings.ui != self._early_ui:
            self.changed.emit(loaded.settings)
        self._early_ui = None
        return loaded

    def __call__(self) -> Settings:
        return self.current

    @property
    def current(self) -> Settings:
        if self._settings is None:
            self.load()
        assert self._settings is not None
        return self._settings

    @property
    def ui(self) -> UiSettings:
        """The [ui] settings: those read early until `load()` (or `update`) has the rest."""
        return self._early_ui if self._early_ui is not None else self.current.ui

    def update(self, settings: Settings) -> SettingsFileError | None:
        """Apply at once; write the file. A failed write is returned for the user to see."""
        from kibitz.core.errors import SettingsFileError
        from kibitz.core.settings import save_settings

        self._settings = settings
        self._early_ui = None
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
