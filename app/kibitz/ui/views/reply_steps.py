"""ReplySteps: what a reply that called tools shows between its reasoning and its answer.

In the order they happened: the text the model wrote before a call, and a card for each call
(ToolCallCard), the approval card in a call's place while it waits for the user. Widgets are
kept across updates and only the steps that changed are touched, so a call's status changing
every tick, or the answer streaming below, costs nothing here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from kibitz.core.tools import PendingCall
from kibitz.ui.attachments.thumbnails import ThumbnailLoader
from kibitz.ui.views.message_text import MessageTextView
from kibitz.ui.views.reply_layout import LiveCall, Step, TextStep, ToolStep
from kibitz.ui.views.tool_approval import ToolApprovalCard
from kibitz.ui.views.tool_card import ToolCallCard

_SPACING = 8


@dataclass
class _Shown:
    key: tuple[str, str]
    widget: MessageTextView | ToolCallCard


@dataclass(frozen=True)
class _Asking:
    pending: PendingCall
    offer_always: bool


class ReplySteps(QWidget):
    approval_answered = Signal(str, object)  # call id, Approval
    image_opened = Signal(object)  # an ImagePart a tool returned
    copied = Signal(str)
    link_opened = Signal(QUrl)

    def __init__(
        self,
        *,
        dark: bool,
        width: int,
        thumbnails: ThumbnailLoader | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("replySteps")
        self._dark = dark
        self._width = width
        self._thumbnails = thumbnails
        self._shown: list[_Shown] = []
        self._asking: _Asking | None = None
        self._approval: ToolApprovalCard | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 6)
        self._layout.setSpacing(_SPACING)

    # -- what it shows ------------------------------------------------------------------------

    def cards(self) -> list[ToolCallCard]:
        return [s.widget for s in self._shown if isinstance(s.widget, ToolCallCard)]

    def texts(self) -> list[str]:
        return [
            s.widget.toPlainText() for s in self._shown if isinstance(s.widget, MessageTextView)
        ]

    @property
    def approval_card(self) -> ToolApprovalCard | None:
        return self._approval

    def set_steps(
        self, steps: Sequence[Step], live: Mapping[str, LiveCall], *, streaming: bool
    ) -> None:
        for index, step in enumerate(steps):
            key = ("tool", step.call.id) if isinstance(step, ToolStep) else ("text", step.text)
            if index < len(self._shown) and self._shown[index].key == key:
                widget = self._shown[index].widget
                if isinstance(widget, ToolCallCard) and isinstance(step, ToolStep):
                    widget.set_step(step, live.get(step.call.id), streaming=streaming)
                continue
            self._drop_from(index)
            self._shown.append(_Shown(key, self._make(step, live, streaming)))
        self._drop_from(len(steps))
        self._place_approval()

    def _make(
        self, step: Step, live: Mapping[str, LiveCall], streaming: bool
    ) -> MessageTextView | ToolCallCard:
        widget: MessageTextView | ToolCallCard
        if isinstance(step, TextStep):
            widget = MessageTextView(self)
            widget.set_layout_width(self._width)
            widget.set_markdown(step.text, self._dark)
            widget.copied.connect(self.copied)
            widget.link_opened.connect(self.link_opened)
        else:
            widget = ToolCallCard(step, thumbnails=self._thumbnails, parent=self)
            widget.set_step(step, live.get(step.call.id), streaming=streaming)
            widget.image_opened.connect(self.image_opened)
        self._layout.addWidget(widget)
        widget.show()
        return widget

    def _drop_from(self, index: int) -> None:
        for shown in self._shown[index:]:
            if self._approval is not None and shown.key == ("tool", self._approval.pending.call_id):
                self._remove_approval()
            self._layout.removeWidget(shown.widget)
            shown.widget.hide()
            shown.widget.deleteLater()
        del self._shown[index:]

    # -- approvals ----------------------------------------------------------------------------

    def ask(self, pending: PendingCall, *, offer_always: bool) -> None:
        """Show the approval card in place of the call's card (now, or once the call shows)."""
        if self._approval is not None:
            self._remove_approval()
        self._asking = _Asking(pending, offer_always)
        self._place_approval()

    def end_approval(self, call_id: str) -> bool:
        """The call's card instead of its approval card; whether that card had the focus."""
        if self._asking is None or self._asking.pending.call_id != call_id:
            return False
        self._asking = None
        return self._remove_approval()

    def _place_approval(self) -> None:
        asking = self._asking
        if asking is None or self._approval is not None:
            return
        key = ("tool", asking.pending.call_id)
        index = next((i for i, s in enumerate(self._shown) if s.key == key), None)
        if index is None:
            return  # the call is not shown yet: the next update places the card
        card = ToolApprovalCard(asking.pending, offer_always=asking.offer_always, parent=self)
        card.answered.connect(
            lambda approval, call=asking.pending.call_id: self.approval_answered.emit(
                call, approval
            )
        )
        self._shown[index].widget.hide()
        self._layout.insertWidget(index, card)
        card.show()
        self._approval = card

    def _remove_approval(self) -> bool:
        card, self._approval = self._approval, None
        if card is None:
            return False
        focused = QApplication.focusWidget()
        had_focus = focused is card or (focused is not None and card.isAncestorOf(focused))
        key = ("tool", card.pending.call_id)
        for shown in self._shown:
            if shown.key == key:
                shown.widget.show()
        self._layout.removeWidget(card)
        card.hide()
        card.deleteLater()
        return had_focus

    # -- appearance ---------------------------------------------------------------------------

    def set_dark(self, dark: bool) -> None:
        if dark == self._dark:
            return
        self._dark = dark
        for shown in self._shown:
            if isinstance(shown.widget, MessageTextView):
                shown.widget.set_markdown(shown.key[1], dark)

    def set_width(self, width: int) -> None:
        self._width = width
        for shown in self._shown:
            if isinstance(shown.widget, MessageTextView):
                shown.widget.set_layout_width(width)
