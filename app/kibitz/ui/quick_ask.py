"""The quick-ask window: a compact panel for one question, summoned by the global hotkey.

It is the chat pane in small: the same Composer, ChatView and ChatController as the main
window (so a reply streams, renders, fails and retries exactly as there), its own TaskRunner
(a quick-ask reply never cancels the main window's). Every exchange is an ordinary stored
conversation; "Open in Kibitz" (Ctrl+Enter) hands it, and any unsent text and attachments, to
the main window. Files and images are attached as in the window: pasted, dropped on the panel,
or chosen with the paperclip; tools are offered, and approved, as in the window.
Built once after the main window's first frame and kept hidden, so summoning it only shows it.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from typing import Literal

from PySide6.QtCore import QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QClipboard,
    QCloseEvent,
    QCursor,
    QGuiApplication,
    QKeySequence,
    QPainter,
    QPaintEvent,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

from kibitz.core.errors import KibitzError
from kibitz.core.secrets import SecretStore
from kibitz.core.store import Store
from kibitz.core.types import ConversationId
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.attachments.drops import FileDrops
from kibitz.ui.attachments.media import MediaServices
from kibitz.ui.chat_controller import ChatController
from kibitz.ui.controllers.tool_offer import ToolOffer
from kibitz.ui.notify import Notice, NoticeBar
from kibitz.ui.panel_frame import SHADOW, PanelFrame, can_be_translucent
from kibitz.ui.tasks import TaskRunner
from kibitz.ui.tools.service import ToolService
from kibitz.ui.views.chat_view import ChatView
from kibitz.ui.views.composer import Composer

log = logging.getLogger(__name__)

TITLE = "Kibitz Quick Ask"
WIDTH = 720
ANSWER_HEIGHT = 520  # the panel's height once an answer shows (less on a small screen)
PREFILL_LIMIT = 20_000  # characters taken from the clipboard or selection
_SCREEN_SHARE = 0.9
_QWIDGETSIZE_MAX = (1 << 24) - 1
Prefill = Literal["none", "clipboard", "selection"]


class QuickAskWindow(QWidget):
    """Summon with `summon()`; emits `open_requested(conversation id or None, draft,
    attachments)`."""

    # ConversationId | None, unsent text, the unsent attachments (a tuple)
    open_requested = Signal(object, str, object)
    setup_requested = Signal(str)  # an Action value, as ChatController.setup_requested
    model_choice_requested = Signal(object)  # ConversationId, as ChatController's
    reply_finished = Signal(object)  # ConversationId: a reply ended (complete or not)

    def __init__(
        self,
        store: Store,
        settings: SettingsHolder,
        secrets: SecretStore,
        executor: Executor,
        parent: QWidget | None = None,
        *,
        media: MediaServices | None = None,
        tools: ToolService | None = None,
    ) -> None:
        """`media`: the main window's attachment services (shared thumbnails and worker);
        `tools`: the app's MCP servers (without: no tools are offered here)."""
        super().__init__(parent)
        self.setObjectName("QuickAsk")
        self.setWindowTitle(TITLE)
        self.setAccessibleName(TITLE)
        # A panel above whatever the user was doing, without a title bar of its own.
        self.setWindowFlags(
            Qt.WindowType.Window
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
        )
        # Hiding or closing it never ends the app; the main window (or the tray) decides that.
        self.setAttribute(Qt.WidgetAttribute.WA_QuitOnClose, False)
        # A border always, a shadow where the window can be see-through: decided before the
        # native window exists, which is when Qt picks an alpha visual or not.
        translucent = can_be_translucent()
        self.frame = PanelFrame(SHADOW if translucent else 0)
        if translucent:
            self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground, True)
        self._anchor: QPoint | None = None  # where `_place` opens it next
        self._settings = settings
        self.runner = TaskRunner(self)
        self.media = media if media is not None else MediaServices(store, None, self)
        self.composer = Composer()
        self.chat_view = ChatView(store, thumbnails=self.media.thumbnails)
        self.chat_view.hide()
        self.notices = NoticeBar()
        offer = (
            ToolOffer(tools, settings, store, self.composer, self.notices.show_notice)
            if tools is not None
            else None
        )
        self.chat = ChatController(
            store,
            self.chat_view,
            self.composer,
            self.runner,
            self.notices.show_notice,
            settings,
            secrets,
            executor,
            media=self.media,
            tools=offer,
        )
        self.file_drops = FileDrops(self)
        for target in (self, self.chat_view):
            self.file_drops.watch(target)
        self.file_drops.dropped.connect(self.chat.intake.add_paths)
        self._build()
        self._add_actions()
        self.chat.conversation_opened.connect(self._on_chat_conversation_opened)
        self.chat.busy_changed.connect(self._on_chat_busy_changed)
        # Chips (and lines of text) make the compact panel taller: after the layout saw them.
        self.composer.contents_changed.connect(lambda: QTimer.singleShot(0, self._fit_height))
        self.chat.setup_requested.connect(self._on_chat_setup_requested)
        self.chat.model_choice_requested.connect(self._on_chat_model_choice_requested)
        self.runner.failed.connect(self._on_runner_failed)
        self._prepare()

    # -- layout -----------------------------------------------------------------------------------

    def _build(self) -> None:
        title = QLabel("Quick ask")
        title.setObjectName("QuickAskTitle")
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        self._hide_button = QToolButton()
        self._hide_button.setText("✕")
        self._hide_button.setAutoRaise(True)
        self._hide_button.setAccessibleName("Hide quick ask")
        self._hide_button.setToolTip("Hide (Esc)")
        self._hide_button.clicked.connect(self.dismiss)
        header = QHBoxLayout()
        header.setContentsMargins(16, 10, 8, 0)
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self._hide_button)

        self._hint = QLabel("Enter asks · Ctrl+Enter opens in Kibitz · Esc hides")
        self._hint.setObjectName("QuickAskHint")
        self._hint.setAccessibleName("Quick ask keys")
        self._hint.setEnabled(False)  # drawn muted
        self.open_button = QPushButton("Open in Kibitz")
        self.open_button.setObjectName("OpenInKibitz")
        self.open_button.setAccessibleName("Open in Kibitz")
        self.open_button.setToolTip("Continue in the main window (Ctrl+Enter)")
        self.open_button.setAutoDefault(False)
        self.open_button.clicked.connect(self.open_in_kibitz)
        footer = QHBoxLayout()
        footer.setContentsMargins(16, 0, 16, 10)
        footer.addWidget(self._hint, 1)
        footer.addWidget(self.open_button)

        composer_row = QHBoxLayout()
        composer_row.setContentsMargins(16, 0, 16, 0)
        composer_row.addWidget(self.composer)
        self._column = column = QVBoxLayout(self)
        edge = self.frame.margin + 1  # inside the shadow and the 1 px border
        column.setContentsMargins(edge, edge, edge, edge)
        column.setSpacing(0)
        column.addLayout(header)
        column.addWidget(self.chat_view, 1)
        column.addLayout(composer_row)
        column.addWidget(self.notices)
        column.addLayout(footer)

    def _add_actions(self) -> None:
        hide = QAction("Hide quick ask", self)
        hide.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        hide.triggered.connect(self.dismiss)
        self.addAction(hide)
        open_in = QAction("Open in Kibitz", self)
        open_in.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        open_in.triggered.connect(self.open_in_kibitz)
        self.addAction(open_in)
        new = QAction("New quick question", self)
        new.setShortcut(QKeySequence(QKeySequence.StandardKey.New))
        new.triggered.connect(self._on_new_triggered)
        self.addAction(new)

    def _prepare(self) -> None:
        """Do now what the first show would otherwise do: polish, lay out, make the X window."""
        self.setFixedWidth(WIDTH + 2 * self.frame.margin)
        self.ensurePolished()
        self._fit_height()
        self.winId()  # the native window exists before the first summon

    # -- behaviour --------------------------------------------------------------------------------

    def summon(self) -> None:
        """Show on the screen the user is on, input focused (or a tool approval that waits);
        a finished exchange gives way to a fresh one, while unsent text and a reply still
        arriving stay."""
        if self.isVisible() and self.isActiveWindow():
            self._focus()
            return
        if not self.composer.text.strip() and not self.composer.chips() and not self.chat.busy:
            if self.chat.conversation_id is not None:
                self.chat.new_chat()
            self._prefill()
        self._place()
        self.show()
        # Mapping does not raise on X11: the panel's window was made at start-up, so any window
        # made since (another application's) would stay over it where no window manager raises.
        self.raise_()
        self.activateWindow()
        self._focus()

    def _focus(self) -> None:
        # A call waiting for the user's answer is what they came back for.
        if not self.chat_view.focus_approval():
            self.composer.focus_input()

    def dismiss(self) -> None:
        """Hide; a reply that is still arriving goes on (and is stored) meanwhile."""
        self.hide()

    def open_in_kibitz(self) -> None:
        conversation = self.chat.conversation_id
        draft = self.composer.text
        attachments = self.composer.attachments  # those still being read stay behind
        if conversation is None and not draft.strip() and not attachments:
            return
        self.composer.clear()
        self.hide()
        log.info("quick ask: continuing conversation %s in the main window", conversation)
        self.open_requested.emit(conversation, draft, attachments)

    # -- internals --------------------------------------------------------------------------------

    def _prefill(self) -> None:
        mode = self._settings().ui.quick_ask_prefill
        if mode == "none":
            return
        clipboard = QGuiApplication.clipboard()
        which = QClipboard.Mode.Selection if mode == "selection" else QClipboard.Mode.Clipboard
        if which is QClipboard.Mode.Selection and not clipboard.supportsSelection():
            return  # no primary selection outside X11
        text = clipboard.text(which).strip()[:PREFILL_LIMIT]
        if text:
            # The question goes below the quoted text; the cursor waits there.
            self.composer.set_text(f"{text}\n\n")

    def _place(self) -> None:
        """Open on the screen the user is on, centred for the panel's full (answer) height,
        so that growing downward later keeps the input where it was."""
        screen = QGuiApplication.screenAt(QCursor.pos()) or QGuiApplication.primaryScreen()
        area: QRect = screen.availableGeometry()
        margin = self.frame.margin
        self.setFixedWidth(min(WIDTH + 2 * margin, int(area.width() * _SCREEN_SHARE)))
        tallest = min(ANSWER_HEIGHT + 2 * margin, int(area.height() * _SCREEN_SHARE))
        x = area.left() + (area.width() - self.width()) // 2
        y = area.top() + (area.height() - tallest) // 2
        self._anchor = QPoint(x, y)
        self._fit_height()

    def _fit_height(self) -> None:
        screen = self.screen()
        limit = int(screen.availableGeometry().height() * _SCREEN_SHARE) if screen else 800
        if not self.chat_view.isHidden():
            wanted = min(ANSWER_HEIGHT + 2 * self.frame.margin, limit)
        else:
            column = self._column
            column.activate()
            # Attachment chips wrap into rows: ask for the height at the panel's width.
            wanted = (
                column.totalHeightForWidth(self.width())
                if column.hasHeightForWidth()
                else column.sizeHint().height()
            )
            wanted = min(max(wanted, column.sizeHint().height()), limit)
        self._set_height(wanted)

    def _set_height(self, height: int) -> None:
        """Grow or shrink downward from where the panel opened; where the screen ends, move
        up only as much as needed (the chat view scrolls inside). Position and size go to the
        window system together, from where it opened."""
        # Where `_place` opened it, not pos(): a reparenting window manager (Openbox) leaves
        # Qt believing a frameless window sits at (0, 0), and resizing sent it there.
        anchor = self._anchor
        screen = self.screen()
        if anchor is None or screen is None:
            self.setFixedHeight(height)
            return
        area = screen.availableGeometry()
        height = min(height, area.height())
        top = max(area.top(), min(anchor.y(), area.bottom() + 1 - height))
        left = max(area.left(), min(anchor.x(), area.right() + 1 - self.width()))
        # Loosen the fixed height first, or setGeometry would be held to the old one.
        self.setMinimumHeight(0)
        self.setMaximumHeight(_QWIDGETSIZE_MAX)
        self.setGeometry(left, top, self.width(), height)
        self.setFixedHeight(height)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setClipRegion(event.region())
        self.frame.paint(painter, self.size(), self.palette(), self.devicePixelRatioF())
        painter.end()

    def _on_chat_conversation_opened(self, conversation_id: ConversationId | None) -> None:
        self.chat_view.setVisible(conversation_id is not None)
        self._fit_height()

    def _on_chat_busy_changed(self, busy: bool) -> None:
        if not busy and self.chat.conversation_id is not None:
            self.reply_finished.emit(self.chat.conversation_id)

    def _on_chat_setup_requested(self, action: str) -> None:
        self.hide()
        self.setup_requested.emit(action)

    def _on_chat_model_choice_requested(self, conversation_id: ConversationId) -> None:
        self.hide()
        self.model_choice_requested.emit(conversation_id)

    def _on_runner_failed(self, _key: str, error: KibitzError) -> None:
        self.notices.show_notice(Notice(" ".join(error.lines()), kind="error"))

    def _on_new_triggered(self) -> None:
        if not self.chat.busy:
            self.chat.new_chat()
            self.composer.focus_input()

    def closeEvent(self, event: QCloseEvent) -> None:
        # Alt+F4 or a window manager's close: the panel hides, it is never destroyed.
        event.ignore()
        self.hide()
