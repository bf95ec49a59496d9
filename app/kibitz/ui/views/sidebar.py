"""The sidebar: New chat, the search field, one list of conversations or search hits, and the
way into the Trash (which then takes the sidebar's place until Back)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPoint,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QIcon,
    QKeyEvent,
    QKeySequence,
    QPalette,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kibitz.core.store.opening import FirstPage
from kibitz.ui.icons import icon, icon_in
from kibitz.ui.models.conversation_list import ConversationListModel, ConversationRole
from kibitz.ui.models.search_results import SearchResultsModel, SearchRole
from kibitz.ui.views.sidebar_delegate import ConversationDelegate, SidebarListView
from kibitz.ui.views.trash_entry import TrashEntry

if TYPE_CHECKING:
    from kibitz.core.store import Store
    from kibitz.ui.views.search_hit_delegate import SearchHitDelegate
    from kibitz.ui.views.trash_view import TrashView

log = logging.getLogger(__name__)

SEARCH_DEBOUNCE_MS = 150  # long enough to skip the keystrokes of a word, short enough to feel live
DEFAULT_WIDTH = 260
_EDGE = 8  # the header's side margins, equal to the rows' so their edges line up


def _shortcut_text(key: QKeySequence.StandardKey | str) -> str:
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)


class Sidebar(QWidget):
    """Lists conversations (pinned first, then by activity) and searches their messages.

    Reads through its models and emits what the user asked for: the window decides what to
    open, and the sidebar's controller (kibitz.ui.controllers.sidebar_controller) carries out
    renames, pins and deletes on the store, whose listeners bring every view up to date.
    The Trash entry at the bottom opens the Trash view in the list's place; its own controller
    (kibitz.ui.controllers.trash_controller) restores and deletes for good.
    """

    conversation_selected = Signal(int)  # the user picked a conversation (or pressed Enter on it)
    search_hit_activated = Signal(int, int)  # conversation id, message id
    new_chat_requested = Signal()
    export_requested = Signal(int)  # conversation id: the user chose Export… on it
    settings_requested = Signal(int)  # conversation id: its own settings (provider, prompt, ...)
    rename_requested = Signal(int, str)  # conversation id, the title as typed
    pin_requested = Signal(int, bool)  # conversation id, pinned
    delete_requested = Signal(list)  # conversation ids

    def __init__(self, store: Store | FirstPage, parent: QWidget | None = None) -> None:
        """From the `store`, or for the app's first frame from the `FirstPage` read before the
        Store loads: `attach` gives it the store then (search and the Trash come with it)."""
        super().__init__(parent)
        self.setObjectName("Sidebar")
        self.setAccessibleName("Sidebar")
        # The window colour by default; the app's stylesheet may tint it (#Sidebar).
        self.setAutoFillBackground(True)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setMinimumWidth(180)
        self._current_id: int | None = None
        self._quiet = False  # selecting on the window's behalf: emit nothing
        self._current_hit: int | None = None  # message id, kept while results are re-run

        # The view first, and everything it points at as its children: Qt deletes children
        # after the parent's own destructor, so the view never outlives its models, delegates
        # and selection models (siblings created before it would be deleted first, and the
        # view's destructor would touch freed memory).
        self._list = SidebarListView(self)
        self._conversations = ConversationListModel(store, self._list)
        # From a first page (the first frame), rows are drawn plain until the store comes.
        self._conversation_delegate = ConversationDelegate(
            self._list, states=not isinstance(store, FirstPage)
        )
        # Before the selection model connects its own handler: ours must run first.
        self._conversations.rowsAboutToBeRemoved.connect(
            self._on_conversations_rows_about_to_be_removed
        )
        self._conversation_selection = QItemSelectionModel(self._conversations, self._list)
        self._trash_entry = TrashEntry()
        # Made with the store (_follow): the search results, and the Trash's model that counts
        # it; the Trash's view when first shown (trash_view).
        self._store: Store | None = None
        self._results: SearchResultsModel
        self._hit_delegate: SearchHitDelegate
        self._results_selection: QItemSelectionModel
        self._trash_model: ConversationListModel
        self._trash: TrashView | None = None
        self._trash_users: list[Callable[[TrashView], object]] = []  # see on_trash_view

        self._new_chat = QPushButton("New chat")
        self._new_chat.setObjectName("NewChatButton")
        self._new_chat.setAccessibleName("New chat")
        self._new_chat.setToolTip(f"New chat ({_shortcut_text(QKeySequence.StandardKey.New)})")
        self._new_chat.setIconSize(QSize(16, 16))
        self._search = QLineEdit()
        self._search.setAccessibleName("Search conversations")
        self._search.setPlaceholderText("Search conversations (Ctrl+K)")
        self._search.setToolTip(
            "Search all messages (Ctrl+K); Esc clears, Down goes to the results"
        )
        self._search_icon = self._search.addAction(
            QIcon(), QLineEdit.ActionPosition.LeadingPosition
        )
        self._list.setFrameShape(QListView.Shape.NoFrame)
        self._list.viewport().setAutoFillBackground(False)
        self._list.setUniformItemSizes(True)  # lets the view skip measuring 1,000 rows
        self._list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self._list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._list.setMouseTracking(True)  # hover highlight
        self._list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

        header = QVBoxLayout()
        header.setContentsMargins(_EDGE, 10, _EDGE, 4)
        header.setSpacing(8)
        header.addWidget(self._new_chat)
        header.addWidget(self._search)
        footer = QVBoxLayout()
        footer.setContentsMargins(_EDGE + 2, 0, _EDGE, 6)  # its icon under the rows' titles
        footer.addWidget(self._trash_entry)
        # Two pages, shown one at a time. Not a QStackedWidget: it raises the page it shows,
        # which reorders the children, and a search of them (findChild) would meet the Trash's
        # buttons and list before New chat and the conversation list.
        self._browse = QWidget(self)
        column = QVBoxLayout(self._browse)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addLayout(header)
        column.addWidget(self._list, 1)
        column.addLayout(footer)
        self._pages = QVBoxLayout(self)  # the list's page now, the Trash's when first shown
        self._pages.setContentsMargins(0, 0, 0, 0)
        self._pages.addWidget(self._browse)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._rename_action = self._list_action("Rename", QKeySequence(Qt.Key.Key_F2))
        self._delete_action = self._list_action("Delete", QKeySequence.StandardKey.Delete)

        self._new_chat.clicked.connect(self.new_chat_requested)
        self._search_icon.triggered.connect(self.focus_search)
        self._search.textChanged.connect(self._on_search_text_changed)
        self._search_timer.timeout.connect(self._on_search_timer_timeout)
        self._search.installEventFilter(self)
        self._list.installEventFilter(self)
        self._list.activated.connect(self._on_list_activated)
        self._list.clicked.connect(self._on_list_clicked)
        self._list.customContextMenuRequested.connect(self._on_list_context_menu_requested)
        self._rename_action.triggered.connect(lambda: self._edit_title(self._current_row_id()))
        self._delete_action.triggered.connect(lambda: self._request_delete(self._current_row_id()))
        self._conversation_delegate.title_edited.connect(self.rename_requested)
        self._conversation_selection.currentChanged.connect(
            self._on_conversation_selection_current_changed
        )
        # Queued, as for the results: the view clears its current index after we would run.
        self._conversations.modelReset.connect(
            self._on_conversations_model_reset, Qt.ConnectionType.QueuedConnection
        )
        self._conversations.rowsRemoved.connect(self._update_placeholder)
        self._conversations.rowsInserted.connect(self._update_placeholder)
        self._trash_entry.clicked.connect(self.show_trash)
        if isinstance(store, FirstPage):
            self._trash_entry.set_count(store.trash_count)
        else:
            self._follow(store)
        self._update_icons()
        self._show_conversations()

    def attach(self, store: Store) -> None:
        """The store, for a sidebar made from a first page: the list follows it from now on."""
        if self._store is None:
            self._conversations.attach(store)
            self._follow(store)
            self._conversation_delegate.show_states()
            self._list.viewport().update()

    def _follow(self, store: Store) -> None:
        """What needs the store: the search results and the Trash's model (its count)."""
        from kibitz.ui.views.search_hit_delegate import SearchHitDelegate

        self._store = store
        self._results = SearchResultsModel(store, self._list)
        self._hit_delegate = SearchHitDelegate(self._list)
        self._results_selection = QItemSelectionModel(self._results, self._list)
        self._results.modelAboutToBeReset.connect(self._on_results_model_about_to_be_reset)
        # Queued: the view clears its current index on reset after our handler would have run.
        self._results.modelReset.connect(
            self._on_results_model_reset, Qt.ConnectionType.QueuedConnection
        )
        self._trash_model = ConversationListModel(store, self, trash=True)
        trash = self._trash_model
        for signal in (trash.rowsInserted, trash.rowsRemoved, trash.modelReset):
            signal.connect(self._update_trash_count)
        self._update_trash_count()

    # -- what the window calls ----------------------------------------------------------------

    def sizeHint(self) -> QSize:
        return QSize(DEFAULT_WIDTH, super().sizeHint().height())

    def current_conversation_id(self) -> int | None:
        return self._current_id

    def select_conversation(self, conversation_id: int | None) -> None:
        """Show `conversation_id` as the current one (None: none), without emitting."""
        self._current_id = conversation_id
        if self._searching():
            return
        index = QModelIndex()
        if conversation_id is not None:
            index = self._conversations.index_of(conversation_id)
            if not index.isValid():  # created a moment ago on another thread: not heard of yet
                self._conversations.refresh()
                index = self._conversations.index_of(conversation_id)
        self._quiet = True
        try:
            if index.isValid():
                self._conversation_selection.setCurrentIndex(
                    index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                )
                self._list.scrollTo(index)
            else:
                self._conversation_selection.clear()
        finally:
            self._quiet = False

    def pick_conversation(self, conversation_id: int) -> None:
        """Select `conversation_id` and announce it as if the user had picked it (an Undo
        brought back the conversation that was open, or the Trash's Restore its Open)."""
        self.show_list()
        self.select_conversation(conversation_id)
        self.conversation_selected.emit(conversation_id)

    def show_trash(self) -> None:
        """Show the Trash in the list's place, the keyboard in its list."""
        trash = self.trash_view
        self._browse.hide()
        trash.show()
        trash.focus_list()

    def show_list(self) -> None:
        """Back from the Trash to the conversations (or the search results)."""
        if self._trash is not None and self.showing_trash():
            self._trash.hide()
            self._browse.show()
            self._trash_entry.setFocus(Qt.FocusReason.OtherFocusReason)

    def showing_trash(self) -> bool:
        return self._trash is not None and not self._trash.isHidden()

    @property
    def trash_view(self) -> TrashView:
        """The Trash, made on first use: the first frame never shows it (~6 ms)."""
        if self._trash is None:
            from kibitz.ui.views.trash_view import TrashView

            self._trash = TrashView(self._trash_model, self)
            self._trash.hide()
            self._pages.addWidget(self._trash)
            self._trash.back_requested.connect(self.show_list)
            for use in self._trash_users:
                use(self._trash)
        return self._trash

    def on_trash_view(self, use: Callable[[TrashView], object]) -> None:
        """`use(view)` once the Trash's view exists: now if it does, else when first made."""
        self._trash_users.append(use)
        if self._trash is not None:
            use(self._trash)

    def focus_search(self) -> None:
        self.show_list()
        self._search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self._search.selectAll()

    @property
    def conversation_model(self) -> ConversationListModel:
        return self._conversations

    @property
    def search_model(self) -> SearchResultsModel:
        return self._results

    # -- switching between the conversations and the search results ---------------------------

    def _searching(self) -> bool:
        return self._list.model() is not self._conversations  # the results, then

    def _show_conversations(self) -> None:
        if self._list.model() is not self._conversations:
            self._set_model(self._conversations, self._conversation_selection)
            self._list.setItemDelegate(self._conversation_delegate)
            self._list.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked)
            self._list.setAccessibleName("Conversations")
            self.select_conversation(self._current_id)
        self._update_placeholder()

    def _show_results(self) -> None:
        if self._list.model() is not self._results:
            self._set_model(self._results, self._results_selection)
            self._list.setItemDelegate(self._hit_delegate)
            self._list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            self._list.setAccessibleName("Search results")
        self._update_placeholder()

    def _set_model(self, model: QObject, selection: QItemSelectionModel) -> None:
        self._list.setModel(model)  # type: ignore[arg-type]
        # setModel made a selection model of its own; each model keeps ours instead.
        made = self._list.selectionModel()
        self._list.setSelectionModel(selection)
        if made is not selection:
            made.deleteLater()
        self._rename_action.setEnabled(model is self._conversations)
        self._delete_action.setEnabled(model is self._conversations)

    def _update_trash_count(self) -> None:
        self._trash_entry.set_count(self._trash_model.rowCount())

    def _update_placeholder(self) -> None:
        if self._searching():
            query = self._results.query.strip()
            self._list.set_placeholder(f"No messages match “{query}”")
        else:
            self._list.set_placeholder("No conversations yet.\nStart one with New chat.")

    # -- search -------------------------------------------------------------------------------

    def _on_search_text_changed(self, text: str) -> None:
        if text and not self._search.isClearButtonEnabled():
            # With the first text, which is when the button shows: making it looks its icon up
            # in the icon theme, ~3 ms the first frame need not pay.
            self._search.setClearButtonEnabled(True)
        if text.strip():
            self._search_timer.start()  # restarts: the search runs once typing pauses
            return
        self._search_timer.stop()
        self._results.clear()
        self._show_conversations()

    def _on_search_timer_timeout(self) -> None:
        self._results.search(self._search.text())
        self._show_results()

    def _on_results_model_about_to_be_reset(self) -> None:
        index = self._results_selection.currentIndex()
        self._current_hit = int(index.data(SearchRole.MESSAGE_ID)) if index.isValid() else None

    def _on_results_model_reset(self) -> None:
        # A rename or delete elsewhere re-ran the query: stay on the same hit if it is still there.
        if not self._searching() or self._list.currentIndex().isValid():
            return
        for row in range(self._results.rowCount()):
            index = self._results.index(row)
            if index.data(SearchRole.MESSAGE_ID) == self._current_hit:
                self._results_selection.setCurrentIndex(
                    index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                )
                return

    def _clear_search(self) -> None:
        self._search.clear()

    # -- the list -----------------------------------------------------------------------------

    def _current_row_id(self) -> int | None:
        index = self._list.currentIndex()
        if self._searching() or not index.isValid():
            return None
        return int(index.data(ConversationRole.ID))

    def _on_conversation_selection_current_changed(self, current: QModelIndex) -> None:
        if self._searching():
            return  # rows moved under a list nobody sees; the choice is made on the way back
        if not current.isValid():
            self._current_id = None
            return
        conversation_id = int(current.data(ConversationRole.ID))
        if conversation_id == self._current_id:
            return  # the same conversation moved (re-ordered) or was re-selected
        self._current_id = conversation_id
        if not self._quiet:
            self.conversation_selected.emit(conversation_id)

    def _on_conversations_rows_about_to_be_removed(
        self, parent: QModelIndex, start: int, end: int
    ) -> None:
        # Qt would make the row above current, unselected; like a mail client, take the next.
        row = self._conversation_selection.currentIndex().row()
        if self._searching() or not start <= row <= end:
            return
        target = end + 1 if end + 1 < self._conversations.rowCount() else start - 1
        if target >= 0:
            self._conversation_selection.setCurrentIndex(
                self._conversations.index(target), QItemSelectionModel.SelectionFlag.ClearAndSelect
            )

    def _on_conversations_model_reset(self) -> None:
        if not self._searching():
            self.select_conversation(self._current_id)
        self._update_placeholder()

    def _on_list_activated(self, index: QModelIndex) -> None:
        if self._searching():
            self._activate_hit(index)
        elif index.isValid():
            # Enter on the open conversation too: the window may move focus to the composer.
            self.conversation_selected.emit(int(index.data(ConversationRole.ID)))

    def _on_list_clicked(self, index: QModelIndex) -> None:
        if self._searching():
            self._activate_hit(index)

    def _activate_hit(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        conversation_id = int(index.data(SearchRole.CONVERSATION_ID))
        self._current_id = conversation_id
        self.search_hit_activated.emit(conversation_id, int(index.data(SearchRole.MESSAGE_ID)))

    def _list_action(self, text: str, key: QKeySequence | QKeySequence.StandardKey) -> QAction:
        action = QAction(text, self._list)
        action.setShortcut(QKeySequence(key))
        # Only while the list itself has focus: F2 and Delete mean other things in the editors.
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self._list.addAction(action)
        return action

    def _on_list_context_menu_requested(self, pos: QPoint) -> None:
        index = self._list.indexAt(pos)
        if self._searching() or not index.isValid():
            return
        conversation_id = int(index.data(ConversationRole.ID))
        pinned = bool(index.data(ConversationRole.PINNED))
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.setAccessibleName("Conversation actions")
        rename = menu.addAction("Rename")
        rename.setShortcut(self._rename_action.shortcut())
        rename.triggered.connect(lambda: self._edit_title(conversation_id))
        pin = menu.addAction("Unpin" if pinned else "Pin")
        pin.triggered.connect(lambda: self.pin_requested.emit(conversation_id, not pinned))
        export = menu.addAction("Export…")
        export.triggered.connect(lambda: self.export_requested.emit(conversation_id))
        settings = menu.addAction("Settings…")
        settings.triggered.connect(lambda: self.settings_requested.emit(conversation_id))
        menu.addSeparator()
        delete = menu.addAction("Delete")
        delete.setShortcut(self._delete_action.shortcut())
        delete.triggered.connect(lambda: self._request_delete(conversation_id))
        # popup(), not exec(): no nested event loop under the asyncio loop.
        menu.popup(self._list.viewport().mapToGlobal(pos))

    # -- rename, delete ------------------------------------------------------------------------

    def _edit_title(self, conversation_id: int | None) -> None:
        """Open the title editor; its text reaches `rename_requested` when committed."""
        if conversation_id is None:
            return
        index = self._conversations.index_of(conversation_id)
        if index.isValid():
            self._list.edit(index)

    def _request_delete(self, conversation_id: int | None) -> None:
        if conversation_id is not None:
            self.delete_requested.emit([conversation_id])

    # -- keys and looks -----------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride) and isinstance(
            event, QKeyEvent
        ):
            if watched is self._search:
                return self._on_search_key(event)
            if watched is self._list:
                return self._on_list_key(event)
        return super().eventFilter(watched, event)

    def _on_search_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key == Qt.Key.Key_Escape and self._search.text():
            # Claim Esc before a window-wide shortcut (stop the reply) takes it.
            event.accept()
            if event.type() == QEvent.Type.KeyPress:
                self._clear_search()
            return True
        if key == Qt.Key.Key_Down and event.type() == QEvent.Type.KeyPress:
            if self._search_timer.isActive():  # Down before the pause: search now
                self._search_timer.stop()
                self._on_search_timer_timeout()
            self._enter_list()
            return True
        return False

    def _on_list_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key == Qt.Key.Key_Escape and self._search.text():
            event.accept()
            if event.type() == QEvent.Type.KeyPress:
                self._clear_search()
                self._list.setFocus()
            return True
        if (
            key == Qt.Key.Key_Up
            and event.type() == QEvent.Type.KeyPress
            and self._list.currentIndex().row() <= 0
        ):
            self._search.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        return False

    def _enter_list(self) -> None:
        self._list.setFocus(Qt.FocusReason.OtherFocusReason)
        model = self._list.model()
        # In the results only: in the conversation list this would open a conversation.
        if self._searching() and not self._list.currentIndex().isValid() and model.rowCount():
            self._results_selection.setCurrentIndex(
                model.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
            )

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._update_icons()

    def _update_icons(self) -> None:
        self._new_chat.setIcon(icon("square-pen", self))
        muted = QColor(self.palette().color(QPalette.ColorRole.Text))
        muted.setAlphaF(0.55)
        self._search_icon.setIcon(icon_in("search", muted))
