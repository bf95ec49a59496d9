"""The app's desktop presence, built after the main window's first frame: the quick-ask
window (made when first summoned), the global hotkey, the tray icon, the single-instance server
and start at login.

bootstrap.py makes one `DesktopPresence` and forwards it the commands of other starts; this
module wires the pieces to each other and to the main window, and nothing else does.
"""

from __future__ import annotations

import logging
import sys
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLockFile, QObject, QTimer, Signal

from kibitz.core import autostart
from kibitz.core.paths import AppPaths
from kibitz.core.secrets import SecretStore
from kibitz.core.settings import Settings
from kibitz.core.store import Store
from kibitz.core.types import ConversationId
from kibitz.ui.app_settings import SettingsHolder, warm_up
from kibitz.ui.hotkey.service import HotkeyService
from kibitz.ui.instance import ACTIVATE, QUICK_ASK
from kibitz.ui.main_window import MainWindow
from kibitz.ui.notify import Notice
from kibitz.ui.tray import TrayIcon, show_window, tray_available
from kibitz.ui.unix_instance_server import UnixInstanceServer
from kibitz.ui.views.composer_attachments import ComposerValue

if TYPE_CHECKING:
    from kibitz.ui.instance_server import InstanceServer
    from kibitz.ui.quick_ask import QuickAskWindow

log = logging.getLogger(__name__)


class DesktopPresence(QObject):
    quit_requested = Signal()

    def __init__(
        self,
        window: MainWindow,
        store: Store,
        paths: AppPaths,
        settings: SettingsHolder,
        secrets: SecretStore,
        executor: Executor,
        lock: QLockFile,
        basedir: str | None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._window = window
        self._store = store
        self._settings = settings
        self._secrets = secrets
        self._executor = executor
        self._basedir = basedir
        self._quick: QuickAskWindow | None = None  # see `quick`
        self.hotkeys = HotkeyService(settings, parent=self)
        self.tray = TrayIcon(window, store, settings, parent=self)
        if sys.platform == "win32":
            from kibitz.ui.instance_server import InstanceServer

            self.server: InstanceServer | UnixInstanceServer = InstanceServer(
                lock, paths.data_dir, parent=self
            )
        else:  # a plain Unix socket: QtNetwork would cost ~3 MB and ~10 ms for it
            self.server = UnixInstanceServer(lock, paths.data_dir, parent=self)
        self.server.command_received.connect(self.handle_command)
        self.hotkeys.activated.connect(self._summon_quick)
        self.hotkeys.status_changed.connect(lambda s: self.tray.set_status(s.describe()))
        window.show_hotkey_status(self.hotkeys.status_text, self.quick_ask_command)
        self.hotkeys.status_changed.connect(
            lambda _s: window.settings_windows.refresh_hotkey_status()
        )
        self.tray.new_chat_requested.connect(self._on_tray_new_chat_requested)
        self.tray.quick_ask_requested.connect(self._summon_quick)
        self.tray.quit_requested.connect(self._on_tray_quit_requested)
        self.tray.conversation_requested.connect(self._on_tray_conversation_requested)
        self.tray.watch(window.chat, window)
        settings.changed.connect(self._on_settings_changed)
        self._autostart: bool | None = None

    @property
    def quick(self) -> QuickAskWindow:
        """The quick-ask window, made the first time it is wanted: the start does not pay for
        a window most sessions never open (~5 ms), its first summons does once."""
        if self._quick is None:
            from kibitz.ui.quick_ask import QuickAskWindow

            window, settings, executor = self._window, self._settings, self._executor
            quick = self._quick = QuickAskWindow(
                self._store, settings, self._secrets, executor,
                media=window.media, tools=window.tools,
            )  # fmt: skip
            quick.open_requested.connect(self._on_quick_open_requested)
            quick.setup_requested.connect(self._on_quick_setup_requested)
            quick.model_choice_requested.connect(self._on_quick_model_choice_requested)
            quick.reply_finished.connect(window.refresh_conversation)
            quick.composer.typing_started.connect(lambda: executor.submit(warm_up, settings))
            self.tray.watch(quick.chat, quick)
        return self._quick

    def _summon_quick(self) -> None:
        self.quick.summon()

    @property
    def quick_ask_command(self) -> str:
        """What to bind to a desktop shortcut: `kibitz --quick-ask` for this data folder."""
        return autostart.shell_command([*autostart.app_command(self._basedir), "--quick-ask"])

    def start(self) -> None:
        self.tray.show()
        self.hotkeys.start()
        self._sync_autostart(self._settings())

    def handle_command(self, command: str) -> None:
        """A command from another start (or from this one's own command line)."""
        if command == QUICK_ASK:
            self.quick.summon()
        elif command == ACTIVATE:
            show_window(self._window)

    def starts_hidden(self) -> bool:
        """`--tray` (start at login) hides the window only where a tray can bring it back."""
        return tray_available()

    async def aclose(self) -> None:
        """Stop quick-ask replies cleanly, release the hotkey and the instance."""
        if self._quick is not None:
            await self._quick.runner.shutdown()
            await self._quick.chat.aclose()
        self.hotkeys.stop()
        self.tray.hide()
        self.server.close()

    # -- slots ------------------------------------------------------------------------------------

    def _on_quick_open_requested(
        self,
        conversation: ConversationId | None,
        draft: str,
        attachments: tuple[ComposerValue, ...] = (),
    ) -> None:
        self._window.open_conversation(conversation, draft, attachments)

    def _on_quick_model_choice_requested(self, conversation: ConversationId) -> None:
        self._window.open_conversation(conversation)
        self._window.choose_model(conversation)

    def _on_quick_setup_requested(self, action: str) -> None:
        del action  # the window's setup pane connects a server or takes a key
        show_window(self._window)
        self._window.setup.show_setup(force=True)

    def _on_tray_new_chat_requested(self) -> None:
        show_window(self._window)
        self._window.new_chat()

    def _on_tray_conversation_requested(self, conversation: ConversationId) -> None:
        self._window.open_conversation(conversation, "")

    def _on_tray_quit_requested(self) -> None:
        if self._quick is not None:
            self._quick.hide()
        # Not spontaneous, so the tray lets it through: the window saves its geometry.
        self._window.close()
        QTimer.singleShot(0, self.quit_requested.emit)

    def _on_settings_changed(self, settings: Settings) -> None:
        self._sync_autostart(settings)

    def _sync_autostart(self, settings: Settings) -> None:
        wanted = settings.ui.start_at_login
        if wanted == self._autostart or not autostart.supported():
            return
        try:
            command = autostart.app_command(self._basedir)
            if wanted:
                path: Path | None = autostart.enable(command)
            else:
                path = autostart.entry_path() if autostart.disable(command) else None
        except OSError as exc:
            log.warning("start at login: %s", exc)
            self._window.notices.show_notice(
                Notice(
                    f"Start at login could not be changed: {exc}. "
                    "Check that your autostart folder is writable.",
                    kind="error",
                )
            )
            return
        self._autostart = wanted
        if path is not None:
            log.info("start at login %s: %s", "on" if wanted else "off", path)
