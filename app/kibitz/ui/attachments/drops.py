"""FileDrops: files dropped on the chat (the conversation, the welcome pane, quick ask) attach
to the message being written. Exports are left to the import (kibitz.ui.transfer_actions)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QWidget

from kibitz.ui.attachments.mime import attachable_paths


class FileDrops(QObject):
    dropped = Signal(list)  # list[Path]

    def watch(self, widget: QWidget) -> None:
        """Take file drops on `widget` and on its children that take none themselves."""
        widget.setAcceptDrops(True)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove) and isinstance(
            event, QDragEnterEvent | QDragMoveEvent
        ):
            if attachable_paths(event.mimeData()):
                event.acceptProposedAction()
                return True
        elif kind == QEvent.Type.Drop and isinstance(event, QDropEvent):
            paths = attachable_paths(event.mimeData())
            if paths:
                event.acceptProposedAction()
                self.dropped.emit(paths)
                return True
        return super().eventFilter(watched, event)
