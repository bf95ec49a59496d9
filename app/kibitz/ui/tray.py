"""The tray icon: its menu (New chat, Quick ask, Show/Hide, Quit), close to tray, and telling
the user when a long reply finished while its window was hidden.

Close to tray only takes effect while the icon is really in a tray: with no system tray (many
Wayland desktops, a bare X server) closing the window quits as usual, or the app would be
left running with no way back to it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon
from PySide6.QtWidgets import QApplication, QMenu, QStyle, QSystemTrayIcon, QWidget

from kibitz import APP_NAME
from kibitz.core.settings import Settings
from kibitz.core.store import Store
from kibitz.core.types import ConversationId
from kibitz.ui.chat_controller import ChatController

log = logging.getLogger(__name__)

LONG_REPLY_S = 10.0  # a reply that took this long is worth a notification when hidden
MESSAGE_MS = 8000


def tray_available() -> bool:
    return QSystemTrayIcon.isSystemTrayAvailable()


def app_icon() -> QIcon:
    """The window icon if the app has one, else a stock icon (a tray entry needs some icon)."""
    icon = QApplication.windowIcon()
    if icon.isNull():
        style = QApplication.style()
        icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxQuestion)
    return icon


class TrayIcon(QObject):
    """Owns the QSystemTrayIcon and its menu; the window and quick ask stay ignorant of it."""

    new_chat_requested = Signal()
    quick_ask_requested = Signal()
    quit_requested = Signal()
    conversation_requested = Signal(object)  # ConversationId: a notification was clicked

    def __init__(
        self,
        window: QWidget,
        store: Store,
        settings: Callable[[], Settings],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._window = window
        self._store = store
        self._settings = settings
        self._started: dict[ChatController, float] = {}
        self._notified: ConversationId | None = None
        self.icon = QSystemTrayIcon(app_icon(), self)
        self.icon.setToolTip(APP_NAME)
        self.menu = QMenu()
        self.menu.setAccessibleName(f"{APP_NAME} tray menu")
        self._actions: dict[str, QAction] = {}
        for key, text, slot in (
            ("new", "New chat", self.new_chat_requested.emit),
            ("quick", "Quick ask", self.quick_ask_requested.emit),
            ("toggle", "Hide Kibitz", self.toggle_window),
            ("quit", "Quit", self.quit_requested.emit),
        ):
            if key == "quit":
                self.menu.addSeparator()
            act = self.menu.addAction(text)
            act.triggered.connect(slot)
            self._actions[key] = act
        self.menu.aboutToShow.connect(self._on_menu_about_to_show)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_icon_activated)
        self.icon.messageClicked.connect(self._on_icon_message_clicked)
        window.installEventFilter(self)

    # -- what others call -------------------------------------------------------------------------

    def show(self) -> None:
        if tray_available():
            self.icon.show()
            log.info("tray icon shown")
        else:
            log.info("no system tray: closing the window quits")

    def hide(self) -> None:
        self.icon.hide()

    @property
    def in_tray(self) -> bool:
        """The icon is showing in a system tray: hiding the window leaves a way back."""
        return self.icon.isVisible() and tray_available()

    def set_status(self, text: str) -> None:
        """A second tooltip line: the hotkey's state."""
        self.icon.setToolTip(f"{APP_NAME}\n{text}" if text else APP_NAME)

    def toggle_window(self) -> None:
        if self._window.isVisible() and not self._window.isMinimized():
            self._window.hide()
        else:
            show_window(self._window)

    def watch(self, controller: ChatController, view: QWidget) -> None:
        """Notify when a long reply of `controller` ends while `view` is hidden."""
        controller.busy_changed.connect(
            lambda busy: self._on_controller_busy_changed(controller, view, busy)
        )

    # -- internals --------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self._window
            and event.type() == QEvent.Type.Close
            and event.spontaneous()  # the user closed it; File > Quit and Tray > Quit pass
            and self._settings().ui.close_to_tray
            and self.in_tray
        ):
            assert isinstance(event, QCloseEvent)
            event.ignore()
            self._window.hide()
            log.info("window closed to the tray")
            return True
        return super().eventFilter(watched, event)

    def _on_menu_about_to_show(self) -> None:
        shown = self._window.isVisible() and not self._window.isMinimized()
        self._actions["toggle"].setText("Hide Kibitz" if shown else "Show Kibitz")

    def _on_icon_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_window()

    def _on_controller_busy_changed(
        self, controller: ChatController, view: QWidget, busy: bool
    ) -> None:
        if busy:
            self._started[controller] = time.monotonic()
            return
        started = self._started.pop(controller, None)
        conversation = controller.conversation_id
        if started is None or conversation is None:
            return
        took = time.monotonic() - started
        if took < LONG_REPLY_S or (view.isVisible() and not view.isMinimized()):
            return
        if not (self.in_tray and QSystemTrayIcon.supportsMessages()):
            log.info("a long reply ended while hidden; no tray to say so")
            return
        title = self._store.get_conversation(conversation).title
        self._notified = conversation
        log.info(
            "tray notification: reply %.0f s long ready in conversation %s", took, conversation
        )
        self.icon.showMessage(
            APP_NAME,
            f"The reply to “{title}” is ready.",
            QSystemTrayIcon.MessageIcon.Information,
            MESSAGE_MS,
        )

    def _on_icon_message_clicked(self) -> None:
        if self._notified is not None:
            self.conversation_requested.emit(self._notified)


def show_window(window: QWidget) -> None:
    """Show, un-minimise, raise and focus a top-level window."""
    was_visible = window.isVisible()
    if window.isMinimized():
        window.showNormal()
    else:
        window.show()
    if was_visible:  # a window just mapped is on top already
        window.raise_()
    window.activateWindow()
