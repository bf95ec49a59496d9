"""The composition root of the app: QApplication, the qasync loop, services and the window.

Only what the first frame needs is imported before the window shows (the conversation list,
read from the database's first page, and the composer, kibitz.ui.main_window, and the [ui]
settings); the Store, the chat view, its controller and the chat engine, tool servers,
Settings and the rest of the settings come once that frame is painted, before the event loop
takes the first key (kibitz.ui.app.first_frame); quick ask, the tray and the hotkey in the
loop's first turn. openai, markdown and pygments load later still (openai in the background
once the user starts typing, the others on the first render of a message).
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from kibitz import APP_ID, APP_NAME
from kibitz.core.errors import KibitzError
from kibitz.core.logs import configure_logging
from kibitz.core.paths import resolve_paths

if TYPE_CHECKING:
    from kibitz.ui.desktop import DesktopPresence
    from kibitz.ui.main_window import MainWindow

log = logging.getLogger(__name__)

FIRST_FRAME_SNAPSHOT = "first-frame-ui.json"  # in the cache folder: see SettingsHolder
KEPT_ICONS = "icons"  # in the cache folder: see kibitz.ui.icons.keep_drawn_icons
KEPT_PALETTE = "first-frame-palette.json"  # in the cache folder: see kibitz.ui.kept_palette


def run_gui(
    args: argparse.Namespace,
    on_started: Callable[[MainWindow, DesktopPresence], None] | None = None,
) -> int:
    """Start the app and run its event loop until the last window closes.

    `on_started` (the smoke test, kibitz.ui.smoke) is called once everything is built, from
    the event loop's first turn.
    """
    from kibitz.ui.app.first_frame import READY, StartupLog
    from kibitz.ui.app.pyside_scan import install as scan_imports_cheaply

    startup = StartupLog()
    scan_imports_cheaply()  # before the ~300 imports to come (see pyside_scan)
    # qasync picks the first Qt binding it finds installed unless told which one we use.
    os.environ.setdefault("QT_API", "pyside6")
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication, QMessageBox

    from kibitz.core.errors import InternalError
    from kibitz.core.secrets import KeyringSecretStore, SessionSecretStore
    from kibitz.ui.app.crash import CrashReporter
    from kibitz.ui.app.notices import NoticeBridge
    from kibitz.ui.app.store_upgrade import open_store
    from kibitz.ui.app_settings import SettingsHolder, warm_up
    from kibitz.ui.collector import MainThreadCollector
    from kibitz.ui.icons import keep_drawn_icons
    from kibitz.ui.instance import claim_instance, command_for
    from kibitz.ui.kept_palette import apply_kept_palette
    from kibitz.ui.main_window import MainWindow
    from kibitz.ui.notify import Notice
    from kibitz.ui.style import apply_palette, apply_style, apply_theme
    from kibitz.ui.tasks import TaskRunner

    QGuiApplication.setDesktopFileName(APP_ID)
    app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    # No setApplicationDisplayName: Qt appends the display name to every window title that
    # does not end with it (the X window of "Kibitz Quick Ask" was named "Kibitz Quick Ask —
    # Kibitz"). Without one, applicationDisplayName() is the application name.
    app.setOrganizationName(APP_NAME)
    from kibitz.ui.app_icon import load_app_icon

    app.setWindowIcon(load_app_icon())
    # Notices raised before the window exists (a crash while it is built) wait here for it.
    notices = NoticeBridge()
    try:
        paths = resolve_paths(args.basedir).ensure()
        # One Kibitz per data folder: lost a start race? The winner gets the request.
        instance_lock = claim_instance(paths.data_dir, command_for(args.quick_ask))
        if instance_lock is None:
            return 0
        configure_logging(paths, verbose=args.verbose)
        # The icons drawn are kept: the next start paints its first frame without QtSvg.
        keep_drawn_icons(paths.cache_dir / KEPT_ICONS)
        # From here an exception nobody catches is logged, told and survived, never fatal.
        crash = CrashReporter(paths.log_dir, notices.show_notice, parent=app)
        crash.install()
        # The [ui] settings now (kept from the last start while the file is unchanged), the
        # rest once the first frame is painted (see SettingsHolder).
        settings = SettingsHolder(
            None, paths.settings_file, snapshot=paths.cache_dir / FIRST_FRAME_SNAPSHOT
        )
        # An older database is upgraded behind a progress window, not a frozen start. The
        # first frame lists the database's first page; the Store comes after it (finish_start).
        opening = open_store(paths.database, app)
    except (KibitzError, OSError) as exc:
        # The one modal: nothing can run without the data folder.
        QMessageBox.critical(None, APP_NAME, f"Kibitz could not start.\n\n{exc}")
        return 1
    # The palette the last start made (making it costs the first frame ~4 ms), else made now.
    kept_palette = paths.cache_dir / KEPT_PALETTE
    if not apply_kept_palette(app, settings.first_frame.theme, kept_palette):
        apply_palette(app, settings.first_frame.theme)
    # One worker thread for blocking calls (keyring, big reads): the UI never waits on them.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kibitz-io")
    runner = TaskRunner()
    secrets = SessionSecretStore(KeyringSecretStore())
    window = MainWindow(opening, paths, settings, secrets, runner, executor, deferred=True)
    apply_style(app)  # after the window's widgets are made: see apply_palette
    notices.attach(window.notices.show_notice, window.notices)
    if opening.recovered is not None:
        window.show_notice(opening.recovered)

    def on_runner_failed(_key: str, error: KibitzError) -> None:
        if not isinstance(error, InternalError):  # a bug: the crash handler tells of it
            window.notices.show_notice(Notice(" ".join(error.lines()), kind="error"))

    runner.failed.connect(on_runner_failed)
    settings.changed.connect(lambda s: apply_theme(app, s.ui.theme))
    # The HTTP client (openai: ~0.35 s and ~40 MB) loads while the user types the first
    # question, not at start-up: an idle window stays light.
    window.composer.typing_started.connect(lambda: executor.submit(warm_up, settings))
    if args.tray:  # start at login: in the tray, where there is one
        from kibitz.ui.tray import tray_available

        args.tray = tray_available()
    # Closed before the event loop runs (the first frame's events include the window manager's):
    # the loop then ends as soon as it starts.
    closed_early: list[bool] = []
    app.lastWindowClosed.connect(lambda: closed_early.append(True))
    if not args.tray:
        from kibitz.ui.app.first_frame import USABLE, describe_first_frame, paint_first_frame

        window.show()
        # Map and paint the window now; the rest of it, then the event loop machinery
        # (asyncio, qasync), quick ask, the tray and the hotkey after. Keys typed meanwhile
        # wait in the queue for the composer, which has the focus already.
        paint_first_frame(window)
        startup.mark(
            USABLE,
            describe_first_frame(
                window.sidebar.conversation_model.rowCount(),
                window.focusWidget(),
                window.composer,
            ),
        )
    loaded = settings.load()
    if loaded is not None:
        if loaded.error is not None:
            window.show_notice(loaded.error)
        for warning in loaded.warnings:
            window.notices.show_notice(Notice(f"Settings: {warning}", kind="warning"))
    window.finish_start()
    store = opening.finish()  # the window's, made by finish_start

    import asyncio

    from kibitz.ui.app.event_loop import AppEventLoop

    # Everything built so far lives as long as the app: keep it out of the garbage collector's
    # full passes, which otherwise stall the event loop for 25-50 ms while a reply streams.
    gc.freeze()
    # From here on the collector runs only on this thread (see kibitz.ui.collector).
    collector = MainThreadCollector(app, busy=runner.running_any)
    loop = AppEventLoop(app)
    asyncio.set_event_loop(loop)
    crash.watch_loop(loop)
    try:
        with loop:
            finished = asyncio.Event()
            app.lastWindowClosed.connect(finished.set)
            if closed_early:
                finished.set()
            desktops: list[DesktopPresence] = []

            def start_desktop() -> None:
                """Quick ask, hotkey, tray, the single-instance server: resident, built once
                the loop runs (the window takes the keys that waited first, where they come
                first), the last part of the start."""
                if finished.is_set():
                    return
                from kibitz.ui.desktop import DesktopPresence

                desktop = DesktopPresence(
                    window, store, paths, settings, secrets, executor, instance_lock, args.basedir
                )
                desktops.append(desktop)
                desktop.quit_requested.connect(finished.set)
                desktop.start()
                gc.freeze()  # as above: they live as long as the app
                if args.quick_ask:
                    desktop.handle_command(command_for(quick_ask=True))
                # The palette as the style makes it now, in case the kept one is out of date;
                # a palette change during the start is covered too: the stylesheet was made from
                # the palette of the start, and apply_style below looks again.
                from kibitz.ui.kept_palette import confirm_palette
                from kibitz.ui.style import ThemeFollower

                confirm_palette(app, settings.ui.theme, kept_palette)
                ThemeFollower(app)  # owned by the app
                apply_style(app)  # does nothing unless the palette changed since
                startup.mark(READY)
                # The key check after the start, not in it: a key in the keyring loads keyring
                # (with secretstorage and cryptography: ~45 ms) on the worker thread, which
                # would take turns with the main thread building the rest.
                window.start_background_work()
                if on_started is not None:
                    on_started(window, desktop)

            QTimer.singleShot(0, start_desktop)
            loop.run_until_complete(finished.wait())
            # Stop replies cleanly (partial text marked interrupted, streams closed).
            loop.run_until_complete(runner.shutdown())
            for desktop in desktops:
                loop.run_until_complete(desktop.aclose())
            loop.run_until_complete(window.chat.aclose())
            loop.run_until_complete(window.tools.aclose())  # the MCP servers stop with the app
            # No more thumbnails; the copies of files opened in other applications go.
            window.media.shutdown()
            # Last garbage while the loop is open: the loop closes an abandoned HTTP body stream
            # (an async generator) in a task; a collection after it is gone could not.
            collector.stop()
            gc.collect()
            loop.run_until_complete(asyncio.sleep(0.05))
            loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        collector.stop()
        executor.shutdown(wait=True, cancel_futures=True)
        opening.close()  # the store's connection
        crash.uninstall()
    return 0
