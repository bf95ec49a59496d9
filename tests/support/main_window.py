"""The main window built as the app builds it, on a store a test has filled, for widget tests."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from pytestqt.qtbot import QtBot

from kibitz.core.paths import AppPaths
from kibitz.core.secrets import MemorySecretStore, SessionSecretStore
from kibitz.core.settings import Settings
from kibitz.core.store import Store
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.main_window import MainWindow
from kibitz.ui.tasks import TaskRunner


@contextmanager
def shown_window(
    qtbot: QtBot, store: Store, paths: AppPaths, settings: Settings | None = None
) -> Iterator[MainWindow]:
    """A shown MainWindow with keys in memory only; its worker thread ends with the block."""
    executor = ThreadPoolExecutor(max_workers=1)
    try:
        main = MainWindow(
            store,
            paths,
            SettingsHolder(settings or Settings(), paths.settings_file),
            SessionSecretStore(MemorySecretStore()),
            TaskRunner(),
            executor,
        )
        qtbot.addWidget(main)
        main.show()
        yield main
    finally:
        executor.shutdown(wait=True)
