"""The main window: the conversation sidebar beside the chat pane (view, composer, notices).

Built in two steps so that the first frame comes soon: the constructor makes what that frame
shows (the conversation list, the composer, the welcome pane, the menus) and `finish_start`
the rest (the chat view, its controller and the chat engine, tool servers, Settings), whose
imports cost more than the window itself. The app shows the window between the two, before
its event loop runs, so no key or click reaches a window that is not complete: typed keys
wait in the queue and land in the composer, Enter sends through the finished controller.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kibitz import APP_NAME
from kibitz.core.changes import ChangeKind, Changes, ConversationId, MessageId
from kibitz.core.errors import Action, KibitzError
from kibitz.core.paths import AppPaths
from kibitz.core.secrets import SessionSecretStore
from kibitz.core.store.opening import StoreOpening
from kibitz.ui.app_settings import SettingsHolder
from kibitz.ui.controllers.zoom import ConversationZoom
from kibitz.ui.notify import Notice, NoticeBar
from kibitz.ui.tasks import TaskRunner
from kibitz.ui.views.composer import Composer
from kibitz.ui.views.sidebar import Sidebar
from kibitz.ui.views.welcome import WelcomePane
from kibitz.ui.window_menus import add_compare_keys, add_menus

if TYPE_CHECKING:
    from kibitz.core.store import FirstPage, Store
    from kibitz.core.tools import ServerStatus
    from kibitz.ui.controllers.compare_controller import CompareController
    from kibitz.ui.controllers.store_watch import StoreWatch
    from kibitz.ui.views.compare_view import CompareView
    from kibitz.ui.views.composer_attachments import ComposerValue

_COLUMN_WIDTH = 800  # the composer lines up with the chat view's readable column
DRAFTS = "drafts"  # under the data folder
_HOUSEKEEPING_DELAY_MS = 10_000  # after start-up, when nobody waits on the store


class MainWindow(QMainWindow):
    def __init__(
        self,
        store: Store | StoreOpening,
        paths: AppPaths,
        settings: SettingsHolder,
        secrets: SessionSecretStore,
        runner: TaskRunner,
        executor: Executor,
        *,
        deferred: bool = False,
    ) -> None:
        """`deferred`: build only what the first frame shows; `finish_start()` builds the
        rest (the app calls it once that frame is painted). Without, the window is complete.
        `store` may be a StoreOpening (the app's): the first frame lists its first page, and
        finish_start takes the Store from it (its imports cost more than the window)."""
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self.setObjectName("MainWindow")
        self._runner = runner
        self._paths = paths
        self._dialogs: dict[str, QDialog] = {}  # Help's windows, made when first asked for
        self._geometry = QSettings(str(paths.config_dir / "window.ini"), QSettings.Format.IniFormat)
        self._store: Store  # set here, or by finish_start from the opening
        self._opening: StoreOpening | None = None
        self.store_watch: StoreWatch
        if isinstance(store, StoreOpening):
            self._opening = store
            listed: Store | FirstPage = store.first_page()
        else:
            self._store = listed = store
            self._watch_store(executor)

        self.notices = NoticeBar()
        self.sidebar = Sidebar(listed)
        self.sidebar.setObjectName("Sidebar")
        self._executor = executor
        self._secrets = secrets
        self._complete = False  # finish_start() has run
        self._compare: CompareController | None = None  # made when first used (compare)
        self.composer = Composer()
        self.welcome = WelcomePane()
        self._stack = QStackedWidget()
        self._stack.addWidget(self.welcome)

        composer_row = QHBoxLayout()
        composer_row.setContentsMargins(16, 0, 16, 0)
        composer_row.addStretch(1)
        self.composer.setMaximumWidth(_COLUMN_WIDTH)
        composer_row.addWidget(self.composer, 100)
        composer_row.addStretch(1)
        pane = QWidget()
        pane.setObjectName("ChatPane")
        column = QVBoxLayout(pane)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self._stack, 1)
        column.addLayout(composer_row)
        column.addWidget(self.notices)

        self._splitter = QSplitter(Qt.Orientation.Horizontal)
        self._splitter.setChildrenCollapsible(False)
        self._splitter.addWidget(self.sidebar)
        self._splitter.addWidget(pane)
        self._splitter.setStretchFactor(1, 1)
        self._splitter.setSizes([270, 930])
        self.setCentralWidget(self._splitter)

        self._settings = settings
        self.zoom = ConversationZoom(settings, self.notices.show_notice)
        # Words for the quick-ask hotkey's state, from the hotkey service once it runs.
        self._hotkey_status: Callable[[], str] = str
        self._quick_ask_command = "kibitz --quick-ask"
        self._apply_settings()
        settings.changed.connect(self._apply_settings)
        add_menus(self)
        self._restore_geometry()
        self._show_pane(None)
        # Else the first widget in tab order (New chat) has focus and the first keys are lost.
        self.composer.focus_input()
        # Enter before finish_start (the app queues keys until then; a caller may not): the
        # question goes once there is a controller to send it.
        self._send_waiting = False
        self.composer.send_requested.connect(self._on_composer_send_requested)
        if not deferred:
            self.finish_start()

    def finish_start(self) -> None:
        """Build what the first frame does not show: the chat view and its controller (with
        the chat engine), attachments, tool servers, setup, Settings. Once only."""
        if self._complete:
            return
        # Here, not at the top: these imports cost more than the window they follow.
        from kibitz.core.drafts import DraftStore
        from kibitz.ui.attachments.drops import FileDrops
        from kibitz.ui.attachments.media import MediaServices
        from kibitz.ui.chat_controller import ChatController
        from kibitz.ui.controllers.model_choice import ModelChoiceController
        from kibitz.ui.controllers.sidebar_controller import SidebarController
        from kibitz.ui.controllers.tool_offer import ToolOffer
        from kibitz.ui.controllers.trash_controller import TrashController
        from kibitz.ui.settings.context import SettingsContext
        from kibitz.ui.settings.opener import SettingsOpener
        from kibitz.ui.setup_controller import SetupController
        from kibitz.ui.tools.service import ToolService
        from kibitz.ui.transfer_actions import TransferActions
        from kibitz.ui.views.chat_view import ChatView

        if self._opening is not None:
            self._store = self._opening.finish()
            self._watch_store(self._executor)
            self.sidebar.attach(self._store)  # after the watch: nothing committed is missed
        store, paths, settings, secrets = self._store, self._paths, self._settings, self._secrets
        runner, executor = self._runner, self._executor
        self.sidebar_controller = SidebarController(
            store, self.sidebar, self.notices.show_notice, self
        )
        # The Trash (its view made when first shown: the first frame only counts it).
        self.trash_controller = TrashController(
            store,
            self.notices.show_notice,
            executor,
            self,
            on_gone=self._discard_drafts,
            on_restored=self.sidebar.pick_conversation,
        )
        self.sidebar.on_trash_view(self.trash_controller.watch)
        typed = self.composer.text  # before the controller puts last time's draft there
        # Attachments: the worker, thumbnails (cached on disk), shared with quick ask.
        self.media = MediaServices(store, paths.cache_dir, self)
        self.chat_view = ChatView(store, thumbnails=self.media.thumbnails)
        self._stack.addWidget(self.chat_view)
        self._drafts = DraftStore(paths.data_dir / DRAFTS, load_blob=store.blob)
        # The MCP servers, shared with quick ask and Settings; nothing starts until needed.
        self.tools = ToolService(settings, secrets, runner, self)
        self.tools.status_changed.connect(self._on_tools_status_changed)
        self._told_failures: dict[str, str] = {}  # server -> the failure last shown
        # The composer's model button and reasoning effort.
        self.models = ModelChoiceController(
            store, settings, secrets, self.composer, runner, executor, paths.cache_dir,
            self.notices.show_notice, self,
        )  # fmt: skip
        self.chat = ChatController(
            store,
            self.chat_view,
            self.composer,
            runner,
            self.notices.show_notice,
            settings,
            secrets,
            executor,
            media=self.media,
            drafts=self._drafts,
            tools=ToolOffer(self.tools, settings, store, self.composer, self.notices.show_notice),
            models=self.models,
        )
        self.composer.compare_requested.connect(lambda: self.compare.show_menu())
        self.chat.compare_again_requested.connect(lambda qid: self.compare.compare_again(qid))
        add_compare_keys(self, self._continue_compared)
        # Files dropped on the conversation (or the welcome pane) attach; exports import.
        self.file_drops = FileDrops(self)
        for target in (self.chat_view, self.welcome):
            self.file_drops.watch(target)
        self.file_drops.dropped.connect(self.chat.intake.add_paths)
        self.setup = SetupController(
            self.welcome, settings, secrets, runner, executor, self.notices.show_notice
        )
        self.transfer = TransferActions(
            store,
            executor,
            runner,
            self.notices.show_notice,
            self,
            lambda: self.chat.conversation_id,
        )
        self.settings_windows = SettingsOpener(
            SettingsContext(
                settings,
                secrets,
                runner,
                executor,
                paths,
                self.notices.show_notice,
                hotkey_status=lambda: self._hotkey_status(),
                quick_ask_command=lambda: self._quick_ask_command,
                tools=self.tools,
            ),
            store,
            self,
        )
        self._complete = True
        self._apply_settings()
        self._connect()
        self.composer.send_requested.disconnect(self._on_composer_send_requested)
        if typed and self.composer.text != typed:
            restored = self.composer.text.rstrip()
            self.composer.set_text(f"{restored}\n\n{typed}" if restored else typed)
        if self._send_waiting:
            # From the event loop (the app builds this part before it runs): a reply is a task.
            QTimer.singleShot(0, self, lambda: self.chat.send(self.composer.text.strip()))

    def _watch_store(self, executor: Executor) -> None:
        """What `kibitz ask` and other programs write shows up here; made before any view
        reads the store, so nothing committed meanwhile is missed."""
        from kibitz.ui.controllers.store_watch import StoreWatch

        self.store_watch = StoreWatch(self._store, executor, self)

    @property
    def compare(self) -> CompareController:
        """Compare mode (one question to several models, their replies in columns), made when
        first used: its button, Ctrl+Shift+K, a question's "Compare again…"."""
        if self._compare is None:
            from kibitz.ui.controllers.compare_controller import CompareController

            self._compare = CompareController.in_stack(
                self._stack, self.chat_view, self.chat, self._store, self._runner,
                self.notices.show_notice, self,
            )  # fmt: skip
        return self._compare

    @property
    def compare_view(self) -> CompareView:
        return self.compare.view

    def _continue_compared(self, column: int) -> None:
        if self._compare is not None:  # else no columns were ever shown
            self._compare.continue_with(column)

    def _on_composer_send_requested(self, _text: str) -> None:
        self._send_waiting = True

    # -- wiring ---------------------------------------------------------------------------------

    def _connect(self) -> None:
        self.sidebar.conversation_selected.connect(self._on_sidebar_conversation_selected)
        self.sidebar.search_hit_activated.connect(self._on_sidebar_search_hit_activated)
        self.sidebar.new_chat_requested.connect(self.new_chat)
        self.sidebar.export_requested.connect(self.transfer.choose_export)
        self.sidebar.settings_requested.connect(
            lambda cid: self.settings_windows.open_conversation_settings(ConversationId(cid))
        )
        self.transfer.open_requested.connect(
            lambda cid: self.chat.open_conversation(ConversationId(cid))
        )
        self.chat.conversation_opened.connect(self._on_chat_conversation_opened)
        self.chat.setup_requested.connect(self._on_chat_setup_requested)
        self.chat.model_choice_requested.connect(self.choose_model)
        self.setup.setup_needed.connect(self._on_setup_setup_needed)
        self.setup.connected.connect(self.composer.focus_input)
        self._store.add_listener(self._on_store_changed)

    # -- help -----------------------------------------------------------------------------------

    def show_shortcuts(self) -> None:
        from kibitz.ui.app.help import ShortcutsDialog

        self._show_dialog("shortcuts", lambda: ShortcutsDialog(self))

    def show_about(self) -> None:
        from kibitz.ui.app.help import AboutDialog

        self._show_dialog("about", lambda: AboutDialog(self._paths, self))

    def open_log_folder(self) -> None:
        from kibitz.ui.app.help import open_folder

        open_folder(self._paths.log_dir)

    def show_usage(self) -> None:
        """The Usage window: tokens and cost per day, model, provider or conversation."""
        from kibitz.ui.controllers.usage_controller import usage_window

        self._show_dialog("usage", lambda: usage_window(self._store, self._executor, self))

    def _show_dialog(self, name: str, make: Callable[[], QDialog]) -> None:
        """One non-modal window per kind, raised again when asked twice."""
        dialog = self._dialogs.get(name)
        if dialog is None:
            dialog = make()
            self._dialogs[name] = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def _apply_settings(self) -> None:
        first = self._settings.first_frame  # before load(): kept from the last start, or read
        self.composer.set_ctrl_enter_sends(first.send_key == "ctrl+enter")
        font = QApplication.font()
        if first.font_size is not None:
            font.setPointSize(first.font_size)
        for widget in (self.chat_view, self.composer) if self._complete else (self.composer,):
            if widget.font() != font:
                widget.setFont(font)
        if self._complete:
            self._apply_render_math(self._settings.ui.render_math)

    def _apply_render_math(self, enabled: bool) -> None:
        # Only once the chat view is built: the renderer's modules are not first-frame imports.
        from kibitz.ui.views.message_html import set_math_enabled

        if set_math_enabled(enabled):
            self.chat_view.render_again()

    def show_hotkey_status(self, describe: Callable[[], str], command: str) -> None:
        """Where Settings reads the hotkey's state (active, or unavailable and why), and the
        command a desktop shortcut can run instead."""
        self._hotkey_status = describe
        self._quick_ask_command = command
        self.settings_windows.refresh_hotkey_status()

    def open_conversation_settings(self) -> None:
        """The open conversation's own settings; a new chat is stored first to have some."""
        conversation_id = self.chat.conversation_id
        if conversation_id is None:
            self.notices.show_notice(
                Notice("Open or start a conversation first: its settings apply to it alone.")
            )
            return
        self.settings_windows.open_conversation_settings(conversation_id)

    # -- behaviour ------------------------------------------------------------------------------

    def new_chat(self) -> None:
        self.chat.new_chat()
        self.composer.focus_input()

    def choose_model(self, conversation_id: ConversationId) -> None:
        """The conversation's settings, at its model: one that takes images, say."""
        dialog = self.settings_windows.open_conversation_settings(conversation_id)
        from kibitz.ui.settings.conversation_page import ConversationSettingsDialog

        if isinstance(dialog, ConversationSettingsDialog):
            dialog.focus_field("model")

    def open_conversation(
        self,
        conversation_id: ConversationId | None,
        draft: str = "",
        attachments: Sequence[ComposerValue] = (),
    ) -> None:
        """Bring the window up on a conversation (a quick-ask hand-off); `draft` goes into the
        composer, after any text already there, and `attachments` after its own."""
        was_visible = self.isVisible()
        if self.isMinimized():
            self.showNormal()
        self.show()
        if was_visible:  # a window just mapped is on top already
            self.raise_()
        self.activateWindow()
        if conversation_id is None:
            self.chat.new_chat()
        elif conversation_id == self.chat.conversation_id:
            self.refresh_conversation(conversation_id)
        else:
            self.chat.open_conversation(conversation_id)
        if draft.strip():
            mine = self.composer.text.rstrip()
            self.composer.set_text(f"{mine}\n\n{draft}" if mine else draft)
        if attachments:
            self.composer.add_attachments(attachments)
        self.composer.focus_input()

    def refresh_conversation(self, conversation_id: ConversationId) -> None:
        """Another view (quick ask) added to this conversation: show what is stored now."""
        if conversation_id == self.chat.conversation_id and not self.chat.busy:
            self.chat_view.reload()

    def show_notice(self, error: KibitzError) -> None:
        """Tell the user something they must know (a recovered database), without a dialog."""
        self.notices.show_notice(Notice(" ".join(error.lines()), timeout_ms=0, kind="warning"))

    def start_background_work(self) -> None:
        """After the first frame: find out whether setup is needed, look for local servers,
        check a large database's integrity (store_check); a little later, on the worker
        thread, empty the Trash of what has been in it 30 days."""
        from kibitz.ui.controllers.store_check import check_store_later

        QTimer.singleShot(0, self.setup.check)
        check_store_later(self._store, self._executor, self._runner, self.notices.show_notice)
        QTimer.singleShot(
            _HOUSEKEEPING_DELAY_MS, self, lambda: self._executor.submit(self.purge_old_deletions)
        )

    def purge_old_deletions(self) -> None:
        """Conversations in the Trash for 30 days go for good, with their unsent drafts.
        Blocking: start_background_work runs it on the worker thread."""
        self.trash_controller.purge_expired()

    def _discard_drafts(self, conversation_ids: Sequence[ConversationId]) -> None:
        from kibitz.core.drafts import conversation_key

        for conversation_id in conversation_ids:
            self._drafts.discard(conversation_key(conversation_id))

    def _show_pane(self, conversation_id: ConversationId | None) -> None:
        self._stack.setCurrentWidget(self.welcome if conversation_id is None else self.chat_view)

    def _on_sidebar_conversation_selected(self, conversation_id: int) -> None:
        cid = ConversationId(conversation_id)
        focused = self.focusWidget()
        # Arrow keys (or Delete) moving through the list keep the focus there, so the next key
        # still works in the list; a click, or Enter on the open chat, goes on to the composer.
        browsing = (
            cid != self.chat.conversation_id
            and focused is not None
            and self.sidebar.isAncestorOf(focused)
            and QGuiApplication.mouseButtons() == Qt.MouseButton.NoButton
        )
        self.chat.open_conversation(cid, focus_composer=not browsing)
        if not browsing:
            self.composer.focus_input()

    def _on_sidebar_search_hit_activated(self, conversation_id: int, message_id: int) -> None:
        self.chat.open_conversation(ConversationId(conversation_id), MessageId(message_id))

    def _on_chat_conversation_opened(self, conversation_id: ConversationId | None) -> None:
        self._show_pane(conversation_id)
        # A new chat too (None): a row left highlighted would ignore the click that re-opens it.
        if self.sidebar.current_conversation_id() != conversation_id:
            self.sidebar.select_conversation(conversation_id)

    def _on_store_changed(self, changes: Changes) -> None:
        if (
            changes.kind is ChangeKind.DELETED
            and self.chat.conversation_id in changes.conversation_ids
        ):
            # After the sidebar has had its say (it opens the next conversation, if any).
            QTimer.singleShot(0, self._leave_deleted_conversation)

    def _leave_deleted_conversation(self) -> None:
        current = self.chat.conversation_id
        if current is not None and self._store.get_conversation(current).deleted_at is not None:
            self.chat.new_chat()

    def _on_setup_setup_needed(self) -> None:
        # First run: the cursor waits in the key field, unless the user has started typing.
        focused = self.focusWidget()  # set even before the window is active
        if not self.composer.text and (focused is None or self.composer.isAncestorOf(focused)):
            self.welcome.focus_key_field()

    def _on_chat_setup_requested(self, action: str) -> None:
        if action == Action.SET_KEY and not self._settings().providers.profiles:
            # Nothing configured yet: the welcome pane is the friendliest way to a key.
            self.setup.show_setup(force=True)
            self.chat.new_chat()
            return
        self.settings_windows.handle_error_action(action, self.chat.conversation_id)

    def _on_tools_status_changed(self, status: ServerStatus) -> None:
        """A tool server that fails is said so once per failure, never silently left out;
        its button opens Settings → Tools at that server (the whole error and its stderr)."""
        from kibitz.core.tools import ServerState

        if status.state is not ServerState.FAILED:
            if status.state is not ServerState.STARTING:  # a retry that fails again is old news
                self._told_failures.pop(status.name, None)
            return
        error = status.error or "it stopped"
        if self._told_failures.get(status.name) == error:
            return
        self._told_failures[status.name] = error
        first = error.splitlines()[0]
        self.notices.show_notice(
            Notice(
                f"Tool server {status.name}: {first.rstrip('.')}. "
                "Its tools are left out until it starts.",
                action_text="Open tool settings",
                on_action=lambda: self.settings_windows.open_tools(status.name),
                timeout_ms=0,
                kind="warning",
            )
        )

    # -- geometry -------------------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        geometry = self._geometry.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 800)
        splitter = self._geometry.value("window/splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self._splitter.restoreState(splitter)

    def closeEvent(self, event: QCloseEvent) -> None:
        # Closed during the start, before finish_start: no drafts are kept yet.
        if self._complete and self.chat.drafts is not None:
            self.chat.drafts.flush()  # now: the app may be quitting
        self._geometry.setValue("window/geometry", self.saveGeometry())
        self._geometry.setValue("window/splitter", self._splitter.saveState())
        self._geometry.sync()
        super().closeEvent(event)
