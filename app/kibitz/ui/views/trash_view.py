"""The Trash panel: deleted conversations with when they went, Restore, Delete for good, Empty."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal, SignalInstance
from PySide6.QtGui import QColor, QFont, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kibitz.core.store.conversations import TRASH_DAYS
from kibitz.ui.icons import IconButton, icon
from kibitz.ui.models.conversation_list import ConversationListModel, ConversationRole
from kibitz.ui.style import scaled_font
from kibitz.ui.views.sidebar_delegate import PlaceholderListView, TrashDelegate

TRASH_NOTE = f"Conversations in the Trash are deleted for good after {TRASH_DAYS} days."
EMPTY_TEXT = "Trash is empty"
_EDGE = 8  # as the sidebar's header, so the edges line up


class TrashView(QWidget):
    """Lists the Trash and emits what the user asked for; the Trash controller
    (kibitz.ui.controllers.trash_controller) carries it out, asking before Empty Trash."""

    back_requested = Signal()
    restore_requested = Signal(list)  # conversation ids
    delete_requested = Signal(list)  # conversation ids, to delete for good
    empty_requested = Signal()

    def __init__(self, model: ConversationListModel, parent: QWidget | None = None) -> None:
        """`model`: the Trash's (ConversationListModel with trash=True), made before this view
        so the sidebar can count it; it becomes the list's child (the view must not outlive
        it, see Sidebar)."""
        super().__init__(parent)
        self.setAccessibleName("Trash")
        self._busy = False
        self._list = PlaceholderListView(self)
        self._model = model
        model.setParent(self._list)
        self._delegate = TrashDelegate(self._list)
        self._list.setModel(self._model)
        self._list.setItemDelegate(self._delegate)
        self._list.setAccessibleName("Deleted conversations")
        self._list.setFrameShape(QListView.Shape.NoFrame)
        self._list.viewport().setAutoFillBackground(False)
        self._list.setUniformItemSizes(True)
        self._list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self._list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self._list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._list.setMouseTracking(True)
        self._list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self._list.set_placeholder(EMPTY_TEXT, "trash-2")

        self._back = IconButton("chevron-left", "Back to conversations (Esc)", size=18)
        self._title = QLabel("Trash")
        title_font = scaled_font(self._title.font(), "section")
        title_font.setWeight(QFont.Weight.DemiBold)
        self._title.setFont(title_font)
        self._empty = QPushButton("Empty Trash")
        self._empty.setAccessibleName("Empty Trash")
        self._empty.setToolTip("Delete every conversation in the Trash for good")
        self._note = QLabel(TRASH_NOTE)
        self._note.setWordWrap(True)
        self._note.setAccessibleName("About the Trash")
        self._restore = QPushButton("Restore")
        self._restore.setAccessibleName("Restore")
        self._restore.setToolTip("Put the selected conversations back in the list")
        self._delete = QPushButton("Delete for good")
        self._delete.setAccessibleName("Delete for good")
        self._delete.setToolTip("Delete the selected conversations for good")

        header = QHBoxLayout()
        header.setContentsMargins(_EDGE - 4, 10, _EDGE, 0)
        header.setSpacing(4)
        header.addWidget(self._back)
        header.addWidget(self._title, 1)
        header.addWidget(self._empty)
        actions = QHBoxLayout()
        actions.setContentsMargins(_EDGE, 4, _EDGE, 10)
        actions.setSpacing(8)
        actions.addWidget(self._restore, 1)
        actions.addWidget(self._delete, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(header)
        note_row = QHBoxLayout()
        note_row.setContentsMargins(_EDGE + 2, 0, _EDGE, 2)
        note_row.addWidget(self._note)
        layout.addLayout(note_row)
        layout.addWidget(self._list, 1)
        layout.addLayout(actions)

        self._back.clicked.connect(self.back_requested)
        self._empty.clicked.connect(self.empty_requested)
        self._restore.clicked.connect(lambda: self._emit_selected(self.restore_requested))
        self._delete.clicked.connect(lambda: self._emit_selected(self.delete_requested))
        self._list.selectionModel().selectionChanged.connect(self._update_buttons)
        self._list.customContextMenuRequested.connect(self._on_list_context_menu_requested)
        self._list.installEventFilter(self)
        for signal in (self._model.rowsInserted, self._model.rowsRemoved, self._model.modelReset):
            signal.connect(self._update_buttons)
        self._update_looks()
        self._update_buttons()

    # -- what the sidebar and the tests read ----------------------------------------------------

    @property
    def model(self) -> ConversationListModel:
        return self._model

    @property
    def list_view(self) -> QListView:
        return self._list

    def selected_ids(self) -> list[int]:
        rows = sorted(i.row() for i in self._list.selectionModel().selectedRows())
        return [int(self._model.index(r).data(ConversationRole.ID)) for r in rows]

    def focus_list(self) -> None:
        self._list.setFocus(Qt.FocusReason.OtherFocusReason)
        if self._model.rowCount() and not self._list.currentIndex().isValid():
            self._list.setCurrentIndex(self._model.index(0))

    # -- behaviour ------------------------------------------------------------------------------

    def _emit_selected(self, signal: SignalInstance) -> None:
        ids = self.selected_ids()
        if ids:
            signal.emit(ids)

    def set_busy(self, busy: bool) -> None:
        """While a delete for good runs on the worker thread: no second one meanwhile."""
        self._busy = busy
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = bool(self._list.selectionModel().selectedRows()) and not self._busy
        filled = self._model.rowCount() > 0
        for action in (self._restore, self._delete):
            action.setEnabled(chosen)
            action.setVisible(filled)  # an empty Trash says so, without greyed-out buttons
        self._empty.setEnabled(filled and not self._busy)

    def _on_list_context_menu_requested(self, pos: QPoint) -> None:
        index = self._list.indexAt(pos)
        if not index.isValid():
            return
        if not self._list.selectionModel().isSelected(index):
            self._list.setCurrentIndex(index)  # a right-click outside the selection picks it
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.setAccessibleName("Deleted conversation actions")
        restore = menu.addAction(icon("rotate-ccw", self), "Restore")
        restore.triggered.connect(lambda: self._emit_selected(self.restore_requested))
        menu.addSeparator()
        delete = menu.addAction(icon("trash-2", self), "Delete for good")
        delete.triggered.connect(lambda: self._emit_selected(self.delete_requested))
        menu.popup(self._list.viewport().mapToGlobal(pos))  # popup: no nested event loop

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self._list or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        if event.key() == Qt.Key.Key_Escape and event.type() == QEvent.Type.ShortcutOverride:
            event.accept()  # claim Esc before a window-wide shortcut (stop the reply) takes it
            return True
        if event.type() == QEvent.Type.KeyPress:
            if event.key() == Qt.Key.Key_Escape:
                self.back_requested.emit()
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._emit_selected(self.restore_requested)
                return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.back_requested.emit()
            return
        super().keyPressEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._update_looks()

    def _update_looks(self) -> None:
        self._restore.setIcon(icon("rotate-ccw", self._restore))
        self._delete.setIcon(icon("trash-2", self._delete))
        muted = QColor(self.palette().color(QPalette.ColorRole.WindowText))
        muted.setAlphaF(0.6)
        note = QPalette(self._note.palette())
        note.setColor(QPalette.ColorRole.WindowText, muted)
        self._note.setPalette(note)
