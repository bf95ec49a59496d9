"""The settings in force while the app runs: one holder, saved on change, announced by signal."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from kibitz.core.errors import SettingsFileError
    from kibitz.core.settings import LoadResult, Settings, UiSettings
    from kibitz.core.settings.first_frame_ui import FirstFrameUi

log = logging.getLogger(__name__)


class SettingsHolder(QObject):
    """Holds the Settings, saves them when they change and says so (`changed`).

    Made with `settings` None, it reads only the file's [ui] section at once and the rest on
    `load()` (or when first asked for them): the app's first frame needs no more, and the whole
    schema costs ~12 ms of imports (see kibitz.core.settings.early_ui). With a `snapshot` file
    it keeps the values the first frame needs there (`first_frame`), and the next start takes
    them from it instead of reading [ui] while the settings file is unchanged
    (kibitz.core.settings.first_frame_ui).
    """

    changed = Signal(object)  # the new Settings

    def __init__(
        self,
        settings: Settings | None,
        path: Path,
        parent: QObject | None = None,
        *,
        snapshot: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._path = path
        self._snapshot = snapshot
        self._early_ui: UiSettings | None = None
        self._kept: FirstFrameUi | None = None  # what the snapshot held at the start
        if settings is None:
            if snapshot is not None:
                from kibitz.core.settings.first_frame_ui import read_snapshot

                self._kept = read_snapshot(snapshot, path)
            if self._kept is None:
                from kibitz.core.settings.early_ui import read_ui

                self._early_ui = read_ui(path)

    def load(self) -> LoadResult | None:
        """Read the whole file, if that was left for later: what it found (problems included,
        for the user to see); None if it was read before. A [ui] section that differs from
        the one read early is announced as a change."""
        if self._settings is not None:
            return None
        from kibitz.core.settings import load_settings

        given = self.first_frame  # what the window was given before the rest was read
        early = self._early_ui
        loaded = load_settings(self._path)
        self._settings = loaded.settings
        self._early_ui = None
        if (early is not None and loaded.settings.ui != early) or self.first_frame != given:
            self.changed.emit(loaded.settings)
        self._keep_first_frame()
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
        if self._settings is None and self._early_ui is None:
            from kibitz.core.settings.early_ui import read_ui

            self._early_ui = read_ui(self._path)
        return self._early_ui if self._early_ui is not None else self.current.ui

    @property
    def first_frame(self) -> FirstFrameUi:
        """What the window's first frame needs of [ui] (theme, text size, send key): kept
        from the last start while the file is unchanged, else read with [ui]."""
        from kibitz.core.settings.first_frame_ui import FirstFrameUi

        if self._settings is None and self._kept is not None:
            return self._kept
        return FirstFrameUi.of(self.ui)

    def _keep_first_frame(self) -> None:
        """The snapshot for the next start, if it holds other values or another file's."""
        if self._snapshot is None or self._settings is None:
            return
        from kibitz.core.settings.first_frame_ui import FirstFrameUi, write_snapshot

        values = FirstFrameUi.of(self._settings.ui)
        if values != self._kept:
            write_snapshot(self._snapshot, self._path, values)
        self._kept = values

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
        self._kept = None  # taken from the file as it was: keep the new one's
        self._keep_first_frame()
        return None


def warm_up(settings: SettingsHolder) -> None:
    """The first request's imports and token table (~0.5 s), then what rendering its reply
    needs (~0.3 s), loaded while the user types it; blocking: run it on a worker thread."""
    from kibitz.core.conversation.engine import warm_up as load
    from kibitz.core.render import warm_up as load_rendering

    load(settings().defaults.model)
    load_rendering()
