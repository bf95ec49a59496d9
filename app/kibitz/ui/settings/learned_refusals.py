"""What the models of one provider profile refused, as Settings → Providers shows it.

Each row names the model and the parameter Kibitz now leaves out, when it learned that and the
server's own words (as the tooltip); Forget sends the parameter again (a server upgrade may have
lifted the refusal). The rows come from kibitz.core.capabilities' book, which the chat engine
reads before every request, so a Forget takes effect with the next message.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kibitz.core.capabilities import TOOLS, CapabilityBook, Refusal
from kibitz.ui.views.message_parts import muted_label

NONE_YET = "None yet: when a model refuses a parameter, Kibitz remembers it here."


class LearnedRefusals(QWidget):
    def __init__(self, book: CapabilityBook, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("What models refused")
        self._book = book
        self._provider: str | None = None
        self._rows = QVBoxLayout(self)
        self._rows.setContentsMargins(0, 0, 0, 0)
        self._rows.setSpacing(2)
        self.forget_buttons: list[QPushButton] = []
        self._texts: list[str] = []

    def show_provider(self, provider: str | None) -> None:
        self._provider = provider
        self.refresh()

    def refresh(self) -> None:
        while self._rows.count():
            item = self._rows.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.forget_buttons = []
        self._texts = []
        mine = [
            (model, refusal)
            for provider, model, refusal in self._book.learned()
            if provider == self._provider
        ]
        if not mine:
            self._rows.addWidget(muted_label(NONE_YET, self))
            return
        for model, refusal in mine:
            self._rows.addWidget(self._row(model, refusal))

    def lines(self) -> list[str]:
        """The rows' texts, as shown."""
        return list(self._texts)

    def _row(self, model: str, refusal: Refusal) -> QWidget:
        row = QWidget(self)
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        what = "tools" if refusal.param == TOOLS else refusal.param
        when = datetime.fromtimestamp(refusal.at).strftime("%Y-%m-%d")
        text = QLabel(f"{model}: {what} left out (refused {when})", row)
        self._texts.append(text.text())
        text.setToolTip(refusal.message or "The server gave no reason.")
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        forget = QPushButton("Forget", row)
        forget.setToolTip(f"Send {what} to {model} again")
        forget.setAccessibleName(f"Forget that {model} refused {what}")
        forget.clicked.connect(lambda: self._forget(model, refusal.param))
        self.forget_buttons.append(forget)
        line.addWidget(text, 1)
        line.addWidget(forget)
        return row

    def _forget(self, model: str, param: str) -> None:
        if self._provider is not None:
            self._book.forget(self._provider, model, param)
        self.refresh()
