"""TextBox: monospace, read-only text in a box as tall as its text up to a limit, then scrolling.

Tool arguments and results are shown in these: untrusted text, so it is set as plain text (or
as HTML made from escaped text by the code highlighter), no link opens by itself and no
resource is ever loaded. Long runs get break opportunities, since Qt lays out a line without
any in quadratic time.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QFontDatabase, QPalette, QTextOption
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QWidget

from kibitz.ui.views.message_html import break_long_runs, break_long_runs_html

log = logging.getLogger(__name__)

_PADDING = 8


class TextBox(QTextBrowser):
    def __init__(self, max_height: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._max_height = max_height
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setAcceptDrops(False)
        self.viewport().setAcceptDrops(False)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        self.viewport().setBackgroundRole(QPalette.ColorRole.AlternateBase)
        doc = self.document()
        doc.setUndoRedoEnabled(False)
        doc.setDocumentMargin(_PADDING)
        doc.documentLayout().documentSizeChanged.connect(self._on_layout_size_changed)
        self._height = 0

    def set_plain(self, text: str) -> None:
        self.setPlainText(break_long_runs(text))
        self._fit()

    def set_html(self, markup: str) -> None:
        """HTML made from escaped text (the highlighter's): never the model's own markup."""
        self.setHtml(break_long_runs_html(markup))
        self._fit()

    def _on_layout_size_changed(self, _size: Any) -> None:
        self._fit()

    def _fit(self) -> None:
        wanted = math.ceil(self.document().size().height()) + 2 * self.frameWidth()
        height = max(24, min(self._max_height, wanted))
        if height != self._height:
            self._height = height
            self.setFixedHeight(height)

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self._height or 24)

    def loadResource(self, kind: int, name: QUrl | str) -> Any:
        # A tool's output may name remote images: nothing is fetched, ever.
        log.debug("refused to load resource %s", QUrl(name).toString()[:200])
        return None

    def wheelEvent(self, event: Any) -> None:
        # Scroll inside while there is more to see; at either end the chat scrolls on.
        bar = self.verticalScrollBar()
        before = bar.value()
        super().wheelEvent(event)
        if bar.value() == before:
            event.ignore()
